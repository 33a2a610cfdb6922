"""Parallel and incremental builds: the same bytes whatever --jobs, a rebuild processes only what changed, and equals a full build."""

from __future__ import annotations

import pickle
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from _sitekit import FIXTURE, tree_bytes
from rich.console import Console

from trotsky_tei import letter_pass
from trotsky_tei.build import CACHE, BuildResult, build
from trotsky_tei.cli import main
from trotsky_tei.letter_pass import CorpusPass, PassOptions, process_letter
from trotsky_tei.parallel import LocalExecutor
from trotsky_tei.render.collect import collect
from trotsky_tei.render.epub import export_epub
from trotsky_tei.render.site import export_site
from trotsky_tei.render.text import export_text
from trotsky_tei.store import Store

REPLY = "1929-05-10-overstraeten-to-trotsky.xml"


def console() -> Console:
    return Console(file=StringIO(), width=160, color_system=None)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The fixture corpus plus three copies of its letters (new ids, dates a year later): six letters."""
    dst = tmp_path / "corpus"
    shutil.copytree(FIXTURE, dst)
    first = dst / "letters" / "1929-04-30-trotsky-to-overstraeten.xml"  # without its deliberately hostile ref
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace('<ref target="javascript:alert(1)">that must not be a link</ref>', "plain"), encoding="utf-8")
    for src in sorted((dst / "letters").glob("*.xml")):
        text = src.read_text(encoding="utf-8")
        text = re.sub(r'(<TEI\b[^>]*\bxml:id=")([^"]+)"', r'\1\2-copy"', text, count=1)
        text = text.replace('when="1929-', 'when="1931-').replace('when="1930-', 'when="1932-')
        (dst / "letters" / f"copy-{src.name}").write_text(text, encoding="utf-8")
    return dst


def run(corpus: Path, out: Path, **kw: object) -> BuildResult:
    return build(corpus, out, console=console(), **kw)  # type: ignore[arg-type]


def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the file name of every letter processed (parsed, checked, rendered) in this process (use with jobs=1)."""
    seen: list[str] = []
    original = letter_pass.process_letter

    def call(run: letter_pass.Run, path: str, *args: object) -> letter_pass.LetterOutcome:
        seen.append(Path(path).name)
        return original(run, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(letter_pass, "process_letter", call)
    return seen


def letter_outputs(out: Path) -> dict[str, int]:
    """mtime_ns of every per-letter output (pages, texts; the TEI sources beside the pages change with their letters)."""
    files = [*(out / "site" / "letters").glob("*.html"), *(out / "text").iterdir()]
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in files}


