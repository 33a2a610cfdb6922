"""Full-text search (Pagefind): the markup letter pages carry, the index (and that it is byte-identical from run to
run), the error without Pagefind, and the search page in Chromium with JavaScript (a unique word, a facet, axe-core)."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _sitekit import ARTIFACTS, AXE, chromium, served, tree_bytes

from trotsky_tei.render import search
from trotsky_tei.render.core import esc
from trotsky_tei.render.search import (
    INSTALL_HINT,
    MAX_VALUE_CHARS,
    SearchError,
    SearchUnavailable,
    cbor_decode,
    cbor_encode,
    filter_spans,
    index_site,
    search_page_body,
)
from trotsky_tei.render.site import Templates


def _pagefind_missing() -> str:
    try:
        from pagefind.service import get_executable
    except ImportError:
        return "the pagefind package is not installed (pip install 'trotsky-tei[search]')"
    return "" if get_executable() is not None else "the pagefind package has no indexer binary (pip install 'pagefind[bin]')"


needs_pagefind = pytest.mark.skipif(bool(_pagefind_missing()), reason=_pagefind_missing() or "-")

LETTERS = [
    # slug, title, date, ISO date, correspondent, place, language, repository, text
    ("l1", "Trotsky to Van Overstraeten, 3 March 1929", "3 March 1929", "1929-03-03", "War van Overstraeten",
     "Prinkipo, Büyükada", "English", "Houghton Library, Harvard",
     "The exile on the island is quiet. The word Prinkipo-zzyzx appears in this letter alone. The opposition "
     "in Belgium must publish its platform."),
    ("l2", "Van Overstraeten to Trotsky, 10 May 1929", "10 May 1929", "1929-05-10", "War van Overstraeten",
     "Brussels", "French", "Houghton Library, Harvard",
     "Your letter reached us late. The opposition in Belgium discussed the platform and the newspaper."),
    ("l3", "Trotsky to Rosmer, 4 January 1930", "4 January 1930", "1930-01-04", "Alfred Rosmer",
     "Prinkipo, Büyükada", "French", "Musée social, Paris",
     "The opposition needs its own newspaper in France; the platform is ready. Write to me <soon> & often."),
]


def _shell(title: str, main: str, root: str) -> str:
    nav = f'<ul><li><a href="{root}index.html">Letters</a></li><li><a href="{root}search.html">Search</a></li></ul>'
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
            f'<link rel="stylesheet" href="{root}style.css">\n</head>\n<body>\n<header><p>Letters of the Opposition</p>'
            f'<nav aria-label="Edition">{nav}</nav></header>\n<main id="main">\n{main}\n</main>\n'
            "<footer><p>Test edition.</p></footer>\n</body>\n</html>\n")


def make_site(root: Path, *, reverse: bool = False) -> Path:
    """A hand-made site: three letter pages (articles opting in, with facets), an index page and the search page.
    `reverse` writes the files in the other order (the index must not depend on the order files were made)."""
    (root / "letters").mkdir(parents=True)
    pages: list[tuple[str, str]] = []
    for slug, title, date, iso, who, place, lang, repo, text in LETTERS:
        data = filter_spans(
            {"correspondent": [who], "year": [iso[:4]], "place": [place], "language": [lang], "repository": [repo]},
            meta={"date": date}, sort={"date": iso},
        )
        article = (f'<article class="letter" data-pagefind-body aria-labelledby="t">\n<h1 id="t">{esc(title)}</h1>\n'
                   f"{data}\n<p>{esc(text)}</p>\n</article>")
        pages.append((f"letters/{slug}.html", _shell(title, article, "../")))
    rows = "".join(f'<li><a href="letters/{s}.html">{esc(t)}</a></li>' for s, t, *_ in LETTERS)
    pages.append(("index.html", _shell("Letters", f"<h1>Letters</h1>\n<p>Prinkipo-zzyzx opposition</p><ul>{rows}</ul>", "")))
    pages.append(("search.html", _shell("Search", search_page_body(), "")))
    for rel, html in reversed(pages) if reverse else pages:
        (root / rel).write_text(html, encoding="utf-8")
    (root / "style.css").write_text(Templates().text("style.css"), encoding="utf-8")
    return root


# --- markup (no Pagefind needed) ---------------------------------------------------------------------------


def test_filter_spans_escape_bound_and_name_the_facets() -> None:
    html = filter_spans({"place": ['Prinkipo "<island>"', "", "  Prinkipo   \"<island>\" "], "year": ["1929"],
                         "correspondent": ["x" * 500]}, meta={"date": "3 March 1929"}, sort={"date": "1929-03-03"})
    assert html.startswith('<div class="search-data" data-pagefind-ignore hidden>') and html.endswith("</div>")
    assert '<span data-pagefind-filter="Place">Prinkipo &quot;&lt;island&gt;&quot;</span>' in html
    assert html.count('data-pagefind-filter="Place"') == 1  # the empty value and the repeat are dropped
    assert '<span data-pagefind-filter="Year">1929</span>' in html
    assert ">" + "x" * (MAX_VALUE_CHARS - 1) + "…<" in html
    assert '<span data-pagefind-meta="date">3 March 1929</span>' in html
    assert '<span data-pagefind-sort="date">1929-03-03</span>' in html
    assert "Jahr" in filter_spans({"year": ["1929"]}, labels=search.facet_labels("de"))
    assert filter_spans({"year": []}) == ""
    for bad in ("any", "a:b", "x[y]", "", "1929"):
        with pytest.raises(search.UsageError):
            filter_spans({bad: ["v"]}, labels={})


def test_search_page_body_labels_and_noscript() -> None:
    body = search_page_body({**search.search_labels("de"), "placeholder": 'Briefe "durchsuchen"'})
    assert '<h1 id="search-title">Suche</h1>' in body
    assert '<pagefind-input placeholder="Briefe &quot;durchsuchen&quot;">' in body
    assert "<noscript><p class=\"search-noscript\">Die Suche braucht JavaScript" in body
    assert 'href="pagefind/pagefind-component-ui.css"' in body and 'src="pagefind/pagefind-component-ui.js" defer' in body
    assert "<pagefind-filter-pane>" in body and "<pagefind-results hide-sub-results>" in body
    assert 'src="../pagefind/' in search_page_body(root="../")
    assert "Searching needs JavaScript" in search_page_body()


def test_cbor_round_trip() -> None:
    for value in (0, 23, 24, 255, 256, 65536, 2**32, -1, -25, "", "Büyükada", b"\x00", [], [1, ["a", [2, -3]]]):
        assert cbor_decode(cbor_encode(value)) == value
    assert cbor_encode([1, "ab"]) == bytes([0x82, 0x01, 0x62]) + b"ab"
    with pytest.raises(SearchError):
        cbor_decode(b"\xa1\x01\x02")  # a map: not in Pagefind's metadata or filters


def test_without_pagefind_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    make_site(tmp_path / "site")
    monkeypatch.setitem(sys.modules, "pagefind", None)  # import pagefind... raises ImportError
    monkeypatch.setitem(sys.modules, "pagefind.service", None)
    with pytest.raises(SearchUnavailable) as info:
        index_site(tmp_path / "site", lang="en")
    assert str(info.value) == INSTALL_HINT == "search needs Pagefind: pip install 'trotsky-tei[search]'"
    assert not (tmp_path / "site" / "pagefind").exists()


def test_without_the_binary_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("pagefind.service", reason="the pagefind package is not installed")
    import pagefind.service

    monkeypatch.setattr(pagefind.service, "get_executable", lambda: None)
    with pytest.raises(SearchUnavailable, match="no pagefind binary"):
        index_site(make_site(tmp_path / "site"), lang="en")


# --- the index -----------------------------------------------------------------------------------------------


@needs_pagefind
def test_index_site_writes_a_deterministic_bundle(tmp_path: Path) -> None:
    a = make_site(tmp_path / "a")
    b = make_site(tmp_path / "b", reverse=True)
    ra, rb = index_site(a, lang="en"), index_site(b, lang="en")
    assert rb.files == ra.files
    assert ra.pages == ("letters/l1.html", "letters/l2.html", "letters/l3.html")  # only the pages that opt in
    assert ra.language == "en" and ra.pagefind_version >= "1.5"
    for name in ("pagefind-entry.json", "pagefind.js", "pagefind-component-ui.js", "pagefind-component-ui.css",
                 "trotsky-search.css", "wasm.en.pagefind"):
        assert name in ra.files
    assert sum(f.startswith("fragment/") for f in ra.files) == 3
    assert sum(f.startswith("filter/") for f in ra.files) == 5
    assert tree_bytes(a / "pagefind") == tree_bytes(b / "pagefind")  # every file, byte for byte
    # again into the same folder: the earlier bundle is replaced, nothing stale is left, the bytes are the same
    before = tree_bytes(a / "pagefind")
    (a / "pagefind" / "filter" / "en_stale.pf_filter").write_bytes(b"x")
    index_site(a, lang="en")
    assert tree_bytes(a / "pagefind") == before
    entry = json.loads((a / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["en"] and entry["languages"]["en"]["page_count"] == 3
    # the facet files hold their values sorted, and the facets' words are not searchable text
    year = [f for f in ra.files if f.startswith("filter/")]
    values = [cbor_decode(gzip.decompress((a / "pagefind" / f).read_bytes())[12:]) for f in year]
    assert sorted(v[0] for v in values) == ["Correspondent", "Language", "Place", "Repository", "Year"]  # type: ignore[index]
    for v in values:
        assert v[1] == sorted(v[1])  # type: ignore[index]
    frag = [f for f in ra.files if f.startswith("fragment/")]
    texts = [json.loads(gzip.decompress((a / "pagefind" / f).read_bytes())[12:]) for f in frag]
    assert all("Houghton" not in t["content"] for t in texts)
    assert {t["url"] for t in texts} == {"letters/l1.html", "letters/l2.html", "letters/l3.html"}


@needs_pagefind
def test_index_site_refuses_a_foreign_folder_and_a_site_without_letters(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    (site / "pagefind").mkdir()
    (site / "pagefind" / "mine.txt").write_text("not Pagefind's", encoding="utf-8")
    with pytest.raises(search.OutputError, match="not a Pagefind bundle"):
        index_site(site, lang="en")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "index.html").write_text("<!DOCTYPE html><html lang=en><title>x</title><p>x</p>", encoding="utf-8")
    with pytest.raises(SearchError, match="data-pagefind-body"):
        index_site(empty, lang="en")
    with pytest.raises(search.UsageError, match="not a language"):
        index_site(site, lang="klingonish")


# --- the search page in a browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _pagefind_missing():
        pytest.skip(_pagefind_missing())
    site = make_site(tmp_path_factory.mktemp("search") / "site")
    index_site(site, lang="en")
    with served(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def _results(pg: object) -> list[str]:
    return pg.locator("pagefind-results a.pf-result-link").evaluate_all("els => els.map(e => e.getAttribute('href'))")  # type: ignore[attr-defined, no-any-return]


def _search(pg: object, words: str, count: int) -> list[str]:
    box = pg.locator("pagefind-input input")  # type: ignore[attr-defined]
    box.fill(words)
    pg.wait_for_function(  # type: ignore[attr-defined]
        "n => document.querySelectorAll('pagefind-results a.pf-result-link').length === n", arg=count, timeout=15000)
    return _results(pg)


def test_search_finds_the_one_letter_and_a_facet_narrows(served_site: str, browser: object) -> None:
    context = browser.new_context(java_script_enabled=True, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        pg.goto(served_site + "search.html")
        assert pg.locator("noscript").count() == 1
        box = pg.get_by_role("searchbox")
        assert box.count() == 1 and box.get_attribute("placeholder") == "Search the letters"
        assert _search(pg, "Prinkipo-zzyzx", 1)[0].endswith("letters/l1.html")  # not the index page, which has it too
        hrefs = _search(pg, "opposition", 3)
        assert sorted(h.rsplit("/", 1)[-1] for h in hrefs) == ["l1.html", "l2.html", "l3.html"]
        pg.locator("pagefind-filter-pane summary", has_text="Year").click()
        pg.locator("pagefind-filter-pane label", has_text="1930").click()  # by mouse: a label of a real checkbox
        pg.wait_for_function("document.querySelectorAll('pagefind-results a.pf-result-link').length === 1", timeout=15000)
        assert _results(pg)[0].endswith("letters/l3.html")
        # the same by keyboard: Tab to the year's checkbox and Space unticks it; the three letters are back
        pg.locator("pagefind-filter-pane input[type=checkbox][value='1930']").focus()
        pg.keyboard.press("Space")
        pg.wait_for_function("document.querySelectorAll('pagefind-results a.pf-result-link').length === 3", timeout=15000)
        # the link opens the letter
        pg.locator("pagefind-results a.pf-result-link").first.click()
        pg.wait_for_load_state()
        assert "/letters/l" in pg.url
        assert not errors
    finally:
        context.close()


@pytest.mark.skipif(not AXE.is_file(), reason=f"axe-core not found at {AXE} (npm install --prefix .ci/axe axe-core@4)")
def test_search_page_axe_and_screenshots(served_site: str, browser: object) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, width in (("desktop", 1280), ("phone", 390)):
        context = browser.new_context(java_script_enabled=True, viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        pg = context.new_page()
        try:
            pg.goto(served_site + "search.html")
            _search(pg, "opposition", 3)
            pg.locator("pagefind-filter-pane summary", has_text="Year").click()
            pg.add_script_tag(path=str(AXE))
            violations = pg.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.html)}))")
            bad = [v for v in violations if v["impact"] in ("serious", "critical")]
            assert not bad, bad
            assert pg.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
            shot = ARTIFACTS / f"search-{name}.png"
            pg.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 1000
        finally:
            context.close()
