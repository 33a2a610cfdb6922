"""Bad input never gives a traceback: one clear diagnostic per file, and the other files are still checked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trotsky_tei.cli import main

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
GOOD = DATA / "rules" / "letters" / "good.xml"
SECRET = "TOP-SECRET-7f3a9c-do-not-leak"

# file -> (code, line) of the one diagnostic it must give
EXPECTED = {
    "empty.xml": ("TT001", 0),
    "binary.xml": ("TT002", 0),
    "not-xml.xml": ("TT002", 1),
    "malformed.xml": ("TT002", 4),
    "wrong-encoding.xml": ("TT003", 3),
    "unknown-encoding.xml": ("TT003", 1),
    "not-tei.xml": ("TT005", 2),
    "no-namespace.xml": ("TT005", 2),
    "entity-bomb.xml": ("TT004", 1),
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["validate", "--no-schema", "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    rc, out, err = run(capsys, "--format", "json", *args)
    assert err == ""
    return rc, json.loads(out)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_gives_one_diagnostic_and_the_good_file_is_still_checked(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    rc, doc = run_json(capsys, str(BAD / name), str(GOOD))
    assert rc == 1
    assert doc["files"] == 2
    diags = doc["diagnostics"]
    assert [(d["path"], d["code"], d["line"]) for d in diags] == [(str(BAD / name), *EXPECTED[name])]
    assert diags[0]["severity"] == "error" and diags[0]["message"]


def test_whole_bad_folder_in_text_mode(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, str(BAD), str(GOOD))
    assert rc == 1
    assert "Traceback" not in out + err
    for name, (code, line) in EXPECTED.items():
        assert f"{BAD / name}:{line}:" in out and code in out
    assert out.strip().splitlines()[-1] == f"{len(EXPECTED) + 1} files checked: {len(EXPECTED)} errors, 0 warnings"


def test_missing_path_among_others(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.xml")
    rc, doc = run_json(capsys, missing, str(GOOD))
    assert rc == 1
    assert doc["files"] == 1
    assert [(d["path"], d["code"], d["line"]) for d in doc["diagnostics"]] == [(missing, "TT000", 0)]


def _xxe_files(tmp_path: Path) -> list[Path]:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    (tmp_path / "secret.dtd").write_text(f'<!ENTITY leak "{SECRET}">', encoding="utf-8")
    general = tmp_path / "xxe.xml"
    general.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE TEI [\n  <!ENTITY x SYSTEM "{secret.as_uri()}">\n]>\n'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&x;</p></body></text></TEI>\n',
        encoding="utf-8",
    )
    relative = tmp_path / "xxe-relative.xml"
    relative.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE TEI [\n  <!ENTITY x SYSTEM "secret.txt">\n]>\n'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p xml:id="&x;">&x;</p></body></text></TEI>\n',
        encoding="utf-8",
    )
    parameter = tmp_path / "xxe-parameter.xml"
    parameter.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE TEI [\n  <!ENTITY % p SYSTEM "secret.dtd">\n  %p;\n]>\n'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&leak;</p></body></text></TEI>\n',
        encoding="utf-8",
    )
    return [general, relative, parameter]


def test_external_entities_are_refused_and_never_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = _xxe_files(tmp_path)
    for fmt in ("text", "json"):
        rc, out, err = run(capsys, "--format", fmt, *map(str, files), str(GOOD))
        assert rc == 1
        assert SECRET not in out + err
        assert "Traceback" not in out + err
    rc, doc = run_json(capsys, *map(str, files), str(GOOD))
    by_path = {d["path"]: d for d in doc["diagnostics"]}
    assert set(by_path) == {str(f) for f in files}
    for f in files:
        assert by_path[str(f)]["code"] in ("TT002", "TT004")
        assert by_path[str(f)]["line"] >= 1
    assert by_path[str(files[0])]["code"] == "TT004" and "external entity" in by_path[str(files[0])]["message"]


def test_entity_bomb_is_refused_quickly(capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    rc, doc = run_json(capsys, str(BAD / "entity-bomb.xml"))
    assert rc == 1 and doc["diagnostics"][0]["code"] == "TT004"
    assert time.perf_counter() - start < 5


def test_folder_without_xml_is_a_warning(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no XML here", encoding="utf-8")
    rc, doc = run_json(capsys, str(tmp_path))
    assert rc == 0
    assert [(d["code"], d["severity"]) for d in doc["diagnostics"]] == [("TT006", "warning")]


def test_bad_input_through_the_real_entry_point(tmp_path: Path) -> None:
    """The installed console script (a separate process): no traceback on stderr, exit 1."""
    shutil.copy(BAD / "binary.xml", tmp_path / "binary.xml")
    proc = subprocess.run(
        [sys.executable, "-m", "trotsky_tei", "validate", "--no-schema", str(tmp_path), str(tmp_path / "missing.xml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{tmp_path / 'binary.xml'}:0:0: error TT002 not-xml" in proc.stdout
    assert f"{tmp_path / 'missing.xml'}:0:0: error TT000 unreadable" in proc.stdout


def test_bidirectional_controls_in_a_file_name_print_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name with U+202E (right-to-left override) would print reversed ("Trojan Source"): it is shown escaped."""
    folder = tmp_path / "letters"
    folder.mkdir()
    name = "invoice\u202egpj.xml"
    (folder / name).write_text("<TEI>not closed", encoding="utf-8")
    assert main(["validate", str(folder), "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "invoice\\u202egpj.xml" in out and "\u202e" not in out
