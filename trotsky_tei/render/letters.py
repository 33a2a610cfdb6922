"""The per-letter phase of an edition export: each letter's page, text and EPUB chapter, in parallel and incrementally.

A worker gets the `EditionData` (Letter records, registry, edition metadata) once and then one letter index per
task; it parses only that letter. Results come back in a stable order and are written before the next is fetched.
An output whose key (the letter file's bytes, its record, its neighbours, the registry, the edition, templates,
settings and the tool's code) matches the manifest, and whose file still holds the recorded bytes, is not rendered.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Diagnostic
from ..parallel import ordered_map
from ..xmlfile import write_if_changed
from .collect import EditionData, LetterInfo
from .manifest import Entry, Manifest, code_hash, file_hash, key_of, sha256

FORMATS = ("site", "text", "epub")


@dataclass(frozen=True)
class Rendered:
    """One output of one letter: its text, a title (EPUB contents) and the render warnings."""

    content: str
    title: str = ""
    warnings: tuple[Diagnostic, ...] = ()
    probes: tuple[str, ...] = ()  # the book files the chapter asked about (its relative links), sorted


class _Probed(frozenset):  # type: ignore[type-arg]
    """The set of the book's files that remembers which names a chapter looked up."""

    seen: set[str]

    def __contains__(self, name: object) -> bool:
        self.seen.add(str(name))
        return super().__contains__(name)


@dataclass
class LetterRenderer:
    """Renders the outputs of one letter; sent to each worker process once (plain data only)."""

    data: EditionData
    site_mode: str = "both"
    templates: str | Path | None = None
    epub_mode: str = "reading"
    text_width: int = 72
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": {}}  # the writers are made again in each process

    def __call__(self, task: tuple[int, tuple[str, ...]]) -> dict[str, Rendered]:
        index, formats = task
        return {fmt: getattr(self, f"render_{fmt}")(index) for fmt in formats}

    def site(self) -> Any:
        if "site" not in self._cache:
            from .site import Site, Templates

            self._cache["site"] = Site(self.data, Path("."), self.site_mode, Templates(self.templates))
        return self._cache["site"]

    def book(self) -> Any:
        if "book" not in self._cache:
            from .epub import Book

            book = Book(self.data, self.epub_mode)
            self._cache["known"] = known = book.known_files()
            probed = _Probed(known)
            probed.seen = self._cache["probes"] = set()
            book.known_files = lambda: probed  # type: ignore[method-assign]  # the same for every chapter
            self._cache["book"] = book
        return self._cache["book"]

    def render_site(self, index: int) -> Rendered:
        site = self.site()
        site.diagnostics = []
        page = site.letter_page(index)
        return Rendered(page, "", tuple(site.diagnostics))

    def render_text(self, index: int) -> Rendered:
        from ..reader import read
        from .core import RenderContext
        from .text import render_letter_text

        info = self.data.letters[index]
        lf = read(info.letter.path)
        if lf.parsed.tree is None:
            return Rendered("", "", tuple(lf.parsed.diagnostics))
        ctx = RenderContext(registry=self.data.registry, path=info.letter.path)
        text, warns = render_letter_text(lf.parsed.tree, info.letter, ctx, self.text_width)
        return Rendered(text, "", tuple(warns))

    def render_epub(self, index: int) -> Rendered:
        book = self.book()
        book.files, book.spine, book.toc, book.warnings = {}, [], [], []
        probes: set[str] = self._cache["probes"]
        probes.clear()
        info = self.data.letters[index]
        book.letter(info)
        name = book.chapter_name(info)
        title = dict(book.toc).get(name, info.letter.title)
        return Rendered(book.files[name], title, tuple(book.warnings), tuple(sorted(probes)))

    # keys: everything an output depends on besides the code

    def probe_key(self, base: str, probes: Sequence[str]) -> str:
        """The full key of an output: its base key and, for each book file its chapter asked about, whether it exists.

        So a chapter depends on the other letters only where it links to them: adding a letter renders again only
        the chapters whose links now find (or lose) their target.
        """
        if not probes:
            return base
        self.book()
        known = self._cache["known"]
        return key_of(base, [(name, name in known) for name in probes])

    def keys(self, fmt: str) -> Callable[[int, str], str]:
        """`key(index, letter file hash)` for one format, before `probe_key`."""
        data = self.data
        common = key_of(code_hash(), data.edition, [file_hash(f) for f in sorted(data.registry.files)])
        if fmt == "site":
            site = self.site()
            base = key_of(common, fmt, self.site_mode, site.templates.text("page.html"))
            return lambda i, fh: key_of(base, fh, data.letters[i], site.nav_links(i))
        if fmt == "text":
            base = key_of(common, fmt, self.text_width)
            return lambda i, fh: key_of(base, fh, data.letters[i])
        if fmt == "epub":
            base = key_of(common, fmt, self.epub_mode)
            return lambda i, fh: key_of(base, fh, data.letters[i])
        raise ValueError(f"unknown format {fmt!r}")


