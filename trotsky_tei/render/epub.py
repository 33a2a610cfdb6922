"""EPUB 3 packaging of the edition: the HTML writer's fragments as XHTML chapters, written reproducibly with zipfile.

Why zipfile and not an EPUB library: ebooklib writes the current time into `dcterms:modified` and the zip
entries unless patched, and turns EPUB 3 footnotes into nothing special; the package is a handful of small
files, so writing them directly gives byte-identical output for identical input and full control of the
markup epubcheck inspects.
"""

from __future__ import annotations

import errno
import io
import os
import re
import struct
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from lxml import etree

from ..errors import Diagnostic
from ..i18n import Lang, Messages, messages
from ..model import Edition, Entity
from ..registry import Registry
from ..xmlfile import refuse_special, umask
from .collect import (
    PLACE_SENT_WORDS,
    REGISTER_PAGES,
    ROLE_WORDS,
    ROLES,
    EditionData,
    LetterInfo,
    authority_links,
    register_kinds,
    safe_url,
)
from .core import esc
from .langtags import html_lang

if TYPE_CHECKING:
    from ..letter_pass import PassResult
    from ..parallel import Executor
    from ..store import Store
    from .html import LetterTrees

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
W3C_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""


def xlink(url: str | None, text: str) -> str:
    """An `<a>` for a safe URL, else the escaped text (XHTML-safe)."""
    safe = safe_url(url)
    return f'<a href="{esc(safe)}">{esc(text)}</a>' if safe else esc(text)


def unlink_outside(root: etree._Element, keep: set[etree._Element]) -> None:
    """Turn relative links that lead outside the book (those of the source edition) into plain spans.

    Only the links in `keep` (the register links, pointed at the book's own pages) stay relative links.
    """
    for a in list(root.iter("a")):
        href = a.get("href")
        if href is None or href.startswith("#") or safe_url(href) is None:
            continue
        if href.lower().startswith(("http:", "https:", "mailto:")):
            continue
        if a not in keep:
            a.tag = "span"
            if "href" in a.attrib:
                del a.attrib["href"]


_WRAP_OPEN = f'<div xmlns:epub="{EPUB_NS}">'


def _xhtml(*elements: etree._Element) -> str:
    """Elements (and their tails) as XHTML, in a wrapper that declares `epub:` once, the wrapper left out."""
    wrapper = etree.Element("div", nsmap={"epub": EPUB_NS})
    for el in elements:
        wrapper.append(el)
    out = etree.tostring(wrapper, method="xml", encoding="unicode")
    if out.endswith("/>"):
        return ""
    assert out.startswith(_WRAP_OPEN), out[:80]
    return out[len(_WRAP_OPEN) : -len("</div>")]


def register_href(ent: Entity) -> str:
    """The book's page and anchor of a register entry."""
    page = REGISTER_PAGES.get(ent.kind, "persons")
    return f"{page}.xhtml#{ent.id}"