def changed(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(k for k in before if k in after and after[k] != before[k])


def test_jobs_1_and_2_give_identical_bytes(tmp_path: Path, corpus: Path) -> None:
    one = run(corpus, tmp_path / "one", jobs=1)
    two = run(corpus, tmp_path / "two", jobs=2)
    a, b = tree_bytes(tmp_path / "one"), tree_bytes(tmp_path / "two")
    assert a == b
    assert len([k for k in a if k.startswith("site/letters/") and k.endswith(".html")]) == 6
    assert one.diagnostics == two.diagnostics and one.exit_code == two.exit_code == 0


def test_letter_pages_made_by_workers_are_the_same_bytes_and_a_rebuild_makes_only_the_changed_one(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --jobs 2 and many letter pages to make, worker processes make and write them (`make_letter_pages`):
    the same files as --jobs 1, recorded for the next build, which then makes only a changed letter's page."""
    from trotsky_tei.render import site

    made: list[int] = []
    original = site.Site._letter_pages

    def counted(self: site.Site, outputs: object, to_make: list[tuple[int, str, str]], executor: object) -> None:
        made.append(len(to_make))
        original(self, outputs, to_make, executor)  # type: ignore[arg-type]

    monkeypatch.setattr(site, "PARALLEL_PAGES", 1)  # six letters are "many"
    monkeypatch.setattr(site, "PAGE_BATCH", 1)  # six batches: a worker process is started for them
    monkeypatch.setattr(site.Site, "_letter_pages", counted)
    run(corpus, tmp_path / "one", jobs=1)
    two = run(corpus, tmp_path / "two", jobs=2)
    assert made == [6]  # --jobs 1 makes its pages itself
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    assert "6 rendered" in next(s.detail for s in two.steps if s.name == "site")
    before = letter_outputs(tmp_path / "two")
    letter = corpus / "letters" / REPLY
    letter.write_text(letter.read_text(encoding="utf-8").replace("avons reçu", "avons bien reçu"), encoding="utf-8")
    again = run(corpus, tmp_path / "two", jobs=2)
    assert made == [6, 1] and "1 rendered, 5 up to date" in next(s.detail for s in again.steps if s.name == "site")
    assert changed(before, letter_outputs(tmp_path / "two")) == ["site/letters/l2.html", "text/l2.txt"]
    run(corpus, tmp_path / "full", jobs=1, cache=False)
    assert tree_bytes(tmp_path / "two") == tree_bytes(tmp_path / "full")


def test_build_epub_is_byte_identical_to_export_epub(tmp_path: Path, corpus: Path) -> None:
    run(corpus, tmp_path / "e", jobs=2)
    export_epub(collect([str(corpus)]), tmp_path / "alone.epub")
    (book,) = (tmp_path / "e").glob("*.epub")
    assert book.read_bytes() == (tmp_path / "alone.epub").read_bytes()


def test_rebuild_with_nothing_changed_renders_nothing(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "e"
    first = run(corpus, out, jobs=1)
    assert (first.rendered, first.up_to_date) == (6, 0)
    before, before_bytes = letter_outputs(out), tree_bytes(out)
    seen = spy(monkeypatch)
    again = run(corpus, out, jobs=1)
    assert seen == []
    assert (again.rendered, again.up_to_date) == (0, 6)
    assert letter_outputs(out) == before and tree_bytes(out) == before_bytes
    assert "0 rendered, 6 up to date" in next(s.detail for s in again.steps if s.name == "site")
    assert again.diagnostics == first.diagnostics


def test_one_changed_letter_is_the_only_one_processed_and_equals_a_full_build(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=2)
    before = letter_outputs(out)
    letter = corpus / "letters" / REPLY
    letter.write_text(letter.read_text(encoding="utf-8").replace("avons reçu", "avons bien reçu"), encoding="utf-8")
    seen = spy(monkeypatch)
    result = run(corpus, out, jobs=1)
    assert seen == [REPLY]
    assert (result.rendered, result.up_to_date) == (1, 5)
    assert changed(before, letter_outputs(out)) == ["site/letters/l2.html", "text/l2.txt"]
    assert "avons bien reçu" in (out / "text" / "l2.txt").read_text(encoding="utf-8")
    run(corpus, tmp_path / "full", jobs=1, cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_a_rebuild_copies_the_unchanged_chapters_from_the_last_book(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the changed letter's chapter is compressed again; the others are copied as they are: the same bytes."""
    from trotsky_tei.render import epub

    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    letter = corpus / "letters" / REPLY
    letter.write_text(letter.read_text(encoding="utf-8").replace("avons reçu", "avons bien reçu"), encoding="utf-8")
    copied: list[str] = []
    original = epub._Previous.copy

    def copy(self: epub._Previous, zf: object, name: str) -> bool:
        done = original(self, zf, name)  # type: ignore[arg-type]
        if done:
            copied.append(name)
        return done

    monkeypatch.setattr(epub._Previous, "copy", copy)
    run(corpus, out, jobs=1)
    chapters = [n for n in copied if n.startswith("OEBPS/letter-")]
    assert len(chapters) == 5 and "OEBPS/letter-l2.xhtml" not in chapters
    assert {"OEBPS/nav.xhtml", "OEBPS/persons.xhtml", "OEBPS/content.opf"} <= set(copied)  # the records did not change
    run(corpus, tmp_path / "full", jobs=1, cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")
    copied.clear()
    letter.write_text(letter.read_text(encoding="utf-8").replace("Van Overstraeten to Trotsky, 10 May", "V. O. to T., 10 May"), encoding="utf-8")
    run(corpus, out, jobs=1)
    assert "OEBPS/nav.xhtml" not in copied and len(copied) == 5  # a title changed: the contents are made anew
    run(corpus, tmp_path / "full2", jobs=1, cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full2")


def test_a_changed_title_writes_the_neighbours_pages_again(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = letter_outputs(out)
    letter = corpus / "letters" / REPLY
    letter.write_text(letter.read_text(encoding="utf-8").replace("Van Overstraeten to Trotsky, 10 May", "V. O. to T., 10 May"), encoding="utf-8")
    seen = spy(monkeypatch)
    run(corpus, out, jobs=1)
    assert seen == [REPLY]  # only the changed letter is read; its neighbours' pages are made from what the store has
    rewritten = changed(before, letter_outputs(out))
    assert {"site/letters/l1.html", "site/letters/l2.html", "site/letters/l3.html"} <= set(rewritten)  # they link to l2
    assert [r for r in rewritten if r.startswith("text/")] == ["text/l2.txt"]  # a text shows no neighbours
    assert "V. O. to T." in (out / "site" / "letters" / "l1.html").read_text(encoding="utf-8")
    run(corpus, tmp_path / "full", jobs=1, cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_a_registry_change_redoes_exactly_the_letters_that_use_a_changed_entry(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    persons = corpus / "registry" / "persons.xml"
    persons.write_text(persons.read_text(encoding="utf-8").replace("</listPerson>", "<!-- edited --></listPerson>"), encoding="utf-8")
    seen = spy(monkeypatch)
    assert run(corpus, out, jobs=1).rendered == 0  # no entry changed
    assert seen == []
    # Marx is named by the first letter (and its copy) only
    persons.write_text(persons.read_text(encoding="utf-8").replace(
        '<idno type="GND">118578537</idno>', '<idno type="GND">118578537</idno><note>Philosopher.</note>'), encoding="utf-8")
    result = run(corpus, out, jobs=1)
    assert sorted(seen) == ["1929-04-30-trotsky-to-overstraeten.xml", "copy-1929-04-30-trotsky-to-overstraeten.xml"]
    assert (result.rendered, result.up_to_date) == (2, 4)
    assert "Philosopher." in (out / "site" / "persons.html").read_text(encoding="utf-8")
    run(corpus, tmp_path / "full", jobs=1, cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_a_mode_change_processes_the_letters_again_and_keeps_what_did_not_change(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = letter_outputs(out)
    seen = spy(monkeypatch)
    run(corpus, out, jobs=1, mode="reading")
    assert len(seen) == 6
    rewritten = changed(before, letter_outputs(out))
    assert len(rewritten) == 6 and all(r.startswith("site/") for r in rewritten)  # the texts are the same bytes


def test_no_cache_renders_everything_and_writes_the_same(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = tree_bytes(out)
    result = run(corpus, out, jobs=1, cache=False)
    assert (result.rendered, result.up_to_date) == (6, 0)
    assert tree_bytes(out) == before
    assert main(["build", str(corpus), "-o", str(out), "--jobs", "1", "--no-cache"]) == 0
    assert main(["build", str(corpus), "-o", str(out), "--jobs", "1", "--full"]) == 0


def test_deleted_letter_leaves_no_page_text_or_entry(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = letter_outputs(out)
    gone = corpus / "letters" / "1930-01-01-trotsky-to-odd.xml"
    gone.unlink()
    seen = spy(monkeypatch)
    result = run(corpus, out, jobs=1)
    assert not (out / "site" / "letters" / "l3.html").exists()
    assert not (out / "text" / "l3.txt").exists()
    with Store(out / CACHE / "build.sqlite") as store:
        assert store.cached(str(gone)) is None
        assert not any("l3." in rel for rel in store.outputs())
    assert seen == [] and result.rendered == 0
    # only pages whose neighbours changed: l2 and l1-copy now follow each other, l3-copy lost its correspondent's letter
    assert changed(before, letter_outputs(out)) == ["site/letters/l1-copy.html", "site/letters/l2.html", "site/letters/l3-copy.html"]
    run(corpus, tmp_path / "full", jobs=1)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_an_edited_or_deleted_output_is_written_again(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = tree_bytes(out)
    (out / "site" / "letters" / "l1.html").write_text("scribbled over", encoding="utf-8")
    (out / "text" / "l2.txt").unlink()
    (book,) = out.glob("*.epub")
    book.write_bytes(b"broken")
    result = run(corpus, out, jobs=1)
    assert result.rendered == 0 and result.outputs_rendered == 2 + 0  # two letter outputs; the book is not a letter's
    assert tree_bytes(out) == before


def test_a_damaged_store_costs_a_full_build(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = tree_bytes(out)
    for junk in (b"{not a database", b"SQLite format 3\x00" + b"\x00" * 200, b""):
        (out / CACHE / "build.sqlite").write_bytes(junk)
        assert run(corpus, out, jobs=1).rendered == 6
        assert tree_bytes(out) == before


def test_kept_letters_still_report_their_render_warnings(tmp_path: Path, corpus: Path) -> None:
    letter = corpus / "letters" / REPLY
    letter.write_text(letter.read_text(encoding="utf-8").replace("avons reçu", "avons <oddThing>reçu</oddThing>"), encoding="utf-8")
    out = tmp_path / "e"
    first = run(corpus, out, jobs=1)
    assert any(d.code == "TT701" for d in first.diagnostics)
    again = run(corpus, out, jobs=1)
    assert again.up_to_date == 6
    assert again.diagnostics == first.diagnostics
    assert [s.detail for s in again.steps][2:] != [s.detail for s in first.steps][2:]  # the counts differ ...
    assert [s.status for s in again.steps] == [s.status for s in first.steps]  # ... the verdicts do not


def test_export_html_and_text_are_the_same_whatever_jobs(tmp_path: Path, corpus: Path) -> None:
    data = collect([str(corpus)])
    export_site(data, tmp_path / "h1", jobs=1)
    export_site(data, tmp_path / "h2", jobs=2)
    assert tree_bytes(tmp_path / "h1") == tree_bytes(tmp_path / "h2")
    w1, _, d1 = export_text([str(corpus)], str(tmp_path / "t1"), jobs=1)
    w2, _, d2 = export_text([str(corpus)], str(tmp_path / "t2"), jobs=2)
    assert len(w1) == len(w2) == 6 and d1 == d2
    assert tree_bytes(tmp_path / "t1") == tree_bytes(tmp_path / "t2")
    assert export_text([str(corpus)], "-", jobs=2)[1] == export_text([str(corpus)], "-", jobs=1)[1]
    assert main(["export", "html", str(corpus), "-o", str(tmp_path / "h3"), "--jobs", "2"]) == 0
    assert tree_bytes(tmp_path / "h3") == tree_bytes(tmp_path / "h1")


def test_export_html_letter_pages_made_by_workers_are_the_same_bytes(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trotsky_tei.render import site

    monkeypatch.setattr(site, "PARALLEL_PAGES", 1)  # six letters are "many": workers make the pages
    monkeypatch.setattr(site, "PAGE_BATCH", 1)
    data = collect([str(corpus)])
    export_site(data, tmp_path / "h1", jobs=1)
    export_site(data, tmp_path / "h2", jobs=2)
    assert tree_bytes(tmp_path / "h1") == tree_bytes(tmp_path / "h2")
    assert len([k for k in tree_bytes(tmp_path / "h2") if k.startswith("letters/") and k.endswith(".html")]) == 6


def test_the_run_pickles_without_its_schema(corpus: Path) -> None:
    """Workers (started by spawn or forkserver, or on Dask) receive the run pickled: plain data, same results."""
    the_pass = CorpusPass([str(corpus)], PassOptions(consumers=("validate", "record", "site", "epub", "text")))
    result = the_pass.run()
    run_ = result.run
    assert run_._schema is not None  # compiled in this process ...
    copy = pickle.loads(pickle.dumps(run_))
    assert copy._schema is None  # ... and not sent along
    path = next(str(p) for p in sorted((corpus / "letters").glob("*.xml")))
    key = next(iter(run_.registries))
    here = process_letter(run_, path, key, Path(path).read_bytes(), ())
    there = process_letter(copy, path, key, Path(path).read_bytes(), ())
    assert (there.key, there.meta, there.parts) == (here.key, here.meta, here.parts)


def test_the_local_executor_keeps_order() -> None:
    items = list(range(40))
    assert list(LocalExecutor(2).map(_negate, 0, items)) == [-i for i in items]
    assert list(LocalExecutor(4).map(_negate, 0, [1])) == [-1]
    assert list(LocalExecutor(2).map(_negate, 0, [])) == []


def _negate(_context: int, item: int) -> int:
    return -item


def test_neighbours_match_the_plain_definition(corpus: Path) -> None:
    """The indexed neighbours (linear time) give what the definition says: the letters before and after in the pool."""
    data = collect([str(corpus)])
    for index, here in enumerate(data.letters):
        for same in (False, True):
            pool = [i for i, info in enumerate(data.letters) if i == index or not same
                    or (info.correspondence and info.correspondence == here.correspondence)]
            pos = pool.index(index)
            want = (data.letters[pool[pos - 1]] if pos else None, data.letters[pool[pos + 1]] if pos + 1 < len(pool) else None)
            assert data.neighbours(index, same) == want
    assert any(data.neighbours(i, True) != (None, None) for i in range(len(data.letters)))
