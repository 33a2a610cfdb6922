"""The hardened parser and atomic writing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trotsky_tei.xmlfile import atomic_write, expand_prefix, parse_bytes, parse_file

TEI_OK = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/></TEI>'


def codes(parsed) -> list[str]:
    return [d.code for d in parsed.diagnostics]


def test_well_formed_tei_parses_with_line_numbers() -> None:
    p = parse_bytes(b'<?xml version="1.0"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<teiHeader/></TEI>', "x.xml")
    assert p.tree is not None and p.diagnostics == []
    assert p.tree.getroot()[0].sourceline == 3


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "TT001"),
        (b"   \n ", "TT001"),
        (bytes(range(256)), "TT002"),
        (b"plain text", "TT002"),
        (b'<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<p>', "TT002"),
        (b'<?xml version="1.0" encoding="klingon"?><TEI/>', "TT003"),
        ('<?xml version="1.0" encoding="UTF-8"?>\n<TEI>é</TEI>'.encode("latin-1"), "TT003"),
        (b"<html/>", "TT005"),
        (b"<TEI/>", "TT005"),  # no namespace
    ],
)
def test_bad_input_is_one_diagnostic(data: bytes, code: str) -> None:
    p = parse_bytes(data, "bad.xml")
    assert p.tree is None
    assert codes(p) == [code]
    assert p.diagnostics[0].path == "bad.xml"


def test_encoding_error_has_its_line() -> None:
    data = '<?xml version="1.0" encoding="UTF-8"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<p>é</p></TEI>'
    p = parse_bytes(data.encode("latin-1"), "enc.xml")
    assert p.diagnostics[0].line == 3


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><p>&xxe;</p></TEI>'
    ).encode()
    p = parse_bytes(data, "xxe.xml")
    assert p.tree is None
    assert codes(p) == ["TT004"]
    assert "external entity" in p.diagnostics[0].message
    assert "TOP-SECRET" not in str(p.diagnostics[0])


def test_entity_bomb_is_refused_quickly() -> None:
    ents = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10 if i else "lol"}">' for i in range(10))
    data = f'<?xml version="1.0"?><!DOCTYPE TEI [{ents}]><TEI xmlns="http://www.tei-c.org/ns/1.0">&l9;</TEI>'
    p = parse_bytes(data.encode(), "bomb.xml")
    assert p.tree is None
    assert codes(p) == ["TT004"]


def test_utf16_document_is_read() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><TEI xmlns="http://www.tei-c.org/ns/1.0"/>'.encode("utf-16")
    assert parse_bytes(data, "u16.xml").tree is not None


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert codes(parse_file(tmp_path / "nope.xml")) == ["TT000"]
    assert codes(parse_file(tmp_path)) == ["TT000"]


def test_atomic_write_replaces_and_keeps_mode(tmp_path: Path) -> None:
    f = tmp_path / "a.xml"
    f.write_bytes(TEI_OK)
    os.chmod(f, 0o640)
    atomic_write(f, b"<new/>")
    assert f.read_bytes() == b"<new/>"
    assert (f.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.xml"]  # no temp file left behind


@pytest.mark.parametrize(
    ("defs", "rest", "expected"),
    [
        ([("([a-z\\-]+)", "../registry/persons.xml#$1")], "van-overstraeten", "../registry/persons.xml#van-overstraeten"),
        ([("(Q[0-9]+)", "https://www.wikidata.org/wiki/$1")], "Q33391", "https://www.wikidata.org/wiki/Q33391"),
        ([("([0-9]+)/([a-z]+)", "p$2-$1")], "12/ab", "pab-12"),  # groups in any order
        ([("(Q[0-9]+)", "x$1")], "Q33391x", None),  # the pattern must match the whole value
        ([("(unclosed", "x$1"), ("(.+)", "y$1")], "v", "yv"),  # a broken pattern matches nothing; the next is tried
        ([("(.+)", "a\\b$1$9")], "v", "a\\bv"),  # backslashes are literal; a group that is not there is empty
    ],
)
def test_prefix_expansion(defs: list[tuple[str, str]], rest: str, expected: str | None) -> None:
    assert expand_prefix(defs, rest) == expected
