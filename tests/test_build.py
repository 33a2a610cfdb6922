"""The `build` pipeline: outputs, marker and refusal, exit status on validation errors, summary, reproducibility."""

from __future__ import annotations

import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from _sitekit import FIXTURE, tree_bytes
from rich.console import Console

from trotsky_tei.build import BUILD_MARKER, build, summary_table
from trotsky_tei.cli import main
from trotsky_tei.errors import OutputError, UsageError
from trotsky_tei.render.pdf import available as pdf_available


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
    assert [s.name for s in result.steps] == ["validate", "link", "site", "search", "text", "epub", "pdf", "cmif"]
    assert "site/letters/l1.html" in result.outputs and "test-letters-papers.epub" in result.outputs


@pytest.mark.skipif(not pdf_available(), reason="Typst is not installed (pip install 'trotsky-tei[pdf]')")
def test_build_typesets_the_pdf_book_again_only_when_something_changed(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "edition"
    first = build(corpus, out, console=console(), jobs=1)
    book = out / "test-letters-papers.pdf"
    assert book.read_bytes().startswith(b"%PDF-")
    row = next(s for s in first.steps if s.name == "pdf")
    assert row.status == "ok" and "test-letters-papers.pdf (3 letters, typeset)" in row.detail
    again = build(corpus, out, console=console(), jobs=1)
    assert "up to date" in next(s for s in again.steps if s.name == "pdf").detail
    letter = corpus / "letters" / "1930-01-01-trotsky-to-odd.xml"
    letter.write_text(letter.read_text(encoding="utf-8").replace("bleibt Text", "bleibt Text, gedruckt"), encoding="utf-8")
    before = book.read_bytes()
    third = build(corpus, out, console=console(), jobs=1)
    assert "typeset" in next(s for s in third.steps if s.name == "pdf").detail
    assert book.read_bytes() != before


def test_build_without_typst_says_what_to_install(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trotsky_tei.build as build_module

    monkeypatch.setattr(build_module, "pdf_available", lambda: False)
    result = build(corpus, tmp_path / "e", console=console(), jobs=1)
    assert result.exit_code == 0
    row = next(s for s in result.steps if s.name == "pdf")
    assert row.status == "skipped" and "pip install 'trotsky-tei[pdf]'" in row.detail
    assert not list((tmp_path / "e").glob("*.pdf"))


def test_summary_table_lists_every_step(tmp_path: Path) -> None:
    result = build(FIXTURE, tmp_path / "e", console=console(), jobs=1)
    c = console()
    c.print(summary_table(result))
    text = c.file.getvalue()  # type: ignore[attr-defined]
    for step in ("validate", "link", "site", "text", "epub", "pdf", "cmif", "total"):
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


def test_rebuild_removes_only_what_the_last_build_wrote(tmp_path: Path, corpus: Path) -> None:
    """What goes is read from the store's list of the last build's files: a stale page and text go, and a folder
    they leave empty; a file or folder someone else put there stays, and so does a folder where a page was."""
    out = tmp_path / "edition"
    build(corpus, out, console=console(), jobs=1)
    (out / "site" / "letters" / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "site" / "mine").mkdir()
    (out / "text" / "l2.txt").unlink()
    (out / "text" / "l2.txt").mkdir()  # a folder where the last build wrote a file
    for name in ("1930-01-01-trotsky-to-odd.xml", "1929-05-10-overstraeten-to-trotsky.xml"):
        (corpus / "letters" / name).unlink()
    build(corpus, out, console=console(), jobs=1)
    assert not (out / "site" / "letters" / "l3.html").exists() and not (out / "text" / "l3.txt").exists()
    assert (out / "site" / "letters" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "site" / "mine").is_dir() and (out / "text" / "l2.txt").is_dir()
    assert (out / "site" / "letters" / "l1.html").is_file()


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


def _table(result) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The summary table as {step: (status, result)}, wide enough that no row wraps."""
    c = Console(file=StringIO(), width=300, color_system=None)
    c.print(summary_table(result))
    rows = {}
    for line in c.file.getvalue().splitlines():  # type: ignore[attr-defined]
        cells = [x.strip() for x in line.strip("│┃").split("│")]
        if len(cells) == 3:
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_statuses_agree_with_the_exit_code(tmp_path: Path, corpus: Path) -> None:
    """ok / warnings / errors, never "problems": a link report or CMIF warnings do not make the build fail."""
    # an edition that names no editor: CMIF says so with a warning (TT722), not an error
    edition = corpus / "edition.xml"
    text = edition.read_text(encoding="utf-8")
    edition.write_text(text.replace("<editor>Ada Editor</editor>", ""), encoding="utf-8")
    result = build(corpus, tmp_path / "e", console=console(), jobs=1)
    rows = _table(result)
    cmif = [d for d in result.diagnostics if d.code.startswith("TT72")]
    assert cmif and all(d.severity.value == "warning" for d in cmif), cmif
    assert rows["cmif"][0] == "warnings" and "0 errors, 1 warning" in rows["cmif"][1]
    # names the registry does not know: reported ("unknown" counted too), but the exit status stays 0
    assert rows["link"][0] == "warnings" and "3 unknown" in rows["link"][1]
    assert result.exit_code == 0
    assert {status for status, _ in rows.values()} <= {"ok", "warnings", "", "status"}
    assert rows["total"][0] == "warnings"


def test_counts_and_plurals_after_a_letter_is_deleted(tmp_path: Path, corpus: Path) -> None:
    """The total adds up the rows (letter outputs), and one of a thing is singular."""
    for name in ("1930-01-01-trotsky-to-odd.xml",):
        (corpus / "letters" / name).unlink()
    out = tmp_path / "edition"
    first = _table(build(corpus, out, console=console(), jobs=1))
    assert "2 files (2 letters: 2 rendered, 0 up to date)" in first["text"][1]
    assert "2 letters (letter outputs: 6 rendered, 0 up to date)" in first["total"][1]
    letters = sorted((corpus / "letters").glob("*.xml"))
    letters[-1].unlink()
    again = build(corpus, out, console=console(), jobs=1)
    rows = _table(again)
    assert "1 file (1 letter: 0 rendered, 1 up to date)" in rows["text"][1]
    assert "(1 chapter: 0 rendered, 1 up to date)" in rows["epub"][1]
    site = rows["site"][1]
    r = int(site.split("letter page: ")[1].split(" rendered")[0])  # its neighbour links changed: rendered again
    assert f"1 letter (letter outputs: {r} rendered, {3 - r} up to date)" in rows["total"][1]
    assert not re.search(r"\b1 (files|letters|errors)\b", str(rows))


def test_no_cmif_licence_is_an_error_row_and_no_file(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "edition"
    assert build(corpus, out, console=console(), jobs=1).exit_code == 0 and (out / "cmif.xml").is_file()
    edition = corpus / "edition.xml"
    text = edition.read_text(encoding="utf-8")
    edition.write_text(text.replace('<licence target="https://creativecommons.org/licenses/by/4.0/">', "<licence>"), encoding="utf-8")
    result = build(corpus, out, console=console(), jobs=1)
    rows = _table(result)
    assert result.exit_code == 1
    assert rows["cmif"][0] == "errors" and "TT721" in rows["cmif"][1] and rows["total"][0] == "errors"
    assert not (out / "cmif.xml").exists() and "cmif.xml" not in result.outputs  # nor the one of the last build
    assert (out / "site" / "index.html").is_file()  # the rest is still written
    lic = "https://creativecommons.org/publicdomain/zero/1.0/"
    assert main(["build", str(corpus), "-o", str(out), "--jobs", "1", "--licence", lic]) == 0
    assert lic in (out / "cmif.xml").read_text(encoding="utf-8")
    assert main(["build", str(corpus), "-o", str(out), "--jobs", "1", "--licence", "https://example.org/"]) == 2
