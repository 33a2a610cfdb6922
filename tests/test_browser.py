"""A real browser on the built site: Debian's Chromium, headless, driven by Playwright, over a local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _sitekit import ARTIFACTS, FIXTURE, chromium, needs_chromium, served

from trotsky_tei.render.collect import collect
from trotsky_tei.render.site import export_site

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture edition's site served on 127.0.0.1 at a random port; stopped afterwards."""
    root = tmp_path_factory.mktemp("browser") / "site"
    export_site(collect([str(FIXTURE)]), root)
    with served(root) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with chromium() as b:
        yield b


def _page(browser: object, width: int, height: int) -> Iterator[object]:
    """A page of a new context without JavaScript (the site must work without it) at the given viewport."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def page(browser: object) -> Iterator[object]:
    yield from _page(browser, 1000, 900)


@pytest.fixture(scope="module")
def phone(browser: object) -> Iterator[object]:
    """A phone's width: 390 CSS pixels."""
    yield from _page(browser, 390, 844)


LETTERS = ("letters/l1.html", "letters/l2.html", "letters/l3.html")


def test_footnote_marker_to_note_and_back(server: str, page: object) -> None:
    pg = page  # a playwright Page
    pg.goto(server + "letters/l1.html")  # type: ignore[attr-defined]
    marker = pg.locator(".text-block .view-reading a.noteref").first  # type: ignore[attr-defined]
    marker.click()
    assert pg.url.endswith("#note-1")  # type: ignore[attr-defined]
    note = pg.locator("#note-1")  # type: ignore[attr-defined]
    assert "Belgian opposition" in note.inner_text()
    assert note.is_visible()
    note.locator("a.noteback").click()
    assert pg.url.endswith("#noteref-1")  # type: ignore[attr-defined]
    assert pg.locator("#noteref-1").is_visible()  # type: ignore[attr-defined]


def test_view_switch_works_without_javascript(server: str, page: object) -> None:
    pg = page
    pg.goto(server + "letters/l1.html")  # type: ignore[attr-defined]
    reading, diplomatic = pg.locator(".text-block .view-reading"), pg.locator(".text-block .view-diplomatic")  # type: ignore[attr-defined]
    assert reading.is_visible() and not diplomatic.is_visible()
    pg.locator("label[for=view-diplomatic]").click()  # type: ignore[attr-defined]
    assert diplomatic.is_visible() and not reading.is_visible()
    assert "recieved" in diplomatic.inner_text()


def test_register_link_and_screenshot(server: str, page: object) -> None:
    pg = page
    pg.goto(server + "letters/l1.html")  # type: ignore[attr-defined]
    pg.locator(".letter-metadata a[href$='persons.html#overstraeten']").click()  # type: ignore[attr-defined]
    assert pg.url.endswith("persons.html#overstraeten")  # type: ignore[attr-defined]
    entry = pg.locator("#overstraeten")  # type: ignore[attr-defined]
    assert "War van Overstraeten" in entry.inner_text() and entry.is_visible()
    entry.locator("a[href='letters/l2.html']").click()
    assert pg.url.endswith("letters/l2.html")  # type: ignore[attr-defined]
    assert pg.locator("h1").inner_text() == "Van Overstraeten to Trotsky, 10 May 1929"  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "site-letter-l2.png"
    pg.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 1000


def _in_page_links(pg: object, scope: str) -> list[str]:
    """The in-page targets (`#id`) of every link under `scope`: note markers, note back-links, apparatus lemmas."""
    hrefs = pg.locator(f"{scope} a[href^='#']").evaluate_all("els => els.map(e => e.getAttribute('href'))")  # type: ignore[attr-defined]
    return [h[1:] for h in hrefs]