@dataclass
class PassResult:
    """What the per-letter phase did: counts per format and each letter's warnings (by date-order index)."""

    rendered: dict[str, int] = field(default_factory=dict)
    up_to_date: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, dict[int, tuple[Diagnostic, ...]]] = field(default_factory=dict)
    written: dict[str, list[str]] = field(default_factory=dict)  # output paths relative to the manifest root
    letters_rendered: int = 0  # letters with at least one output rendered
    letters_kept: int = 0  # letters whose every output was up to date

    def warnings_of(self, fmt: str) -> list[Diagnostic]:
        """The warnings of one format in date order of the letters."""
        per = self.warnings.get(fmt, {})
        return [d for i in sorted(per) for d in per[i]]

    def detail(self, fmt: str) -> str:
        r, u = self.rendered.get(fmt, 0), self.up_to_date.get(fmt, 0)
        return f"{r} rendered, {u} up to date"


def chapter_order(data: EditionData) -> list[int]:
    """Letter indexes in the order of their EPUB chapter names (the order of the entries in the zip)."""
    return sorted(range(len(data.letters)), key=lambda i: f"letter-{data.letters[i].slug}.xhtml")


def render_letters(
    renderer: LetterRenderer,
    targets: dict[str, Callable[[LetterInfo], str]],
    manifest: Manifest,
    *,
    jobs: int | None = None,
    result: PassResult,
    content_of: Sequence[str] = (),
    advance: Callable[[str], None] | None = None,
) -> Iterator[tuple[int, dict[str, Rendered]]]:
    """Render (or keep) every letter's outputs; `targets` maps a format to its output path relative to the manifest root.

    Yields (index, outputs) in chapter order, after the outputs are on disk; the content is filled in for the formats
    in `content_of` (read back from disk when the output was up to date), else "". Warnings of kept outputs come
    from the manifest, so a rebuild reports what a full build would.
    """
    data = renderer.data
    keyers = {fmt: renderer.keys(fmt) for fmt in targets}
    for fmt in targets:
        result.rendered.setdefault(fmt, 0)
        result.up_to_date.setdefault(fmt, 0)
        result.warnings.setdefault(fmt, {})
        result.written.setdefault(fmt, [])
    plan: list[tuple[int, dict[str, str], dict[str, Entry]]] = []
    for i in chapter_order(data):
        fh = file_hash(data.letters[i].letter.path)
        keys = {fmt: keyers[fmt](i, fh) for fmt in targets}
        kept = {}
        for fmt, target in targets.items():
            rel = target(data.letters[i])
            last = manifest.entries.get(rel)
            entry = manifest.fresh(rel, renderer.probe_key(keys[fmt], last.probes if last else ()))
            if entry is not None:
                kept[fmt] = entry
        plan.append((i, keys, kept))
    tasks = [(i, tuple(f for f in targets if f not in kept)) for i, _keys, kept in plan]
    stream = ordered_map(renderer, [t for t in tasks if t[1]], jobs)
    for (i, keys, kept), (_i, todo) in zip(plan, tasks, strict=True):
        fresh = next(stream) if todo else {}
        if todo:
            result.letters_rendered += 1
        else:
            result.letters_kept += 1
        outputs: dict[str, Rendered] = {}
        for fmt, target in targets.items():
            rel = target(data.letters[i])
            if fmt in fresh:
                r = fresh[fmt]
                raw = r.content.encode("utf-8")
                write_if_changed(manifest.root / rel, raw)
                manifest.record(rel, Entry(renderer.probe_key(keys[fmt], r.probes), sha256(raw), r.warnings, r.title, r.probes))
                result.rendered[fmt] += 1
                outputs[fmt] = r if fmt in content_of else Rendered("", r.title, r.warnings)
            else:
                entry = kept[fmt]
                manifest.record(rel, entry)
                result.up_to_date[fmt] += 1
                text = (manifest.root / rel).read_text(encoding="utf-8") if fmt in content_of else ""
                outputs[fmt] = Rendered(text, entry.title, entry.warnings)
            result.warnings[fmt][i] = outputs[fmt].warnings
            result.written[fmt].append(rel)
            if advance is not None:
                advance(fmt)
        yield i, outputs


def prune(folder: Path, keep: set[Path]) -> None:
    """Remove every file under `folder` that is not in `keep`, then the folders left empty (stale pages go)."""
    if not folder.is_dir():
        return
    for dirpath, _dirs, files in os.walk(folder, topdown=False):
        here = Path(dirpath)
        for name in files:
            if here / name not in keep:
                (here / name).unlink()
        if here != folder and not any(here.iterdir()):
            here.rmdir()