def chapter(trees: LetterTrees, info: LetterInfo, mode: str, book_lang: str, registry: Registry) -> str:
    """The EPUB chapter of a letter, derived from the trees its web page was serialised from (never re-parsed).

    Run after the page is serialised: it takes the trees apart. Register links point at the book's register pages,
    relative links that lead outside the book become plain text, note markers become `noteref`s and the notes
    `footnote` asides (in the order of their first marker), as EPUB 3 reading systems expect.
    """
    view = trees.views["diplomatic" if mode == "diplomatic" else "reading"]
    if set(trees.views) != {"reading"} and set(trees.views) != {"diplomatic"}:
        lang = view.get("lang")  # a view of a page with both: its own class and lang, in the order of a one-view page
        view.attrib.clear()
        view.set("class", f"letter-text {'diplomatic' if mode == 'diplomatic' else 'reading'}")
        if lang:
            view.set("lang", lang)
    view.tail = None
    keep: set[etree._Element] = set()
    local = trees.ctx.refs.local if trees.ctx.refs is not None else {}
    for node, entity_id in trees.ctx.register_links:
        entity = registry.get(entity_id) or local.get(entity_id)  # the edition's registry, or the letter's own list
        if entity is not None:
            node.set("href", register_href(entity))
            keep.add(node)
    for part in (trees.metadata, view, trees.notes, trees.apparatus):
        if part is not None:
            unlink_outside(part, keep)
    note_items = {li.get("id"): li for li in trees.notes} if trees.notes is not None else {}
    targets: list[str] = []
    numbers: dict[str, str] = {}
    for root in (view, *(() if trees.notes is None else (trees.notes,))):
        for a in root.iter("a"):
            if a.get("class") == "noteref":
                a.set(f"{{{EPUB_NS}}}type", "noteref")
    # the notes in the order of their first marker: the text's, then those of the notes (a note inside a note)
    pending = [view]
    while pending:
        for a in pending.pop(0).iter("a"):
            href = a.get("href", "")
            if a.get("class") == "noteref" and href.startswith("#") and href[1:] in note_items:
                if href[1:] not in numbers:
                    targets.append(href[1:])
                    pending.append(note_items[href[1:]])
                numbers.setdefault(href[1:], "".join(str(t) for t in a.itertext()).strip())
    asides: list[etree._Element] = []
    for target in targets:
        li = note_items[target]
        text = li.text
        li.attrib.clear()
        li.tag = "aside"
        li.set(f"{{{EPUB_NS}}}type", "footnote")
        li.set("role", "doc-footnote")
        li.set("id", target)
        li.text = None
        if numbers.get(target):
            number = etree.Element("span", {"class": "note-number"})
            number.text = f"{numbers[target]}."
            number.tail = " " + (text or "")
            li.insert(0, number)
        else:
            li.text = text
        li.tail = "\n"
        asides.append(li)
    if asides:
        asides[-1].tail = None
    t = trees.ctx.t
    credits = "".join(f"<dt>{esc(r[:1].upper() + r[1:])}</dt><dd>{esc(n)}</dd>" for r, n in info.credits)
    if info.rights:
        credits += f"<dt>{esc(t('Rights'))}</dt><dd>{esc(info.rights)}</dd>"
    trees.metadata.tail = None
    parts = [
        f'<section epub:type="chapter" class="letter">\n<h1>{esc(trees.title)}</h1>',
        _xhtml(trees.metadata),
        f'<dl class="letter-credits">{credits}</dl>' if credits else "",
        f'<h2>{esc(t("Text"))}</h2>\n<div class="letter-body">\n{_xhtml(view)}\n</div>',  # h2: the letter's own heads are h3
    ]
    if asides:
        parts.append(f'<section class="notes">\n<h2>{esc(t("Notes"))}</h2>\n{_xhtml(*asides)}\n</section>')
    if trees.apparatus is not None:
        trees.apparatus.tail = None
        parts.append(f'<section class="apparatus">\n<h2>{esc(t("Apparatus"))}</h2>\n{_xhtml(trees.apparatus)}\n</section>')
    parts.append("</section>")
    return xhtml_page(trees.title, "\n".join(p for p in parts if p), book_lang)


def book_lang(edition: Edition) -> str:
    """The book's language: the edition's as a BCP 47 tag; "en" when it gives none, "und" when it is not a tag."""
    given = edition.language
    return html_lang(given)[0] or ("und" if given else "en")


def xhtml_page(title: str, body: str, lang: str) -> str:
    """A complete XHTML5 content document."""
    return "".join(xhtml_pieces(title, (body,), lang))


