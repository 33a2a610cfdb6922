"""Corpus discovery and the Letter record."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from trotsky_tei.build import BUILD_MARKER
from trotsky_tei.cli import main
from trotsky_tei.reader import OUTPUT_MARKERS, discover, read
from trotsky_tei.render.site import SITE_MARKER
from trotsky_tei.xmlfile import atomic_write

ROOT = Path(__file__).resolve().parents[1]
LETTER = ROOT / "corpus" / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"


def test_the_markers_of_our_output_folders_are_known_to_discovery() -> None:
    assert {BUILD_MARKER, SITE_MARKER} <= set(OUTPUT_MARKERS)


def test_discovery_skips_hidden_and_generated_folders(tmp_path: Path) -> None:
    (tmp_path / "letters").mkdir()
    shutil.copy(LETTER, tmp_path / "letters" / "a.xml")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.xml").write_text("<x/>")
    (tmp_path / "edition").mkdir()
    (tmp_path / "edition" / BUILD_MARKER).write_text("")
    (tmp_path / "edition" / "cmif.xml").write_text("<x/>")
    files, diags = discover([str(tmp_path)])
    assert [Path(f).name for f in files] == ["a.xml"] and diags == []
    # a generated file named explicitly is still read: the user asked for it
    assert discover([str(tmp_path / "edition" / "cmif.xml")])[0] == [str(tmp_path / "edition" / "cmif.xml")]


def test_a_build_inside_the_corpus_is_not_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    monkeypatch.chdir(corpus)
    assert main(["build", ".", "--jobs", "1"]) == 0
    first = sorted(p.relative_to(corpus).as_posix() for p in (corpus / "edition").rglob("*") if p.is_file())
    assert main(["build", ".", "--jobs", "1"]) == 0  # the second run sees the same letters, not its own cmif.xml
    again = sorted(p.relative_to(corpus).as_posix() for p in (corpus / "edition").rglob("*") if p.is_file())
    assert again == first
    assert not any("cmif" in name for name in again if "/letters/" in name or name.endswith(".txt"))
    capsys.readouterr()


def test_letter_record_of_the_1929_letter() -> None:
    lf = read(str(LETTER))
    assert lf.kind == "letter" and lf.letter is not None
    letter = lf.letter
    assert letter.date is not None and letter.date.when == "1929-04-30"
    assert [m.ref for m in letter.senders] == ["psn:trotsky"]
    assert [m.ref for m in letter.recipients] == ["psn:van-overstraeten"]
    assert [(cn.repository, cn.collection, cn.idno) for cn in letter.call_numbers] == [
        ("Houghton Library", "MS Russ 13.1", "10708")
    ]
    assert ("place", "Belgium") in {(m.kind, m.name) for m in letter.mentions}


def test_new_output_files_get_the_usual_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new" / "cmif.xml", b"<x/>")
    finally:
        os.umask(old)
    assert ((tmp_path / "new" / "cmif.xml").stat().st_mode & 0o777) == 0o644
