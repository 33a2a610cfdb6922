"""Full-text search for the static site: a Pagefind index of the letter pages, and the search page that reads it.

The site needs no server: Pagefind (https://pagefind.app) writes a static index into ``SITE/pagefind/`` that the
browser queries with WebAssembly. Which pages are indexed, and with what facets, is said by the pages themselves:

* a letter page carries ``data-pagefind-body`` on its ``<article>`` (pages without it are not indexed: once one
  page has the attribute, Pagefind leaves out every page that does not; ``index_site`` also sends only such pages);
* inside that article, ``filter_spans(...)`` (a hidden ``<div data-pagefind-ignore>``) carries the facets
  (``data-pagefind-filter``), the page's metadata (``data-pagefind-meta``, e.g. the date shown) and its sort keys
  (``data-pagefind-sort="date"``, an ISO date); being ignored, its words are not searchable text, yet Pagefind
  still reads the filters, metadata and sort keys in it;
* the title of a result is the page's first ``<h1>`` (or ``data-pagefind-meta="title"``);
* ``<html lang>`` is what Pagefind reads for the language; ``index_site`` forces the edition's language instead
  (``force_language``), so that one index holds every letter whatever language a letter's page declares.

``search_page_body`` is the search page's ``<main>`` content (Pagefind's component UI: a labelled search input,
the facets as fieldsets of checkboxes, the results as a list of links; a ``<noscript>`` says that search, unlike
every other page, needs JavaScript). Search works over HTTP(S) only, not from ``file://`` (browsers refuse the
index's fetches there).

Determinism: Pagefind 1.5 writes each facet's values, and the facets in the index's metadata, in the order of a
Rust hash map seeded at random in every run, so two runs on the same pages differ (the facet files' contents,
hence their names, which are content hashes, and so the metadata file and ``pagefind-entry.json``). Its page
order is the order files are added (a directory walk follows the file system's order). ``index_site`` adds the
pages sorted by path, then rewrites the facet files and the metadata in sorted order under the names Pagefind's
own scheme gives them (SHA-1 of the content); everything else Pagefind writes is already the same from run to run.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import hashlib
import io
import json
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import OutputError, TeiError, UsageError
from ..i18n import N_, choose, messages
from .core import esc, fold, shorten
from .langtags import html_lang

BUNDLE_DIR = "pagefind"
INSTALL_HINT = "search needs Pagefind: pip install 'trotsky-tei[search]'"
FACETS = ("correspondent", "year", "place", "language", "repository")
# the filter names the search page shows (Pagefind's filter pane shows a filter's key, its first letter capitalised),
# and the search page's own words: English message ids, translated by the edition's catalogue (trotsky_tei.i18n)
FACET_LABELS: dict[str, str] = {
    "correspondent": N_("Correspondent"), "year": N_("Year"), "place": N_("Place"), "language": N_("Language"),
    "repository": N_("Repository"),
}
SEARCH_LABELS: dict[str, str] = {
    "heading": N_("Search"), "placeholder": N_("Search the letters"), "filters": N_("Filters"), "results": N_("Results"),
    "noscript": N_("Searching needs JavaScript, which is turned off or not available. Every other page of this "
                   "edition works without it: the list of letters, the timeline, the correspondences and the "
                   "registers lead to every letter."),
}
MAX_VALUE_CHARS = 120  # a facet value, a metadata value or a sort key longer than this is cut (and says so: "…")
MAX_VALUES = 50  # values of one facet on one page
RESERVED_FILTERS = frozenset({"any", "all", "none", "not"})  # Pagefind's filter operators
_NAME = re.compile(r"[^\W\d_][\w -]{0,39}")  # a facet or metadata key: a letter, then up to 39 word characters
_DCD = b"pagefind_dcd"  # the signature in front of every decompressed Pagefind data file


class SearchUnavailable(TeiError):
    """Pagefind (the `search` extra) is not installed, or its indexer binary is missing."""

    exit_code = 2


class SearchError(TeiError):
    """Pagefind failed, or wrote an index this module does not know how to make deterministic."""


@dataclass(frozen=True)
class SearchResult:
    """What `index_site` did: the bundle folder, the pages indexed, the files written, Pagefind's version, the time."""

    bundle: Path
    pages: tuple[str, ...]  # the indexed pages, relative to the site, in index order (sorted)
    files: tuple[str, ...]  # the files written under the bundle folder, relative to it, sorted
    language: str
    pagefind_version: str
    seconds: float