def xhtml_pieces(title: str, body: Iterable[str], lang: str) -> Iterator[str]:
    """`xhtml_page` as the pieces of its text, the body's as they come: a page too large to hold twice."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}" lang="{esc(lang)}" xml:lang="{esc(lang)}">\n'
        f'<head>\n<meta charset="utf-8"/>\n<title>{esc(title)}</title>\n'
        '<link rel="stylesheet" type="text/css" href="style.css"/>\n</head>\n'
        "<body>\n"
    )
    yield from body
    yield "\n</body>\n</html>\n"


CHAPTER_PREFIX = "letter-"


def chapter_names(letters: Sequence[LetterInfo]) -> dict[str, str]:
    """Each letter's chapter file (by slug): `letter-<slug>.xhtml`, so that no chapter takes the name of another page
    of the book; a slug that begins with "letter-" already (the id `letter-1929-04-30-…`) is the name as it is, not
    `letter-letter-…`, unless the rest of it is another letter's slug (whose chapter has that name)."""
    slugs = {i.slug.lower() for i in letters}
    out: dict[str, str] = {}
    for info in letters:
        slug = info.slug
        rest = slug[len(CHAPTER_PREFIX):]
        own = slug.lower().startswith(CHAPTER_PREFIX) and rest and rest.lower() not in slugs
        out[slug] = f"{slug}.xhtml" if own else f"{CHAPTER_PREFIX}{slug}.xhtml"
    return out


