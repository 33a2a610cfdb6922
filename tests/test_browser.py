"""A real browser on the built site: Debian's Chromium, headless, driven by Playwright, over a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _sitekit import FIXTURE, REPO

from trotsky_tei.render.collect import collect
from trotsky_tei.render.site import export_site

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and shutil.which("chromium") is None, reason="Debian's chromium is not installed")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture edition's site served on 127.0.0.1 at a random port; stopped afterwards."""
    root = tmp_path_factory.mktemp("browser") / "site"
    export_site(collect([str(FIXTURE)]), root)
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 900})
        pg = context.new_page()
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def test_footnote_marker_to_note_and_back(server: str, page: object) -> None:
    pg = page  # a playwright Page
    pg.goto(server + "letters/l1.html")  # type: ignore[attr-defined]
    marker = pg.locator(".view-reading a.noteref").first  # type: ignore[attr-defined]
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
    reading, diplomatic = pg.locator(".view-reading"), pg.locator(".view-diplomatic")  # type: ignore[attr-defined]
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
