"""The one pass: every command reads each letter's file once and parses it once (registry files too)."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from _sitekit import FIXTURE
from lxml import etree

from trotsky_tei.cli import main


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(FIXTURE, dst)
    return dst


class Counts:
    """Parses (lxml.etree.fromstring of a file's bytes) and reads (a file opened: os.open, which the toolkit's one
    reader uses, or Path.read_bytes) per file of the corpus."""

    def __init__(self, corpus: Path) -> None:
        self.files = {p.read_bytes(): str(p) for p in corpus.rglob("*.xml")}
        self.paths = set(self.files.values())
        self.parses: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()


@pytest.fixture
def counts(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    found = Counts(corpus)
    parse = etree.fromstring
    read = Path.read_bytes

    def counting_parse(text: object, *args: object, **kw: object) -> object:
        if isinstance(text, bytes) and text in found.files:
            found.parses[found.files[text]] += 1
        return parse(text, *args, **kw)  # type: ignore[arg-type]

    def counting_read(self: Path) -> bytes:
        if str(self) in found.paths:
            found.reads[str(self)] += 1
        return read(self)

    real_open = os.open

    def counting_open(path: object, flags: int, *args: object, **kw: object) -> int:
        if str(path) in found.paths:
            found.reads[str(path)] += 1
        return real_open(path, flags, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(etree, "fromstring", counting_parse)
    monkeypatch.setattr(Path, "read_bytes", counting_read)
    monkeypatch.setattr(os, "open", counting_open)
    yield found


COMMANDS = {
    "build": lambda c, o: ["build", str(c), "-o", str(o / "edition"), "--jobs", "1"],
    "validate": lambda c, o: ["validate", str(c), "--jobs", "1", "--no-cache"],
    "export html": lambda c, o: ["export", "html", str(c), "-o", str(o / "site"), "--jobs", "1"],
    "export text": lambda c, o: ["export", "text", str(c), "-o", str(o / "text"), "--jobs", "1"],
    "export epub": lambda c, o: ["export", "epub", str(c), "-o", str(o / "book.epub"), "--jobs", "1"],
    "export cmif": lambda c, o: ["export", "cmif", str(c), "-o", str(o / "cmif.xml")],
    "link": lambda c, o: ["link", str(c), "--jobs", "1"],
    "index": lambda c, o: ["index", str(c)],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_file_is_read_once_and_parsed_once(command: str, corpus: Path, counts: Counts, tmp_path: Path) -> None:
    main(COMMANDS[command](corpus, tmp_path))
    letters = sorted(str(p) for p in (corpus / "letters").glob("*.xml"))
    assert letters and all(counts.parses[p] == 1 for p in letters), counts.parses
    assert all(counts.reads[p] == 1 for p in letters), counts.reads
    assert max(counts.parses.values()) == 1, counts.parses  # registry and edition files too
    assert max(counts.reads.values()) == 1, counts.reads


def test_a_rebuild_with_nothing_changed_reads_each_letter_once_and_parses_none(corpus: Path, counts: Counts, tmp_path: Path) -> None:
    first = main(COMMANDS["build"](corpus, tmp_path))  # 1: the fixture holds a deliberately hostile link
    counts.parses.clear()
    counts.reads.clear()
    assert main(COMMANDS["build"](corpus, tmp_path)) == first
    letters = sorted(str(p) for p in (corpus / "letters").glob("*.xml"))
    assert all(counts.reads[p] == 1 for p in letters)  # to see that its bytes did not change
    assert not any(counts.parses[p] for p in letters)


def test_validate_again_takes_unchanged_files_from_the_cache(corpus: Path, counts: Counts, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    command = ["validate", str(corpus), "--jobs", "1"]
    first = main(command)
    out_first = capsys.readouterr().out
    counts.parses.clear()
    assert main(command) == first
    assert capsys.readouterr().out == out_first  # the cache never changes what is reported
    letters = [str(p) for p in (corpus / "letters").glob("*.xml")]
    assert not any(counts.parses[p] for p in letters)
    changed = corpus / "letters" / "1930-01-01-trotsky-to-odd.xml"
    changed.write_text(changed.read_text(encoding="utf-8").replace("</body>", "<p>A new line.</p></body>"), encoding="utf-8")
    counts.files[changed.read_bytes()] = str(changed)
    main(command)
    assert [p for p in letters if counts.parses[p]] == [str(changed)]


def test_a_pointer_into_another_file_is_checked_again_when_that_file_changes(corpus: Path, tmp_path: Path,
                                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The cache keys a letter on the files its pointers lead into, not only on the registry."""
    notes = corpus / "notes.xml"
    notes.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p xml:id="n1">a note</p></body></text></TEI>',
                     encoding="utf-8")
    letter = corpus / "letters" / "1930-01-01-trotsky-to-odd.xml"
    letter.write_text(letter.read_text(encoding="utf-8").replace("</body>", '<p><ref target="../notes.xml#n1">see</ref></p></body>'),
                      encoding="utf-8")
    command = ["validate", str(corpus / "letters"), "--jobs", "1", "--select", "TT202"]
    main(command)
    assert "notes.xml#n1" not in capsys.readouterr().out
    main(command)  # from the cache
    assert "notes.xml#n1" not in capsys.readouterr().out
    notes.write_text(notes.read_text(encoding="utf-8").replace('xml:id="n1"', 'xml:id="n2"'), encoding="utf-8")
    main(command)
    assert "notes.xml#n1" in capsys.readouterr().out


def test_quoted_lines_come_from_the_bytes_the_pass_read(corpus: Path, counts: Counts, capsys: pytest.CaptureFixture[str]) -> None:
    """validate's text output quotes each diagnostic's line: a letter's from the bytes the pass read to hash it (no
    read more); a registry file's, parsed before the letters and not kept as bytes, by reading that file once more,
    only where it has a diagnostic with a line."""
    persons = corpus / "registry" / "persons.xml"
    persons.write_text(persons.read_text(encoding="utf-8").replace("<person ", "<persn ", 1).replace("</person>", "</persn>", 1),
                       encoding="utf-8")
    counts.files[persons.read_bytes()] = str(persons)
    counts.reads.clear()
    main(COMMANDS["validate"](corpus, corpus))
    out = capsys.readouterr().out
    letter = corpus / "letters" / "1929-04-30-trotsky-to-overstraeten.xml"
    assert f"{letter}:38:1: error TT203" in out and "   38 |         <p>A second paragraph" in out  # a letter's line
    assert f"{persons}:" in out and "<persn" in out  # the registry file's
    assert all(counts.reads[str(p)] == 1 for p in (corpus / "letters").glob("*.xml")), counts.reads
    assert counts.reads[str(persons)] == 2, counts.reads
    assert all(n == 1 for p, n in counts.reads.items() if p != str(persons)), counts.reads
    assert max(counts.parses.values()) == 1, counts.parses
