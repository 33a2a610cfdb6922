"""EPUB 3 packaging of the edition: the HTML writer's fragments as XHTML chapters, written reproducibly with zipfile.

Why zipfile and not an EPUB library: ebooklib writes the current time into `dcterms:modified` and the zip
entries unless patched, and turns EPUB 3 footnotes into nothing special; the package is a handful of small
files, so writing them directly gives byte-identical output for identical input and full control of the
markup epubcheck inspects.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from ..errors import Diagnostic
from ..model import Entity
from .collect import (
    PLACE_SENT_WORDS,
    REGISTER_KINDS,
    ROLE_WORDS,
    ROLES,
    EditionData,
    LetterInfo,
    authority_links,
    safe_url,
)
from .langtags import html_lang
from .site import esc, render_fragment

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


def to_xhtml(fragment: str, known: frozenset[str] = frozenset()) -> str:
    """Re-serialise an HTML fragment as well-formed XHTML (void elements closed, entities resolved)."""
    if not fragment.strip():
        return ""
    wrapper = lxml_html.fragment_fromstring(fragment, create_parent="div")
    unlink_outside(wrapper, known)
    return _serialise_children(wrapper)


def unlink_outside(root: etree._Element, known: frozenset[str]) -> None:
    """Turn links to files that are not in the book (relative links of the source edition) into plain spans."""
    for a in list(root.iter("a")):
        href = a.get("href")
        if href is None or href.startswith("#") or safe_url(href) is None:
            continue
        if href.lower().startswith(("http:", "https:", "mailto:")):
            continue
        if href.partition("#")[0] not in known:
            a.tag = "span"
            if "href" in a.attrib:
                del a.attrib["href"]


def _serialise_children(wrapper: etree._Element) -> str:
    out = esc(wrapper.text) if wrapper.text else ""
    for child in wrapper:
        if not isinstance(child.tag, str):  # comments, processing instructions: keep only their tails
            out += esc(child.tail) if child.tail else ""
            continue
        out += etree.tostring(child, method="xml", encoding="unicode", with_tail=True)
    return out


def epub_notes(body_html: str, notes_html: str, known: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Mark note references `epub:type="noteref"` and turn each note into `<aside epub:type="footnote">`.

    A note reference is a link in the body whose `#id` names an element in the notes fragment.
    """
    if not notes_html.strip():
        return to_xhtml(body_html, known), ""
    body = lxml_html.fragment_fromstring(body_html or "<span></span>", create_parent="div")
    notes = lxml_html.fragment_fromstring(notes_html, create_parent="div")
    unlink_outside(body, known)
    unlink_outside(notes, known)
    note_ids = {el.get("id") for el in notes.iter() if isinstance(el.tag, str) and el.get("id")}
    targets: list[str] = []
    numbers: dict[str, str] = {}
    for a in body.iter("a"):
        href = a.get("href", "")
        if href.startswith("#") and href[1:] in note_ids:
            a.set("epub:type", "noteref")
            a.set("role", "doc-noteref")
            targets.append(href[1:])
            numbers.setdefault(href[1:], "".join(a.itertext()).strip())
    asides: list[str] = []
    seen: set[str] = set()
    for target in targets:
        if target in seen:
            continue
        seen.add(target)
        found = notes.xpath("//*[@id=$id]", id=target)
        if not found:
            continue
        el = found[0]
        if "id" in el.attrib:
            del el.attrib["id"]
        inner = (esc(el.text) if el.text else "") + "".join(
            etree.tostring(c, method="xml", encoding="unicode", with_tail=True) for c in el if isinstance(c.tag, str)
        )
        number = f'<span class="note-number">{esc(numbers[target])}.</span> ' if numbers.get(target) else ""
        asides.append(f'<aside epub:type="footnote" role="doc-footnote" id="{esc(target)}">{number}{inner}</aside>')
    return _serialise_children(body), "\n".join(asides)


