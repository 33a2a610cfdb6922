"""The reader's site in a real browser (Debian's Chromium, JavaScript on): search finds the 1929 letter by a word of
its text and a facet narrows the results, axe-core finds no serious or critical violation on the index, a letter, a
register, the search page and the picture pages, and screenshots at desktop and phone width for a person to look at."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from _sitekit import ARTIFACTS, AXE, CORPUS, FIXTURE, chromium, needs_chromium, served

from trotsky_tei.render.search import search_available
from trotsky_tei.render.site import export_html

LETTER_1929 = CORPUS / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
pytestmark = [
    needs_chromium,
    pytest.mark.skipif(not search_available(), reason="Pagefind is not installed (pip install 'trotsky-tei[search]')"),
]
needs_axe = pytest.mark.skipif(not AXE.is_file(), reason=f"axe-core not found at {AXE} (npm install --prefix .ci/axe axe-core@4)")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The fixture edition and the project corpus, built with their search index, each on a loopback port."""
    base = tmp_path_factory.mktemp("reader")
    with contextlib.ExitStack() as stack:
        urls = {}
        for name, corpus in (("fixture", FIXTURE), ("corpus", CORPUS)):
            if (corpus / "letters").is_dir():
                export_html([str(corpus)], base / name, search=True, jobs=1)
                urls[name] = stack.enter_context(served(base / name))
        yield urls


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def _page(browser: object, width: int = 1280) -> object:
    context = browser.new_context(java_script_enabled=True, viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    return context.new_page()


def _search(pg: object, words: str, at_least: int = 1) -> list[str]:
    pg.locator("pagefind-input input").fill(words)  # type: ignore[attr-defined]
    pg.wait_for_function(  # type: ignore[attr-defined]
        "n => document.querySelectorAll('pagefind-results a.pf-result-link').length >= n", arg=at_least, timeout=15000)
    return pg.locator("pagefind-results a.pf-result-link").evaluate_all("els => els.map(e => e.getAttribute('href'))")  # type: ignore[attr-defined, no-any-return]


@pytest.mark.skipif(not LETTER_1929.is_file(), reason="the 1929 letter is not in this checkout")
def test_search_finds_the_1929_letter_by_a_word_of_its_text(sites: dict[str, str], browser: object) -> None:
    pg = _page(browser)
    try:
        pg.goto(sites["corpus"] + "search.html")  # type: ignore[attr-defined]
        hrefs = _search(pg, "perspectives")  # in the letter's text: "…on your plans and perspectives"
        assert any("1929-04-30-trotsky-to-van-overstraeten" in h.rsplit("/", 1)[-1] for h in hrefs), hrefs
    finally:
        pg.context.close()  # type: ignore[attr-defined]


def test_a_facet_narrows_the_results(sites: dict[str, str], browser: object) -> None:
    pg = _page(browser)
    try:
        pg.goto(sites["fixture"] + "search.html")  # type: ignore[attr-defined]
        assert len(_search(pg, "Trotsky", 3)) == 3  # a correspondent of every letter of the fixture
        pg.locator("pagefind-filter-pane summary", has_text="Year").click()  # type: ignore[attr-defined]
        pg.locator("pagefind-filter-pane label", has_text="1930").click()  # type: ignore[attr-defined]
        pg.wait_for_function("document.querySelectorAll('pagefind-results a.pf-result-link').length === 1", timeout=15000)  # type: ignore[attr-defined]
        only = pg.locator("pagefind-results a.pf-result-link").first.get_attribute("href")  # type: ignore[attr-defined]
        assert only.endswith("letters/l3.html")
    finally:
        pg.context.close()  # type: ignore[attr-defined]


AXE_PAGES = ("index.html", "letters/l1.html", "persons.html", "search.html", "timeline.html", "correspondences.html")


@needs_axe
@pytest.mark.parametrize("rel", AXE_PAGES)
def test_axe_finds_no_serious_violation(sites: dict[str, str], browser: object, rel: str) -> None:
    pg = _page(browser)
    try:
        pg.goto(sites["fixture"] + rel)  # type: ignore[attr-defined]
        if rel == "search.html":
            _search(pg, "Trotsky", 3)  # with results and the facets shown
        pg.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
        violations = pg.evaluate(  # type: ignore[attr-defined]
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.html)}))")
        assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    finally:
        pg.context.close()  # type: ignore[attr-defined]


SHOTS = (("index", "index.html"), ("letter", "letters/letter-1929-04-30-trotsky-to-van-overstraeten.html"),
         ("search", "search.html"), ("timeline", "timeline.html"), ("network", "correspondences.html"))


@pytest.mark.parametrize(("width", "device"), [(1280, "desktop"), (390, "phone")])
def test_screenshots_for_a_person_to_look_at(sites: dict[str, str], browser: object, width: int, device: str) -> None:
    """Screenshots of the index, a letter, the search page with results and both pictures (tests/artifacts/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg = _page(browser, width)
    try:
        for name, rel in SHOTS:
            site = sites["corpus"] if name == "letter" and "corpus" in sites else sites["fixture"]
            if name == "letter" and "corpus" not in sites:
                rel = "letters/l1.html"
            pg.goto(site + rel)  # type: ignore[attr-defined]
            if name == "search":
                _search(pg, "Trotsky", 3)
            assert pg.evaluate("document.documentElement.scrollWidth") <= width, (name, width)  # type: ignore[attr-defined]
            shot = ARTIFACTS / f"reader-{name}-{device}.png"
            pg.screenshot(path=str(shot), full_page=name != "letter")  # type: ignore[attr-defined]
            assert shot.stat().st_size > 5000
    finally:
        pg.context.close()  # type: ignore[attr-defined]