@dataclass
class Book:
    """The files of one EPUB (name → text) and the spine order, built from an EditionData."""

    data: EditionData
    mode: str = "reading"
    files: dict[str, str | Callable[[], Iterable[str]]] = field(default_factory=dict)  # a page, or its pieces (`add`)
    spine: list[str] = field(default_factory=list)
    toc: list[tuple[str, str]] = field(default_factory=list)  # (href, label)
    warnings: list[Diagnostic] = field(default_factory=list)
    language: Lang = field(default_factory=Lang)  # of the labels (the book's own `lang` is the edition's)

    def __post_init__(self) -> None:
        self.t: Messages = messages(self.language)

    @property
    def lang(self) -> str:
        return book_lang(self.data.edition)

    def add(
        self, name: str, title: str, body: str | Callable[[], Iterable[str]], *, in_toc: bool = True, lang: str | None = None,
    ) -> None:
        """A page of the book; a `body` to call gives the pieces of its text, made only as the page is zipped (a
        register of a large edition is megabytes: it is never held whole)."""
        if callable(body):
            self.files[name] = lambda: xhtml_pieces(title, body(), lang or self.lang)
        else:
            self.files[name] = xhtml_page(title, body, lang or self.lang)
        self.spine.append(name)
        if in_toc:
            self.toc.append((name, title))

    def chapter_name(self, info: LetterInfo) -> str:
        names: dict[str, str] | None = self.__dict__.get("_chapter_names")
        if names is None:
            names = self.__dict__["_chapter_names"] = chapter_names(self.data.letters)
        return names[info.slug]

    def entity_href(self, ent: Entity) -> str:
        return register_href(ent)

    def link_for(self, entity_id: str) -> str | None:
        ent = self.data.registry.get(entity_id)
        return self.entity_href(ent) if ent is not None else None

    def named(self, pairs: tuple[tuple[str, Entity | None], ...]) -> str:
        return ", ".join(
            f'<a href="{esc(self.entity_href(e))}">{esc(n or e.label)}</a>' if e is not None else esc(n) for n, e in pairs
        )

    # parts of the book

    def title_page(self) -> None:
        ed = self.data.edition
        parts = [f'<section epub:type="titlepage" class="titlepage">\n<h1>{esc(ed.title)}</h1>']
        if ed.subtitle:
            parts.append(f'<p class="subtitle">{esc(ed.subtitle)}</p>')
        if ed.editors:
            edited = self.t("Edited by %(names)s", names=", ".join(ed.editors))
            parts.append(f"<p>{esc(edited)}</p>")
        if ed.publisher or ed.date:
            parts.append(f"<p>{esc(', '.join(p for p in (ed.publisher, ed.date) if p))}</p>")
        parts.append("</section>")
        self.add("title.xhtml", ed.title, "\n".join(parts), in_toc=False)

    def register(self, kind: str, page: str, heading: str) -> None:
        kinds = (kind, "repository") if kind == "org" else (kind,)
        entries = sorted((e for k in kinds for e in self.data.registry.by_kind(k)), key=lambda e: (e.label.casefold(), e.id))
        if entries:
            self.add(f"{page}.xhtml", self.t(heading), lambda: self._register_body(kind, heading, entries))

    def _register_body(self, kind: str, heading: str, entries: list[Entity]) -> Iterator[str]:
        """The register's text, an entry at a time (its lines joined by newlines, as are the entries)."""
        t = self.t
        yield f'<section epub:type="index" class="register">\n<h1>{esc(t(heading))}</h1>'
        for ent in entries:
            used = self.data.letters_of(ent.id)
            lines = [f'<section class="register-entry" id="{esc(ent.id)}">\n<h2>{esc(ent.label)}</h2>']
            if len(ent.names) > 1:
                also = t("Also: %(names)s", names="; ".join(ent.names[1:]))
                lines.append(f"<p>{esc(also)}</p>")
            if ent.birth or ent.death:
                span = f"{ent.birth or '?'} – {ent.death or '?'}"
                lines.append(f"<p>{esc(span)}</p>")
            if ent.note:
                lines.append(f"<p>{esc(ent.note)}</p>")
            auth = authority_links(ent)
            if auth:
                lines.append("<p>" + esc(t("Authority records:")) + " " + ", ".join(f"{esc(lb)} {xlink(u, v)}" for lb, v, u in auth) + "</p>")
            for role in ROLES:
                word = PLACE_SENT_WORDS if kind == "place" and role == "sent" else ROLE_WORDS[role]
                if used[role]:
                    lis = "".join(f'<li><a href="{esc(self.chapter_name(i))}">{esc(i.letter.title)}</a></li>' for i in used[role])
                    lines.append(f"<p>{esc(t(word))}:</p>\n<ul>{lis}</ul>")
            lines.append("</section>")
            yield "\n" + "\n".join(lines)
        yield "\n</section>"

    def colophon(self) -> None:
        ed, t = self.data.edition, self.t
        parts = [f'<section epub:type="colophon" class="colophon">\n<h1>{esc(t("Colophon"))}</h1>']
        parts.append(f"<p>{esc(ed.title)}{esc('. ' + ed.subtitle) if ed.subtitle else ''}.</p>")
        if ed.editors:
            parts.append("<p>" + esc(t("Edited by %(names)s", names=", ".join(ed.editors))) + ".</p>")
        if ed.publisher or ed.date:
            parts.append("<p>" + esc(t("Published by %(names)s", names=", ".join(p for p in (ed.publisher, ed.date) if p))) + ".</p>")
        if ed.licence or ed.licence_url:
            parts.append("<p>" + esc(t("Licence:")) + f" {xlink(ed.licence_url, ed.licence or ed.licence_url)}</p>")
        if ed.identifier:
            parts.append("<p>" + esc(t("Identifier: %(id)s", id=ed.identifier)) + "</p>")
        credited = [i for i in self.data.letters if i.credits or i.rights or i.letter.sources]
        if credited:
            parts.append("<h2>" + esc(t("Credits and rights of the letters")) + "</h2>\n<dl>")
            for info in credited:
                facts = [f"{r} {n}" if r.lower().endswith(("by", "von", "par")) else f"{r}: {n}" for r, n in info.credits]
                facts += [t("Source: %(source)s", source=s) for s in info.letter.sources]
                if info.rights:
                    facts.append(t("Rights: %(rights)s", rights=info.rights))
                parts.append(
                    f'<dt><a href="{esc(self.chapter_name(info))}">{esc(info.letter.title)}</a></dt>'
                    + "".join(f"<dd>{esc(f)}</dd>" for f in facts)
                )
            parts.append("</dl>")
        parts.append("<p>" + esc(t("Made with trotsky-tei.")) + "</p>\n</section>")
        self.add("colophon.xhtml", t("Colophon"), "\n".join(parts))

    def nav(self) -> str:
        items = "\n".join(f'<li><a href="{esc(h)}">{esc(label)}</a></li>' for h, label in self.toc)
        body = (
            '<nav epub:type="toc" id="toc">\n<h1>' + esc(self.t("Contents")) + f'</h1>\n<ol>\n{items}\n</ol>\n</nav>\n'
            '<nav epub:type="landmarks" id="landmarks" hidden="hidden">\n<h2>' + esc(self.t("Landmarks")) + '</h2>\n<ol>\n'
            '<li><a epub:type="titlepage" href="title.xhtml">' + esc(self.t("Title page")) + '</a></li>\n'
            + (f'<li><a epub:type="bodymatter" href="{esc(self.spine[1])}">' + esc(self.t("Letters")) + '</a></li>\n' if len(self.spine) > 1 else "")
            + "</ol>\n</nav>"
        )
        return xhtml_page(self.t("Contents"), body, self.lang)

    # package

    def identifier(self) -> str:
        ed = self.data.edition
        if ed.identifier:
            return ed.identifier
        seed = "\n".join([ed.title, *(i.letter.id for i in self.data.letters)])
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'trotsky-tei:' + seed)}"

    def modified(self) -> str:
        """A fixed `dcterms:modified`: the edition's publication date at midnight UTC, else 2000-01-01."""
        date = self.data.edition.date
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date or ""):
            return f"{date}T00:00:00Z"
        if re.fullmatch(r"\d{4}", date or ""):
            return f"{date}-01-01T00:00:00Z"
        return "2000-01-01T00:00:00Z"

    def opf(self) -> str:
        ed = self.data.edition
        meta = [
            f'<dc:identifier id="pub-id">{esc(self.identifier())}</dc:identifier>',
            f"<dc:title>{esc(ed.title)}</dc:title>",
            f"<dc:language>{esc(self.lang)}</dc:language>",
        ]
        for n, editor in enumerate(ed.editors, 1):
            meta.append(f'<dc:creator id="editor-{n}">{esc(editor)}</dc:creator>')
            meta.append(f'<meta refines="#editor-{n}" property="role" scheme="marc:relators">edt</meta>')
        if ed.publisher:
            meta.append(f"<dc:publisher>{esc(ed.publisher)}</dc:publisher>")
        if ed.date and W3C_DATE.fullmatch(ed.date):
            meta.append(f"<dc:date>{esc(ed.date)}</dc:date>")
        if ed.licence or ed.licence_url:
            meta.append(f"<dc:rights>{esc(ed.licence or ed.licence_url)}</dc:rights>")
        meta.append(f'<meta property="dcterms:modified">{self.modified()}</meta>')
        items = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
                 '<item id="css" href="style.css" media-type="text/css"/>']
        ids = {}
        for n, name in enumerate(self.spine, 1):
            ids[name] = f"c{n:04d}"
            items.append(f'<item id="{ids[name]}" href="{esc(name)}" media-type="application/xhtml+xml"/>')
        spine = "\n    ".join(f'<itemref idref="{ids[name]}"/>' for name in self.spine)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="pub-id" xml:lang="{esc(self.lang)}">\n'
            '  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n    '
            + "\n    ".join(meta)
            + "\n  </metadata>\n  <manifest>\n    "
            + "\n    ".join(items)
            + f"\n  </manifest>\n  <spine>\n    {spine}\n  </spine>\n</package>\n"
        )


