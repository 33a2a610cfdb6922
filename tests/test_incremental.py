"""Parallel and incremental builds: the same bytes whatever --jobs, a rebuild renders only what changed, and equals a full build."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from _sitekit import FIXTURE, tree_bytes
from rich.console import Console

from trotsky_tei.build import CACHE, MANIFEST, BuildResult, build
from trotsky_tei.cli import main
from trotsky_tei.render import letters as letters_mod
from trotsky_tei.render.collect import collect
from trotsky_tei.render.epub import export_epub
from trotsky_tei.render.letters import LetterRenderer
from trotsky_tei.parallel import ordered_map
from trotsky_tei.render.site import export_site
from trotsky_tei.render.text import export_text

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


def spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record (format, slug) of every output rendered in this process (use with jobs=1)."""
    seen: list[tuple[str, str]] = []
    original = LetterRenderer.__call__

    def call(self: LetterRenderer, task: tuple[int, tuple[str, ...]]) -> dict[str, letters_mod.Rendered]:
        seen.extend((fmt, self.data.letters[task[0]].slug) for fmt in task[1])
        return original(self, task)

    monkeypatch.setattr(LetterRenderer, "__call__", call)
    return seen


def letter_outputs(out: Path) -> dict[str, int]:
    """mtime_ns of every per-letter output (pages, texts, cached chapters)."""
    files = [*(out / "site" / "letters").iterdir(), *(out / "text").iterdir(), *(out / CACHE / "epub").iterdir()]
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in files}


def test_jobs_1_and_2_give_identical_bytes(tmp_path: Path, corpus: Path) -> None:
    one = run(corpus, tmp_path / "one", jobs=1)
    two = run(corpus, tmp_path / "two", jobs=2)
    a, b = tree_bytes(tmp_path / "one"), tree_bytes(tmp_path / "two")
    assert a == b
    assert len([k for k in a if k.startswith("site/letters/")]) == 6
    assert one.diagnostics == two.diagnostics and one.exit_code == two.exit_code == 0


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


def test_one_changed_letter_is_the_only_one_rendered_and_equals_a_full_build(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=2)
    before = letter_outputs(out)
    letter = corpus / "letters" / REPLY
    letter.write_text(letter.read_text(encoding="utf-8").replace("avons reçu", "avons bien reçu"), encoding="utf-8")
    seen = spy(monkeypatch)
    result = run(corpus, out, jobs=1)
    assert sorted(seen) == [("epub", "l2"), ("site", "l2"), ("text", "l2")]
    assert (result.rendered, result.up_to_date) == (1, 5)
    after = letter_outputs(out)
    changed = sorted(k for k in before if after[k] != before[k])
    assert changed == [f"{CACHE}/epub/letter-l2.xhtml", "site/letters/l2.html", "text/l2.txt"]
    assert "avons bien reçu" in (out / "text" / "l2.txt").read_text(encoding="utf-8")
    run(corpus, tmp_path / "full", jobs=1, cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_a_changed_title_renders_the_neighbours_too(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    letter = corpus / "letters" / REPLY
    letter.write_text(letter.read_text(encoding="utf-8").replace("Van Overstraeten to Trotsky, 10 May", "V. O. to T., 10 May"), encoding="utf-8")
    seen = spy(monkeypatch)
    run(corpus, out, jobs=1)
    pages = {slug for fmt, slug in seen if fmt == "site"}
    assert {"l1", "l2", "l3"} <= pages  # l1 and l3 link to l2 by its title
    assert {slug for fmt, slug in seen if fmt == "text"} == {"l2"}  # a text shows no neighbours
    assert "V. O. to T." in (out / "site" / "letters" / "l1.html").read_text(encoding="utf-8")
    run(corpus, tmp_path / "full", jobs=1, cache=False)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_a_registry_or_mode_change_renders_everything(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    persons = corpus / "registry" / "persons.xml"
    persons.write_text(persons.read_text(encoding="utf-8").replace("</listPerson>", "<!-- edited --></listPerson>"), encoding="utf-8")
    assert run(corpus, out, jobs=1).rendered == 6
    seen = spy(monkeypatch)
    run(corpus, out, jobs=1, mode="reading")
    assert sorted({fmt for fmt, _ in seen}) == ["site"]  # the mode is the web pages' only
    assert len(seen) == 6


def test_no_cache_renders_everything_and_writes_the_same(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = tree_bytes(out)
    result = run(corpus, out, jobs=1, cache=False)
    assert (result.rendered, result.up_to_date) == (6, 0)
    assert tree_bytes(out) == before
    assert main(["build", str(corpus), "-o", str(out), "--jobs", "1", "--no-cache"]) == 0
    assert main(["build", str(corpus), "-o", str(out), "--jobs", "1", "--full"]) == 0


def test_deleted_letter_leaves_no_page_text_chapter_or_entry(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    (corpus / "letters" / "1930-01-01-trotsky-to-odd.xml").unlink()
    seen = spy(monkeypatch)
    result = run(corpus, out, jobs=1)
    assert not (out / "site" / "letters" / "l3.html").exists()
    assert not (out / "text" / "l3.txt").exists()
    assert not (out / CACHE / "epub" / "letter-l3.xhtml").exists()
    assert not any("l3." in rel for rel in json.loads((out / MANIFEST).read_text(encoding="utf-8"))["entries"])
    # only pages whose neighbours changed: l2 and l1-copy now follow each other, l3-copy lost its correspondent's letter
    assert sorted(seen) == [("site", "l1-copy"), ("site", "l2"), ("site", "l3-copy")]
    assert result.rendered == 3
    run(corpus, tmp_path / "full", jobs=1)
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_an_edited_or_deleted_output_is_rendered_again(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = tree_bytes(out)
    (out / "site" / "letters" / "l1.html").write_text("scribbled over", encoding="utf-8")
    (out / "text" / "l2.txt").unlink()
    (out / CACHE / "epub" / "letter-l3.xhtml").write_text("<broken", encoding="utf-8")
    result = run(corpus, out, jobs=1)
    assert result.rendered == 3
    assert tree_bytes(out) == before


def test_a_damaged_manifest_costs_a_full_build(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "e"
    run(corpus, out, jobs=1)
    before = tree_bytes(out)
    for junk in ("{not json", '{"format": 1, "entries": {"site/letters/l1.html": {"key": 3}}}', "[]"):
        (out / MANIFEST).write_text(junk, encoding="utf-8")
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


def test_the_renderer_pickles_without_its_writers(corpus: Path) -> None:
    """Workers started by spawn or forkserver receive the renderer pickled: plain data, same output."""
    renderer = LetterRenderer(collect([str(corpus)]))
    here = renderer((0, ("site", "text", "epub")))
    assert renderer._cache  # writers made in this process ...
    copy = pickle.loads(pickle.dumps(renderer))
    assert copy._cache == {}  # ... are not sent along
    assert copy((0, ("site", "text", "epub"))) == here


def test_ordered_map_keeps_order_with_a_small_window() -> None:
    items = list(range(40))
    assert list(ordered_map(abs, [-i for i in items], 2, window=3)) == items
    assert list(ordered_map(abs, [-1], 4)) == [1]
    assert list(ordered_map(abs, [], 2)) == []


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
