"""The `build` pipeline: outputs, marker and refusal, exit status on validation errors, summary, reproducibility."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from _sitekit import FIXTURE, tree_bytes
from rich.console import Console

from trotsky_tei.build import BUILD_MARKER, build, summary_table
from trotsky_tei.cli import main
from trotsky_tei.errors import OutputError, UsageError


def console() -> Console:
    return Console(file=StringIO(), width=120, color_system=None)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the fixture corpus without its deliberately hostile `ref` (which validation rightly reports)."""
    dst = tmp_path / "corpus"
    shutil.copytree(FIXTURE, dst)
    letter = dst / "letters" / "1929-04-30-trotsky-to-overstraeten.xml"
    text = letter.read_text(encoding="utf-8")
    letter.write_text(text.replace('<ref target="javascript:alert(1)">that must not be a link</ref>', "plain"), encoding="utf-8")
    return dst


def test_build_writes_site_text_epub_and_cmif(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "edition"
    result = build(corpus, out, console=console(), jobs=1)
    assert result.exit_code == 0, result.diagnostics
    assert (out / "cmif.xml").is_file()
    assert (out / BUILD_MARKER).is_file()
    assert (out / "site" / "index.html").is_file()
    assert sorted(p.name for p in (out / "text").iterdir()) == ["l1.txt", "l2.txt", "l3.txt"]
    assert (out / "test-letters-papers.epub").is_file()
    assert "I have read the Communiste with great interest.[1]" in (out / "text" / "l1.txt").read_text(encoding="utf-8")
    assert [s.name for s in result.steps] == ["validate", "link", "site", "text", "epub", "cmif"]
    assert "site/letters/l1.html" in result.outputs and "test-letters-papers.epub" in result.outputs


def test_summary_table_lists_every_step(tmp_path: Path) -> None:
    result = build(FIXTURE, tmp_path / "e", console=console(), jobs=1)
    c = console()
    c.print(summary_table(result))
    text = c.file.getvalue()  # type: ignore[attr-defined]
    for step in ("validate", "link", "site", "text", "epub", "cmif", "total"):
        assert step in text
    assert "files written" in text


def test_refuses_a_non_empty_folder_it_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(OutputError, match="--force"):
        build(FIXTURE, out, console=console())
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert main(["build", str(FIXTURE), "-o", str(out)]) == 2
    build(FIXTURE, out, console=console(), force=True, jobs=1)
    assert (out / "thesis.tex").read_text(encoding="utf-8") == "precious"
    assert (out / "site" / "index.html").is_file()


def test_rebuild_into_its_own_folder_removes_stale_pages(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "edition"
    build(corpus, out, console=console(), jobs=1)
    assert (out / "site" / "letters" / "l3.html").is_file()
    (corpus / "letters" / "1930-01-01-trotsky-to-odd.xml").unlink()
    build(corpus, out, console=console(), jobs=1)  # no --force needed: the marker says the folder is ours
    assert not (out / "site" / "letters" / "l3.html").exists()
    assert not (out / "text" / "l3.txt").exists()


def test_validation_errors_still_build_but_exit_1(tmp_path: Path, corpus: Path) -> None:
    (corpus / "letters" / "broken.xml").write_text("<TEI><unclosed></TEI>", encoding="utf-8")
    result = build(corpus, tmp_path / "e", console=console(), jobs=1)
    assert result.exit_code == 1
    assert any(d.path.endswith("broken.xml") and d.code == "TT002" for d in result.diagnostics)
    assert (tmp_path / "e" / "site" / "letters" / "l1.html").is_file()
    assert main(["build", str(corpus), "-o", str(tmp_path / "e2"), "--jobs", "1"]) == 1


def test_reproducible_bytes(tmp_path: Path) -> None:
    build(FIXTURE, tmp_path / "a", console=console(), jobs=1)
    build(FIXTURE, tmp_path / "b", console=console(), jobs=1)
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert a == b and any(k.endswith(".epub") for k in a)


def test_bad_corpus_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        build(tmp_path / "missing", tmp_path / "out", console=console())
    assert main(["build", str(tmp_path / "missing"), "-o", str(tmp_path / "out")]) == 2


def test_cli_build_prints_summary(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(corpus), "-o", str(tmp_path / "e"), "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "Build of" in err and "epub" in err