# --- the markup letter pages carry ---------------------------------------------------------------------


def _bounded(value: object) -> str:
    return shorten(fold(str(value)), MAX_VALUE_CHARS)


def _key(name: str, what: str) -> str:
    key = fold(name)
    if not _NAME.fullmatch(key) or key.casefold() in RESERVED_FILTERS:
        raise UsageError(f"not a usable search {what} name: {name!r}")
    return key


def facet_labels(lang: str) -> dict[str, str]:
    """The facet names shown on the search page for an edition in `lang` (English where not translated)."""
    t = messages(choose(lang))
    return {key: t(message) for key, message in FACET_LABELS.items()}


def filter_spans(
    facets: Mapping[str, Sequence[str]], *, labels: Mapping[str, str] | None = None,
    meta: Mapping[str, str] | None = None, sort: Mapping[str, str] | None = None,
) -> str:
    """The hidden search data of a letter page, to put inside its ``<article data-pagefind-body>``.

    `facets` maps a facet (one of FACETS, or any other name) to the page's values for it; the filter's key in the
    index is the facet's label (`labels`, default English FACET_LABELS), since that is what the search page shows.
    `meta` is shown with a result or kept for it (e.g. ``{"date": "10 May 1929"}``); `sort` holds sort keys
    (``{"date": "1929-05-10"}``: ISO dates sort as text). Values are folded, cut at MAX_VALUE_CHARS, empty ones and
    repeats dropped, at most MAX_VALUES per facet; everything is HTML-escaped. Returns "" when there is nothing.
    """
    shown = dict(FACET_LABELS) if labels is None else dict(labels)
    spans: list[str] = []
    for facet, values in facets.items():
        key = _key(shown.get(facet, facet), "facet")
        kept: list[str] = []
        for v in values:
            b = _bounded(v)
            if b and b not in kept:
                kept.append(b)
        spans.extend(f'<span data-pagefind-filter="{esc(key)}">{esc(v)}</span>' for v in kept[:MAX_VALUES])
    for attr, pairs in (("meta", meta or {}), ("sort", sort or {})):
        for name, value in pairs.items():
            b = _bounded(value)
            if b:
                spans.append(f'<span data-pagefind-{attr}="{esc(_key(name, attr))}">{esc(b)}</span>')
    if not spans:
        return ""
    return '<div class="search-data" data-pagefind-ignore hidden>' + "".join(spans) + "</div>"


# --- the search page ------------------------------------------------------------------------------------


def search_labels(lang: str) -> dict[str, str]:
    """The search page's own words for an edition in `lang` (English where not translated)."""
    t = messages(choose(lang))
    return {key: t(message) for key, message in SEARCH_LABELS.items()}