def xhtml_page(title: str, body: str, lang: str) -> str:
    """A complete XHTML5 content document."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}" lang="{esc(lang)}" xml:lang="{esc(lang)}">\n'
        f'<head>\n<meta charset="utf-8"/>\n<title>{esc(title)}</title>\n'
        '<link rel="stylesheet" type="text/css" href="style.css"/>\n</head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )


@dataclass
class Book:
    """The files of one EPUB (name → text) and the spine order, built from an EditionData."""

    data: EditionData
    mode: str = "reading"
    files: dict[str, str] = field(default_factory=dict)
    spine: list[str] = field(default_factory=list)
    toc: list[tuple[str, str]] = field(default_factory=list)  # (href, label)
    warnings: list[Diagnostic] = field(default_factory=list)
    _known: frozenset[str] | None = field(default=None, repr=False)

    @property
    def lang(self) -> str:
        """The book's language: the edition's as a BCP 47 tag; "en" when it gives none, "und" when it is not a tag."""
        given = self.data.edition.language
        return html_lang(given)[0] or ("und" if given else "en")

    def add(self, name: str, title: str, body: str, *, in_toc: bool = True, lang: str | None = None) -> None:
        self.files[name] = xhtml_page(title, body, lang or self.lang)
        self.spine.append(name)
        if in_toc:
            self.toc.append((name, title))

    def known_files(self) -> frozenset[str]:
        """Every content document the book will hold (chapters and the register pages that have entries)."""
        if self._known is None:  # the same for every chapter: computed once, not once per letter
            names = {self.chapter_name(i) for i in self.data.letters}
            names |= {f"{page}.xhtml" for _, page, _ in REGISTER_KINDS}
            self._known = frozenset(names | {"title.xhtml", "colophon.xhtml", "nav.xhtml"})
        return self._known

    def chapter_name(self, info: LetterInfo) -> str:
        return f"letter-{info.slug}.xhtml"

    def entity_href(self, ent: Entity) -> str:
        page = {"person": "persons", "place": "places", "org": "orgs", "repository": "orgs"}.get(ent.kind, "persons")
        return f"{page}.xhtml#{ent.id}"

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
            parts.append(f"<p>Edited by {esc(', '.join(ed.editors))}</p>")
        if ed.publisher or ed.date:
            parts.append(f"<p>{esc(', '.join(p for p in (ed.publisher, ed.date) if p))}</p>")
        parts.append("</section>")
        self.add("title.xhtml", ed.title, "\n".join(parts), in_toc=False)

    def letter(self, info: LetterInfo) -> None:
        frag = render_fragment(info, self.data, self.mode, self.link_for)
        self.warnings.extend(frag.warnings)
        credits = "".join(f"<dt>{esc(r[:1].upper() + r[1:])}</dt><dd>{esc(n)}</dd>" for r, n in info.credits)
        if info.rights:
            credits += f"<dt>Rights</dt><dd>{esc(info.rights)}</dd>"
        known = self.known_files()
        body, notes = epub_notes(frag.body_html, frag.notes_html, known)
        parts = [
            f'<section epub:type="chapter" class="letter">\n<h1>{esc(frag.title)}</h1>',
            to_xhtml(frag.metadata_html, known),
            f'<dl class="letter-credits">{credits}</dl>' if credits else "",
            f'<h2>Text</h2>\n<div class="letter-body">\n{body}\n</div>',  # h2: the letter's own heads are h3
        ]
        if notes:
            parts.append(f'<section class="notes">\n<h2>Notes</h2>\n{notes}\n</section>')
        if frag.apparatus_html.strip():
            parts.append(f'<section class="apparatus">\n<h2>Apparatus</h2>\n{to_xhtml(frag.apparatus_html, known)}\n</section>')
        parts.append("</section>")
        self.add(self.chapter_name(info), frag.title, "\n".join(p for p in parts if p))

    def register(self, kind: str, page: str, heading: str) -> None:
        kinds = (kind, "repository") if kind == "org" else (kind,)
        entries = sorted((e for k in kinds for e in self.data.registry.by_kind(k)), key=lambda e: (e.label.casefold(), e.id))
        if not entries:
            return
        blocks = [f'<section epub:type="index" class="register">\n<h1>{esc(heading)}</h1>']
        for ent in entries:
            used = self.data.letters_of(ent.id)
            lines = [f'<section class="register-entry" id="{esc(ent.id)}">\n<h2>{esc(ent.label)}</h2>']
            if len(ent.names) > 1:
                lines.append(f"<p>Also: {esc('; '.join(ent.names[1:]))}</p>")
            if ent.birth or ent.death:
                span = f"{ent.birth or '?'} – {ent.death or '?'}"
                lines.append(f"<p>{esc(span)}</p>")
            if ent.note:
                lines.append(f"<p>{esc(ent.note)}</p>")
            auth = authority_links(ent)
            if auth:
                lines.append("<p>Authority records: " + ", ".join(f"{esc(lb)} {xlink(u, v)}" for lb, v, u in auth) + "</p>")
            for role in ROLES:
                word = PLACE_SENT_WORDS if kind == "place" and role == "sent" else ROLE_WORDS[role]
                if used[role]:
                    lis = "".join(f'<li><a href="{esc(self.chapter_name(i))}">{esc(i.letter.title)}</a></li>' for i in used[role])
                    lines.append(f"<p>{esc(word)}:</p>\n<ul>{lis}</ul>")
            lines.append("</section>")
            blocks.append("\n".join(lines))
        blocks.append("</section>")
        self.add(f"{page}.xhtml", heading, "\n".join(blocks))

    def colophon(self) -> None:
        ed = self.data.edition
        parts = ['<section epub:type="colophon" class="colophon">\n<h1>Colophon</h1>']
        parts.append(f"<p>{esc(ed.title)}{esc('. ' + ed.subtitle) if ed.subtitle else ''}.</p>")
        if ed.editors:
            parts.append(f"<p>Edited by {esc(', '.join(ed.editors))}.</p>")
        if ed.publisher or ed.date:
            parts.append(f"<p>Published by {esc(', '.join(p for p in (ed.publisher, ed.date) if p))}.</p>")
        if ed.licence or ed.licence_url:
            parts.append(f"<p>Licence: {xlink(ed.licence_url, ed.licence or ed.licence_url)}</p>")
        if ed.identifier:
            parts.append(f"<p>Identifier: {esc(ed.identifier)}</p>")
        credited = [i for i in self.data.letters if i.credits or i.rights or i.letter.sources]
        if credited:
            parts.append("<h2>Credits and rights of the letters</h2>\n<dl>")
            for info in credited:
                facts = [f"{r} {n}" if r.lower().endswith(("by", "von", "par")) else f"{r}: {n}" for r, n in info.credits]
                facts += [f"Source: {s}" for s in info.letter.sources]
                if info.rights:
                    facts.append(f"Rights: {info.rights}")
                parts.append(
                    f'<dt><a href="{esc(self.chapter_name(info))}">{esc(info.letter.title)}</a></dt>'
                    + "".join(f"<dd>{esc(f)}</dd>" for f in facts)
                )
            parts.append("</dl>")
        parts.append("<p>Made with trotsky-tei.</p>\n</section>")
        self.add("colophon.xhtml", "Colophon", "\n".join(parts))

    def nav(self) -> str:
        items = "\n".join(f'<li><a href="{esc(h)}">{esc(label)}</a></li>' for h, label in self.toc)
        body = (
            f'<nav epub:type="toc" id="toc">\n<h1>Contents</h1>\n<ol>\n{items}\n</ol>\n</nav>\n'
            '<nav epub:type="landmarks" id="landmarks" hidden="hidden">\n<h2>Landmarks</h2>\n<ol>\n'
            '<li><a epub:type="titlepage" href="title.xhtml">Title page</a></li>\n'
            + (f'<li><a epub:type="bodymatter" href="{esc(self.spine[1])}">Letters</a></li>\n' if len(self.spine) > 1 else "")
            + "</ol>\n</nav>"
        )
        return xhtml_page("Contents", body, self.lang)

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


def export_epub(
    data: EditionData, out: str | Path, *, mode: str = "reading", progress: Callable[[str], None] | None = None
) -> list[Diagnostic]:
    """Write the edition as one EPUB 3 book at `out`; returns the render warnings.

    Chapters are rendered in the zip's entry order and written as they come (`epub_stream`), the same path the
    parallel, incremental `build` takes, so the two give the same bytes.
    """
    from .epub_stream import write_epub_stream

    book = Book(data, "diplomatic" if mode == "diplomatic" else "reading")

    def chapters() -> Iterator[tuple[str, str, str]]:
        for info in sorted(data.letters, key=book.chapter_name):
            book.letter(info)  # adds the chapter's file, spine entry and contents line: take them out again
            name, title = book.toc.pop()
            book.spine.pop()
            yield name, book.files.pop(name), title
            if progress is not None:
                progress(info.slug)

    write_epub_stream(data, Path(out), chapters(), mode=mode)
    return sorted(set(book.warnings))