def zip_entry(name: str, compress: int) -> zipfile.ZipInfo:
    """A zip entry with a fixed timestamp and mode, so the same book gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def write_book(
    data: EditionData, path: Path, chapters: Callable[[LetterInfo], tuple[str, str]], *, mode: str = "reading",
    previous: Path | None = None, unchanged: Callable[[LetterInfo], str | None] | None = None,
    frame_unchanged: bool = False, language: Lang | None = None,
) -> None:
    """Write the book to `path`: `chapters(info)` gives each letter's chapter (XHTML) and title, as the pass made them.

    The zip's entries are sorted by name (`mimetype` and `META-INF/container.xml` first) and written one at a time,
    so no more than one chapter is held at once; the contents page (`nav.xhtml`) comes after the chapters.
    With `previous` (the book an earlier build wrote), a chapter for which `unchanged(info)` gives its title is
    copied from it as it is, compressed bytes and all, instead of being compressed again: the same bytes, faster;
    with `frame_unchanged` too (the letters' records, registry and edition are what they were), so are the title
    page, contents, registers, colophon and package document.
    """
    if previous is not None and unchanged is not None and frame_unchanged:
        try:
            _write_book(data, path, chapters, mode, previous, unchanged, frame=True, language=language)
            return
        except _NotCopied:
            pass  # the earlier book lacks something: made anew below
    _write_book(data, path, chapters, mode, previous, unchanged, frame=False, language=language)


class _NotCopied(Exception):
    """An entry of the earlier book could not be copied as it is."""


def _write_book(
    data: EditionData, path: Path, chapters: Callable[[LetterInfo], tuple[str, str]], mode: str,
    previous: Path | None, unchanged: Callable[[LetterInfo], str | None] | None, *, frame: bool,
    language: Lang | None = None,
) -> None:
    book = Book(data, "diplomatic" if mode == "diplomatic" else "reading", language=language or Lang())
    names = {book.chapter_name(info): info for info in data.letters}
    old = _Previous.open(previous) if previous is not None and unchanged is not None else None
    if frame and old is None:
        raise _NotCopied
    framing: set[str] = set()
    if frame and old is not None:  # everything but the chapters, as the earlier book has it
        framing = {n.removeprefix("OEBPS/") for n in old.zf.namelist() if n.startswith("OEBPS/")} - names.keys()
    else:
        _frame(book, names)
    book.title_page()
    names = {book.chapter_name(info): info for info in data.letters}
    titles: dict[str, str] = {}
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder; give the EPUB file to write, e.g. edition.epub", str(path))
    refuse_special(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(zip_entry("mimetype", zipfile.ZIP_STORED), b"application/epub+zip")
            zf.writestr(zip_entry("META-INF/container.xml", zipfile.ZIP_DEFLATED), CONTAINER.encode("utf-8"))
            for name in sorted(names.keys() | set(book.files) | framing | ({"nav.xhtml"} if not frame else set())):
                if name in framing:
                    if old is None or not old.copy(zf, f"OEBPS/{name}"):
                        raise _NotCopied
                    continue
                if name in names:
                    kept = unchanged(names[name]) if old is not None and unchanged is not None else None
                    if kept is not None and old is not None and old.copy(zf, f"OEBPS/{name}"):
                        titles[name] = kept
                        continue
                    text, title = chapters(names[name])
                    titles[name] = title or names[name].letter.title
                elif name == "nav.xhtml":
                    at = {chapter_name: n for n, (chapter_name, _t) in enumerate(book.toc)}
                    for chapter_name, title in titles.items():
                        book.toc[at[chapter_name]] = (chapter_name, title)
                    text = book.nav()
                else:
                    made = book.files.pop(name)
                    if callable(made):  # written as it is made: the zip entry's compressor takes the pieces
                        entry = zf.open(zip_entry(f"OEBPS/{name}", zipfile.ZIP_DEFLATED), "w")
                        with io.TextIOWrapper(entry, encoding="utf-8", newline="") as out:  # closes the entry
                            out.writelines(made())
                        continue
                    text = made
                zf.writestr(zip_entry(f"OEBPS/{name}", zipfile.ZIP_DEFLATED), text.encode("utf-8"))
        os.chmod(tmp, 0o666 & ~umask())
        tmp.replace(path)
    except OSError as exc:
        if exc.filename is None:  # a full disk while zipping: say which book
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    finally:
        tmp.unlink(missing_ok=True)
        if old is not None:
            old.close()


# a zip entry's local file header (PKWARE's APPNOTE 4.3.7): signature, versions, flags, method, time, date, CRC,
# sizes, then the lengths of the name and of the extra field that follow it
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def _frame(book: Book, names: dict[str, LetterInfo]) -> None:
    """The book's files around the chapters: title page, spine and contents (titles filled in as the chapters pass),
    registers, colophon, stylesheet, package document."""
    book.title_page()
    for name in names:  # the spine and contents in date order
        book.spine.append(name)
        book.toc.append((name, ""))
    for kind, page, heading in register_kinds(book.data.registry):
        book.register(kind, page, heading)
    book.colophon()
    book.files["style.css"] = (resources.files("trotsky_tei") / "templates" / "epub.css").read_text(encoding="utf-8")
    book.files["content.opf"] = book.opf()


class _Previous:
    """An earlier book, to copy unchanged entries from without compressing them again.

    `zipfile` has no call that writes an entry's compressed bytes as they are; `copy` does what `ZipFile.writestr`
    does for a seekable file, with the bytes already compressed (by `zipfile`, with the same settings, last time):
    the local header from a new entry (`zip_entry`) with the old entry's CRC and sizes, the bytes, the entry listed
    for the central directory. Anything unexpected, and the entry is compressed again instead.
    """

    def __init__(self, zf: zipfile.ZipFile, fh: BinaryIO) -> None:
        self.zf, self.fh = zf, fh

    @classmethod
    def open(cls, path: Path) -> _Previous | None:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        except OSError:
            return None
        try:
            return cls(zipfile.ZipFile(fh), fh)
        except (zipfile.BadZipFile, OSError, ValueError):
            fh.close()
            return None

    def close(self) -> None:
        self.zf.close()
        self.fh.close()

    def copy(self, out: zipfile.ZipFile, name: str) -> bool:
        try:
            info = self.zf.getinfo(name)
            if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x08:
                return False
            self.fh.seek(info.header_offset)
            header = LOCAL_HEADER.unpack(self.fh.read(LOCAL_HEADER.size))
            if header[0] != b"PK\x03\x04":
                return False
            self.fh.seek(info.header_offset + LOCAL_HEADER.size + header[10] + header[11])  # after its name and extra
            raw = self.fh.read(info.compress_size)
            if len(raw) != info.compress_size:
                return False
            entry = zip_entry(name, zipfile.ZIP_DEFLATED)
            entry.CRC, entry.compress_size, entry.file_size = info.CRC, info.compress_size, info.file_size
            entry.flag_bits = 0
            fp = out.fp
            assert fp is not None
            fp.seek(out.start_dir)
            entry.header_offset = fp.tell()
            fp.write(entry.FileHeader(False))
            fp.write(raw)
            out.start_dir = fp.tell()
            out.filelist.append(entry)
            out.NameToInfo[entry.filename] = entry
            return True
        except (KeyError, AttributeError, OSError, struct.error, ValueError):
            return False


def export_epub(
    data: EditionData, out: str | Path, *, mode: str = "reading", progress: Callable[[str], None] | None = None,
) -> list[Diagnostic]:
    """Write `data`'s letters as one EPUB 3 book at `out`; returns the render warnings. Each letter is read again
    (once): `export_book`, which takes the paths, reads each letter once in all."""
    return export_book([i.letter.path for i in data.letters], out, mode=mode, root=data.root)[1]


def export_book(
    paths: Sequence[str], out: str | Path, *, mode: str = "reading", root: Path | None = None,
    executor: Executor | None = None, lang: str = "",
) -> tuple[EditionData, list[Diagnostic]]:
    """Write the letters under `paths` as one EPUB 3 book at `out`, reading each letter once (the one pass)."""
    from ..letter_pass import CorpusPass, PassOptions
    from ..store import Store
    from .collect import edition_data

    with Store() as store:
        result = CorpusPass(list(paths), PassOptions(consumers=("record", "epub"), epub_mode=mode, lang=lang), store=store,
                            executor=executor, edition_root=root).run()
        data = edition_data(result)
        write_book(data, Path(out), stored_chapters(store, result), mode=mode, language=result.run.lang)
    return data, sorted({d for o in result.outcomes for d in o.meta.diagnostics_of("epub")})


def stored_chapters(store: Store, result: PassResult) -> Callable[[LetterInfo], tuple[str, str]]:
    """A letter's chapter and contents title, read back from the store the pass wrote them to."""
    titles = {o.path: o.meta.title("epub") for o in result.outcomes}

    def chapter_of(info: LetterInfo) -> tuple[str, str]:
        return store.part(info.letter.path, "epub") or "", titles.get(info.letter.path, "")

    return chapter_of