def search_page_body(labels: Mapping[str, str] | None = None, *, root: str = "") -> str:
    """The search page's ``<main>`` content, for a page at `root` ("" for the site's top folder) in a shell whose
    ``<html lang>`` is the edition's language (Pagefind's component UI takes its own words, e.g. the input's label
    "Search this site" / "Suche diese Seite" / "Recherche sur ce site", from that attribute).

    `labels`: "heading", "placeholder", "filters", "results", "noscript" (missing ones are English). Without
    JavaScript only the heading and the ``<noscript>`` message show (the search area is hidden while Pagefind's
    elements are undefined). Loads ``pagefind/pagefind-component-ui.{js,css}`` and ``pagefind/trotsky-search.css``,
    which `index_site` writes.
    """
    words = {**SEARCH_LABELS, **(labels or {})}
    bundle = f"{root}{BUNDLE_DIR}/"
    return "\n".join([
        f'<link rel="stylesheet" href="{bundle}pagefind-component-ui.css">',
        f'<link rel="stylesheet" href="{bundle}trotsky-search.css">',
        f'<script src="{bundle}pagefind-component-ui.js" defer></script>',
        f'<h1 id="search-title">{esc(words["heading"])}</h1>',
        f'<noscript><p class="search-noscript">{esc(words["noscript"])}</p></noscript>',
        '<div class="site-search">',
        f'<pagefind-input placeholder="{esc(words["placeholder"])}"></pagefind-input>',
        "<pagefind-summary></pagefind-summary>",
        '<div class="search-layout">',
        f'<section class="search-filters" aria-labelledby="search-filters-h">'
        f'<h2 id="search-filters-h">{esc(words["filters"])}</h2><pagefind-filter-pane></pagefind-filter-pane></section>',
        f'<section class="search-results" aria-labelledby="search-results-h">'
        f'<h2 id="search-results-h">{esc(words["results"])}</h2><pagefind-results hide-sub-results></pagefind-results>'
        "</section>",
        "</div>",
        "</div>",
    ])


# the search page's look, written next to Pagefind's files: the edition's colours (style.css), contrast that
# passes WCAG AA on the filter names and counts, and a layout that fits a 320 px wide phone
SEARCH_CSS = """\
/* trotsky-tei: the search page (Pagefind's component UI) in the edition's colours */
.site-search { --pf-text: #1d1d1d; --pf-text-secondary: #3d3d3d; --pf-text-muted: #4f4f4f; --pf-background: #fffdf8;
  --pf-border: #bdb7aa; --pf-hover: #f3efe4; --pf-mark: #1d1d1d; --pf-outline-focus: #1a5fb4;
  --pf-font: Georgia, "Times New Roman", serif; --pf-input-font-size: 1rem; --pf-result-title-font-size: 1.05rem;
  --pf-result-excerpt-font-size: .95rem; --pf-summary-font-size: .95rem; }
.site-search:has(pagefind-input:not(:defined)) { display: none; }
.search-layout { display: grid; grid-template-columns: minmax(10rem, 14rem) minmax(0, 1fr); gap: 1.25rem;
  margin-top: 1rem; }
.search-layout h2 { font-size: 1rem; margin: 0 0 .5rem; }
.search-layout > * { min-width: 0; }
.site-search pagefind-input, .site-search pagefind-results { display: block; max-width: 100%; }
/* Pagefind's rules carry ID-level specificity (its :is(*, #\\#) prefix); the same prefix lets these win */
:is(*, #\\#):is(*, #\\#):is(*, #\\#) .site-search .pf-result-excerpt { white-space: normal; overflow: visible; }
:is(*, #\\#):is(*, #\\#):is(*, #\\#) .site-search .pf-filter-pane { background: #f3efe4; }
@media (max-width: 40rem) { .search-layout { grid-template-columns: minmax(0, 1fr); } }
.search-noscript { border-left: 3px solid #8a1c1c; padding: .25rem .75rem; }
"""


# --- indexing -------------------------------------------------------------------------------------------


def _pagefind() -> tuple[Path, str]:
    """Pagefind's indexer binary and version; SearchUnavailable when the package or its binary is missing."""
    try:
        from pagefind.service import get_executable
    except ImportError as exc:
        raise SearchUnavailable(INSTALL_HINT) from exc
    binary = get_executable()
    if binary is None or not Path(binary).is_file():
        raise SearchUnavailable(f"{INSTALL_HINT} (the pagefind package is installed, but no pagefind binary was found)")
    try:
        version = metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return Path(binary), version


def search_available() -> bool:
    """Whether Pagefind (trotsky-tei[search]) is installed with its binary."""
    try:
        _pagefind()
    except SearchUnavailable:
        return False
    return True