@pytest.mark.parametrize("view", ["reading", "diplomatic"])
def test_each_views_links_land_on_visible_elements_of_that_view(server: str, page: object, view: str) -> None:
    """In either view, every note marker, note back-link and apparatus lemma link leads to an element the reader
    sees (not into the hidden view), and the notes and the apparatus shown are the view's own."""
    pg = page
    other = "reading" if view == "diplomatic" else "diplomatic"
    checked = 0
    for rel in LETTERS:
        pg.goto(server + rel)  # type: ignore[attr-defined]
        pg.locator(f"label[for=view-{view}]").click()  # type: ignore[attr-defined]
        for part in ("text-block", "notes", "apparatus"):
            shown, hidden = pg.locator(f"section.{part} .view-{view}"), pg.locator(f"section.{part} .view-{other}")  # type: ignore[attr-defined]
            if shown.count():
                assert shown.is_visible() and not hidden.is_visible(), (rel, part)
        targets = _in_page_links(pg, f".view-{view}")
        kinds = pg.locator(f".view-{view} a[href^='#']").evaluate_all("els => els.map(e => e.className)")  # type: ignore[attr-defined]
        for target, kind in zip(targets, kinds, strict=True):
            link = pg.locator(f".view-{view} a[href='#{target}']").first  # type: ignore[attr-defined]
            link.click()
            assert pg.url.endswith("#" + target), (rel, kind, target)  # type: ignore[attr-defined]
            landed = pg.locator(f"[id='{target}']")  # type: ignore[attr-defined]
            assert landed.count() == 1 and landed.is_visible(), (rel, kind, target)
            assert pg.locator(f".view-{view} [id='{target}']").count() == 1, (rel, kind, target)  # type: ignore[attr-defined]
            checked += 1
        assert pg.locator(f"#view-{view}").is_checked()  # type: ignore[attr-defined]  # following the links kept the view
    assert checked >= 8  # markers, back-links and apparatus links were all followed
    if view == "diplomatic":
        pg.goto(server + "letters/l1.html")  # type: ignore[attr-defined]
        pg.locator("label[for=view-diplomatic]").click()  # type: ignore[attr-defined]
        apparatus = pg.locator("section.apparatus .view-diplomatic").inner_text()  # type: ignore[attr-defined]
        assert "recieved" in apparatus and "corr." in apparatus  # the diplomatic text's own apparatus: the correction


PAGES = ("index.html", *LETTERS, "persons.html", "places.html", "orgs.html", "concordance.html", "about.html",
         "timeline.html", "years/1929.html", "correspondences.html", "correspondences/trotsky--overstraeten.html")


@pytest.mark.parametrize("rel", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(server: str, phone: object, rel: str) -> None:
    """At 390 px wide no page is wider than the screen (a wide table scrolls in its own box)."""
    pg = phone
    pg.goto(server + rel)  # type: ignore[attr-defined]
    for view in (("reading", "diplomatic") if rel in LETTERS else ("",)):
        if view:
            pg.locator(f"label[for=view-{view}]").click()  # type: ignore[attr-defined]
        width, client = pg.locator("html").evaluate("e => [e.scrollWidth, e.clientWidth]")  # type: ignore[attr-defined]
        assert client == 390 and width <= client, (rel, view, width)


def test_the_index_table_scrolls_in_its_own_box_on_a_phone(server: str, phone: object) -> None:
    pg = phone
    pg.goto(server + "index.html")  # type: ignore[attr-defined]
    box = pg.locator(".table-scroll").first  # type: ignore[attr-defined]
    scroll, client = box.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll > client and box.evaluate("e => getComputedStyle(e).overflowX") == "auto"


@pytest.mark.parametrize("rel", LETTERS)
def test_footnote_markers_and_view_switch_are_tappable_on_a_phone(server: str, phone: object, rel: str) -> None:
    """At 390 px: every note marker (and back-link) is a target of at least 24 by 24 px, in both views; the view
    switch is on the screen, each of its two buttons a large target, and it switches the view."""
    pg = phone
    pg.goto(server + rel)  # type: ignore[attr-defined]
    for view in ("reading", "diplomatic"):
        label = pg.locator(f"label[for=view-{view}]")  # type: ignore[attr-defined]
        assert label.is_visible()
        box = label.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 24 and box["width"] >= 24
        label.click()
        assert pg.locator(f"#view-{view}").is_checked()  # type: ignore[attr-defined]
        assert pg.locator(f".text-block .view-{view}").is_visible()  # type: ignore[attr-defined]
        targets = pg.locator(f".view-{view} a.noteref, .view-{view} a.noteback").all()  # type: ignore[attr-defined]
        for target in targets:
            assert target.is_visible()
            b = target.bounding_box()
            assert b["width"] >= 24 and b["height"] >= 24, (rel, view, target.get_attribute("id"), b)
    assert pg.locator(".text-block .view-reading a.noteref").count() or rel == "letters/l3.html"  # type: ignore[attr-defined]