def _letter_pages(site: Path, only: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(relative path, text) of the pages that opt in with data-pagefind-body, sorted by path (of `only`, the
    site's own pages, where given: a page an earlier build left, still on disk, is not this site's)."""
    pages = []
    found = [site / rel for rel in only] if only is not None else site.rglob("*.html")
    for p in sorted(found, key=lambda q: q.relative_to(site).as_posix()):
        rel = p.relative_to(site)
        if rel.parts[0] == BUNDLE_DIR or not p.is_file():
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SearchError(f"cannot read {p}: {exc}") from exc
        if "data-pagefind-body" in text:
            pages.append((rel.as_posix(), text))
    return pages


class _Service:
    """Pagefind's indexing service (``pagefind --service``: base64 JSON messages, each ended by a comma), the binary
    that the pagefind package's launcher finds. Pagefind's own Python client reads at most one reply per 0.1 s, so
    a thousand pages would take two minutes; the service answers in order, so all requests are written at once
    and the replies read as they come (a thread), in seconds."""

    def __init__(self, binary: Path, timeout: float) -> None:
        self.timeout = timeout
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(); what the service says on stderr, for an error message
        self.proc = subprocess.Popen([str(binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="pagefind-replies", daemon=True)
        self.reader.start()
        self.sent = 0
        self.noise: list[bytes] = []

    def _read(self) -> None:
        out = self.proc.stdout
        assert isinstance(out, io.BufferedReader)
        pending: list[bytes] = []  # the start of a message not yet ended by its comma (a large one spans many reads)
        while True:
            chunk = out.read1(1 << 16)
            if not chunk:
                self.replies.put(None)
                return
            if b"," not in chunk:
                pending.append(chunk)
                continue
            *messages, rest = chunk.split(b",")
            messages[0] = b"".join([*pending, messages[0]])
            pending = [rest] if rest else []
            for raw in messages:
                *text, last = raw.split(b"\n")  # a log line before a message, should one reach stdout
                self.noise.extend(t[:500] for t in text if t.strip())
                try:
                    self.replies.put(json.loads(base64.b64decode(last.strip(), validate=True)))
                except (ValueError, binascii.Error):
                    self.noise.append(raw[:500])  # a log line on the shared stdout: kept for the error message

    def send(self, payload: Mapping[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.sent += 1
        message = {"message_id": self.sent, "payload": dict(payload)}
        self.proc.stdin.write(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")

    def reply(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.flush()
        try:
            got = self.replies.get(timeout=self.timeout)
        except queue.Empty:
            raise SearchError(f"Pagefind did not answer within {self.timeout:.0f} s") from None
        if got is None:
            self.proc.wait()
            self.log.seek(0)
            said = b" ".join([*self.noise, self.log.read()[-2000:]]).decode("utf-8", "replace").strip()
            raise SearchError(f"Pagefind stopped (exit status {self.proc.poll()})" + (f": {said}" if said else ""))
        payload: dict[str, Any] = got.get("payload") or {}
        if payload.get("type") == "Error":
            raise SearchError(f"Pagefind: {payload.get('message')}")
        return payload

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # the service exits at the end of its input
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


def _build(binary: Path, pages: list[tuple[str, str]], bundle: Path, lang: str) -> None:
    service = _Service(binary, timeout=60 + len(pages) * 0.5)
    try:
        service.send({"type": "NewIndex", "config": {"force_language": lang, "write_playground": False}})
        index_id = service.reply()["index_id"]
        for rel, text in pages:  # in path order: the page numbers in the index follow the order pages are added
            service.send({"type": "AddFile", "index_id": index_id, "url": rel, "file_contents": text, "file_path": None})
        for rel, _text in pages:
            got = service.reply()
            if got.get("type") != "IndexedFile":
                raise SearchError(f"Pagefind could not index {rel}: {got}")
        # the files come back in the reply and are written here: Pagefind's own WriteFiles answers before its
        # writes are done, and a service that ends then leaves files empty or cut short
        service.send({"type": "GetFiles", "index_id": index_id})
        files = service.reply().get("files") or []
    finally:
        service.close()
    for item in sorted(files, key=lambda f: str(f.get("path", ""))):
        name = Path(str(item.get("path", "")))
        if name.is_absolute() or ".." in name.parts or not name.parts:
            raise SearchError(f"Pagefind gave an unexpected file name: {str(name)[:200]!r}")
        target = bundle / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(str(item.get("content", ""))))


def index_site(site_dir: str | Path, *, lang: str, pages: Sequence[str] | None = None) -> SearchResult:
    """Build the Pagefind index of the letter pages already written in `site_dir` into `site_dir/pagefind/`.

    `lang` is the edition's language (a BCP 47 tag or ISO 639 code: "en", "de", "fra"); the whole index is of that
    language (Pagefind's stemming). Only pages carrying ``data-pagefind-body`` are indexed (of `pages`, paths
    relative to `site_dir`, where given), in path order. A
    previous ``pagefind/`` folder is replaced (Pagefind itself never deletes a stale file of an earlier index); a
    ``pagefind/`` that is not a Pagefind bundle is refused. Also writes ``pagefind/trotsky-search.css``.
    The same pages give the same bytes in every file (see the module's note on determinism).
    """
    started = time.perf_counter()
    site = Path(site_dir)
    if not site.is_dir():
        raise UsageError(f"site folder not found: {site}")
    language = html_lang(lang)[0].split("-")[0]
    if not language:
        raise UsageError(f"not a language tag: {lang!r}")
    binary, version = _pagefind()
    found = _letter_pages(site, pages)
    if not found:
        raise SearchError(f"no page under {site} carries data-pagefind-body: nothing to index")
    bundle = site / BUNDLE_DIR
    if bundle.exists():
        if not bundle.is_dir() or (any(bundle.iterdir()) and not (bundle / "pagefind-entry.json").is_file()):
            raise OutputError(f"{bundle} exists and is not a Pagefind bundle; remove it or choose another site folder")
        shutil.rmtree(bundle)
    try:
        _build(binary, found, bundle.resolve(), language)
    except OSError as exc:
        raise SearchError(f"cannot run Pagefind ({binary}): {exc}") from exc
    if not (bundle / "pagefind-entry.json").is_file():
        raise SearchError(f"Pagefind wrote no index into {bundle}")
    canonicalise(bundle)
    (bundle / "trotsky-search.css").write_text(SEARCH_CSS, encoding="utf-8")
    files = tuple(sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()))
    return SearchResult(bundle, tuple(r for r, _ in found), files, language, version, time.perf_counter() - started)


# --- making Pagefind's output deterministic -------------------------------------------------------------
# Pagefind's data files are gzip of b"pagefind_dcd" + CBOR (minicbor: definite lengths, shortest heads). The
# metadata file (pagefind.<hash>.pf_meta) is [version, pages, word chunks, filters [[name, hash]], sorts
# [[name, [page numbers]]], ...]; a filter file is [name, [[value, [page numbers]]]]. A file's name is
# "<lang>_" and the start of the SHA-1 of its CBOR, written as hex without zero padding (Rust's `{:x?}` per byte).


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise SearchError("CBOR integer too large")


def cbor_encode(value: object) -> bytes:
    """CBOR of ints, str, bytes and lists, as minicbor writes them (definite lengths, shortest heads)."""
    if isinstance(value, bool) or value is None:
        raise SearchError(f"unexpected value in a Pagefind index: {value!r}")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    raise SearchError(f"unexpected value in a Pagefind index: {value!r}")


def cbor_decode(data: bytes) -> object:
    """The value of a CBOR item made of ints, strings and arrays (what Pagefind's metadata and filters hold)."""
    value, end = _decode(data, 0)
    if end != len(data):
        raise SearchError("unexpected bytes after a Pagefind index record")
    return value


def _decode(data: bytes, i: int) -> tuple[object, int]:
    try:
        first = data[i]
        major, ai = first >> 5, first & 31
        i += 1
        if ai < 24:
            n = ai
        elif ai <= 27:
            size = 1 << (ai - 24)
            n, i = int.from_bytes(data[i:i + size], "big"), i + size
        else:
            raise SearchError("indefinite or reserved CBOR item in a Pagefind index")
        if major == 0:
            return n, i
        if major == 1:
            return -1 - n, i
        if major in (2, 3):
            raw = bytes(data[i:i + n])
            if len(raw) != n:
                raise SearchError("truncated Pagefind index record")
            return (raw.decode("utf-8") if major == 3 else raw), i + n
        if major == 4:
            items = []
            for _ in range(n):
                item, i = _decode(data, i)
                items.append(item)
            return items, i
    except (IndexError, UnicodeDecodeError) as exc:
        raise SearchError(f"malformed Pagefind index record: {exc}") from exc
    raise SearchError(f"unexpected CBOR item (major type {major}) in a Pagefind index")


def _hex(data: bytes) -> str:
    return "".join(format(b, "x") for b in hashlib.sha1(data).digest())


def _read(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(_DCD):
        raise SearchError(f"{path.name} is not a Pagefind data file")
    return data[len(_DCD):]


def _write(path: Path, cbor: bytes) -> None:
    # gzip without a time stamp or file name: the bytes depend on the content alone (and on zlib's level 9)
    path.write_bytes(gzip.compress(_DCD + cbor, compresslevel=9, mtime=0))


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise SearchError(f"unknown Pagefind index format: {what} is not a list")
    return value


def _unique_name(lang: str, cbor: bytes, taken: set[str]) -> str:
    full = f"{lang}_{_hex(cbor)}"
    n = len(lang) + 8
    while full[:n] in taken and n < len(full):  # Pagefind's way with a collision: one more character
        n += 1
    return full[:n]


def canonicalise(bundle: Path) -> None:
    """Rewrite a Pagefind bundle's facet files and metadata in sorted order (values and facets by name, sorts by
    name) under the names Pagefind's scheme gives them; updates pagefind-entry.json to the new metadata file.
    Refuses (SearchError) a bundle whose format or naming is not the one this was written for."""
    entry_path = bundle / "pagefind-entry.json"
    entry_text = entry_path.read_text(encoding="utf-8")
    entry = json.loads(entry_text)
    languages = entry.get("languages")
    if not isinstance(languages, dict):
        raise SearchError("unknown Pagefind index format: pagefind-entry.json has no languages")
    for lang, info in languages.items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        raw_meta = _read(meta_path)
        meta = _list(cbor_decode(raw_meta), "the metadata")
        if cbor_encode(meta) != raw_meta or _hex(raw_meta)[: len(lang) + 8] != info["hash"][len(lang) + 1:]:
            raise SearchError(f"unknown Pagefind index format (version {entry.get('version')}): cannot make it deterministic")
        if len(meta) < 5:
            raise SearchError("unknown Pagefind index format: short metadata")
        filters = sorted(_list(meta[3], "the filters"), key=lambda f: f[0])
        taken: set[str] = set()
        renamed = []
        for name, old in filters:
            path = bundle / "filter" / f"{old}.pf_filter"
            raw = _read(path)
            if not _hex(raw).startswith(old[len(lang) + 1:]):
                raise SearchError(f"unknown Pagefind index format: {path.name} is not named by its content")
            fname, values = _list(cbor_decode(raw), "a filter")
            values = sorted(([v, sorted(_list(p, "a filter's pages"))] for v, p in _list(values, "a filter's values")),
                            key=lambda vp: vp[0])
            cbor = cbor_encode([fname, values])
            new = _unique_name(lang, cbor, taken)
            taken.add(new)
            path.unlink()
            _write(bundle / "filter" / f"{new}.pf_filter", cbor)
            renamed.append([name, new])
        meta[3] = renamed
        meta[4] = sorted(_list(meta[4], "the sorts"), key=lambda s: s[0])
        cbor = cbor_encode(meta)
        new_hash = f"{lang}_{_hex(cbor)[: len(lang) + 8]}"
        meta_path.unlink()
        _write(bundle / f"pagefind.{new_hash}.pf_meta", cbor)
        info["hash"] = new_hash
    entry["languages"] = dict(sorted(languages.items()))
    compact = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    entry_path.write_text(compact, encoding="utf-8")
