"""The static HTML web edition: index, letter pages, registers, concordance and about page from page templates."""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from ..callnumbers import certainty_note
from ..errors import Diagnostic, OutputError, UsageError
from ..model import CallNumber, Entity
from ..reader import text_of
from ..xmlfile import NS, parse_file, write_if_changed
from .collect import (
    PLACE_SENT_WORDS,
    REGISTER_KINDS,
    ROLE_WORDS,
    ROLES,
    EditionData,
    LetterInfo,
    authority_links,
    natural_key,
    safe_url,
)
from .langtags import html_lang

MODES = ("reading", "diplomatic", "both")
TEMPLATE_FILES = ("page.html", "style.css", "print.css")
SITE_MARKER = ".trotsky-tei-site"


def esc(text: object) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)


def link(url: str | None, text: str, **attrs: str) -> str:
    """An `<a>` when `url` is safe to emit, else the escaped text alone."""
    safe = safe_url(url)
    if safe is None:
        return esc(text)
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    return f'<a href="{esc(safe)}"{extra}>{esc(text)}</a>'


# --- letter fragments from the HTML writer ---------------------------------------------------------


@dataclass
class Fragment:
    """The parts of one rendered letter (HTML fragments, already escaped) and the writer's warnings."""

    title: str
    lang: str
    metadata_html: str = ""
    body_html: str = ""
    notes_html: str = ""
    apparatus_html: str = ""
    warnings: list[Diagnostic] = field(default_factory=list)


def render_fragment(
    info: LetterInfo, data: EditionData, mode: str, link_for: Callable[[str], str | None]
) -> Fragment:
    """Parse the letter again and render it with the shared walker's HTML writer (the tree is dropped afterwards).

    mode "both" gives the reading and the diplomatic text one after the other (the diplomatic copy's ids are
    prefixed "d-" by the writer); a page shows one of them at a time with a CSS-only switch.
    """
    from .core import RenderContext
    from .html import render_letter_html

    parsed = parse_file(info.letter.path)
    if parsed.tree is None:
        return Fragment(info.letter.title, info.lang, warnings=list(parsed.diagnostics))
    ctx = RenderContext(registry=data.registry, link_for=link_for, mode=mode, path=info.letter.path)
    r = render_letter_html(parsed.tree, info.letter, ctx, mode=mode)
    return Fragment(
        r.title or info.letter.title, r.lang or info.lang, r.metadata_html, r.body_html, r.notes_html,
        r.apparatus_html, list(r.warnings),
    )


# --- templates -------------------------------------------------------------------------------------


class Templates:
    """Page shell and stylesheets: a project's templates folder first, the bundled ones otherwise."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        if self.folder is not None and not self.folder.is_dir():
            raise UsageError(f"templates folder not found: {self.folder}")

    def text(self, name: str) -> str:
        if self.folder is not None and (self.folder / name).is_file():
            try:
                return (self.folder / name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read template {self.folder / name}: {exc}") from exc
        return (resources.files("trotsky_tei") / "templates" / name).read_text(encoding="utf-8")

    def page(self, **values: str) -> str:
        try:
            return Template(self.text("page.html")).substitute(values)
        except (KeyError, ValueError) as exc:
            raise UsageError(f"page template: unknown or malformed placeholder {exc}") from exc


# --- output folder ---------------------------------------------------------------------------------


def claim_output_dir(out: Path, marker: str, force: bool) -> None:
    """Create `out`, or accept it if empty or made by us (marker file); refuse other non-empty folders."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file() and not force:
        raise OutputError(f"{out} is not empty and was not made by trotsky-tei; use --force to write into it anyway")
    out.mkdir(parents=True, exist_ok=True)
    (out / marker).write_text("made by trotsky-tei; this folder may be overwritten by the next run\n", encoding="utf-8")


# --- pages -----------------------------------------------------------------------------------------


NAV = (("index.html", "Letters"), ("persons.html", "People"), ("places.html", "Places"),
       ("orgs.html", "Organisations"), ("concordance.html", "Concordance"), ("about.html", "About"))


@dataclass
class Site:
    """Writes the web edition of `data` into `out`."""

    data: EditionData
    out: Path
    mode: str = "both"
    templates: Templates = field(default_factory=Templates)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    # paths and links

    def letter_href(self, info: LetterInfo, root: str) -> str:
        return f"{root}letters/{info.slug}.html"

    def entity_href(self, entity: Entity, root: str) -> str:
        page = {"person": "persons", "place": "places", "org": "orgs", "repository": "orgs"}.get(entity.kind, "persons")
        return f"{root}{page}.html#{entity.id}"

    def entity_link(self, root: str) -> Callable[[str], str | None]:
        def link_for(entity_id: str) -> str | None:
            ent = self.data.registry.get(entity_id)
            return self.entity_href(ent, root) if ent is not None else None

        return link_for

    def named(self, pair: tuple[str, Entity | None] | None, root: str) -> str:
        if pair is None:
            return ""
        name, ent = pair
        shown = name or (ent.label if ent else "")
        return link(self.entity_href(ent, root), shown) if ent is not None else esc(shown)

    def names(self, pairs: tuple[tuple[str, Entity | None], ...], root: str) -> str:
        return ", ".join(self.named(p, root) for p in pairs)

    def call_number(self, cn: CallNumber) -> str:
        shown = link(cn.url, cn.display) if cn.url else esc(cn.display)
        note = certainty_note(cn)  # an inferred part is said wherever the call number is shown
        return f'{shown} <span class="certainty">({esc(note)})</span>' if note else shown

    # shell

    def page(self, title: str, main: str, root: str, current: str = "", lang: str = "") -> str:
        ed = self.data.edition
        current_attr = ' aria-current="page"'
        nav_items = "".join(
            f'<li><a href="{root}{href}"{current_attr if href == current else ""}>{esc(label)}</a></li>'
            for href, label in NAV
        )
        footer = [f"<p>{esc(ed.title)}"]
        if ed.editors:
            footer.append(f", edited by {esc(', '.join(ed.editors))}")
        if ed.publisher:
            footer.append(f"; {esc(ed.publisher)}")
        if ed.date:
            footer.append(f", {esc(ed.date)}")
        footer.append(".</p>")
        if ed.licence or ed.licence_url:
            footer.append(f"<p>{link(ed.licence_url, ed.licence or ed.licence_url, rel='license')}</p>")
        return self.templates.page(
            # only registered BCP 47 tags reach `lang` ("fra" becomes "fr"; an unknown value falls back)
            lang=esc(html_lang(lang)[0] or html_lang(ed.language)[0] or "en"),
            title=esc(title if title == ed.title else f"{title} · {ed.title}"),
            root=root,
            edition_title=esc(ed.title),
            nav=f"<ul>{nav_items}</ul>",
            main=main,
            footer="".join(footer),
        )

    # the pages

    def index_page(self) -> str:
        rows = []
        for info in self.data.letters:
            lt = info.letter
            rows.append(
                "<tr>"
                f"<td>{esc(lt.date.display) if lt.date else 'undated'}</td>"
                f'<td><a href="{self.letter_href(info, "")}">{esc(lt.title)}</a></td>'
                f"<td>{self.names(info.senders, '')}</td>"
                f"<td>{self.names(info.recipients, '')}</td>"
                f"<td>{self.named(info.place_sent, '')}</td>"
                f"<td>{'<br>'.join(self.call_number(c) for c in lt.call_numbers)}</td>"
                "</tr>"
            )
        ed = self.data.edition
        sub = f"<p class=\"subtitle\">{esc(ed.subtitle)}</p>\n" if ed.subtitle else ""
        table = (
            '<table>\n<caption>Letters in date order</caption>\n<thead><tr><th scope="col">Date</th>'
            '<th scope="col">Letter</th><th scope="col">From</th><th scope="col">To</th>'
            '<th scope="col">Place</th><th scope="col">Call number</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>"
        ) if rows else "<p>No letters.</p>"
        main = f"<h1>{esc(ed.title)}</h1>\n{sub}{table}"
        return self.page(ed.title, main, "", "index.html")

    def letter_page(self, index: int) -> str:
        info = self.data.letters[index]
        frag = render_fragment(info, self.data, self.mode, self.entity_link("../"))
        self.diagnostics.extend(frag.warnings)
        root = "../"
        credits = "".join(f"<dt>{esc(r[:1].upper() + r[1:])}</dt><dd>{esc(n)}</dd>" for r, n in info.credits)
        if info.rights:
            credits += f"<dt>Rights</dt><dd>{esc(info.rights)}</dd>"
        credits_html = f'<dl class="letter-credits">{credits}</dl>\n' if credits else ""
        parts = [
            f'<article class="letter" aria-labelledby="letter-title">\n<h1 id="letter-title">{esc(frag.title)}</h1>',
            (
                f'<section class="metadata-block" aria-labelledby="h-meta">\n<h2 id="h-meta">About this letter</h2>\n'
                f"{frag.metadata_html}\n{credits_html}</section>"
            ),
        ]
        switch = ""
        if self.mode == "both":
            # the radios are siblings of the text so that CSS alone (`:checked ~`) can switch the view
            switch = (
                '<p class="view-switch-label" id="view-label">View:</p>\n'
                '<input type="radio" name="view" id="view-reading" class="view-radio" aria-describedby="view-label" checked>'
                '<label for="view-reading">Reading text</label>\n'
                '<input type="radio" name="view" id="view-diplomatic" class="view-radio" aria-describedby="view-label">'
                '<label for="view-diplomatic">Diplomatic transcription</label>\n'
            )
        parts.append(
            f'<section class="text-block" aria-labelledby="h-text">\n<h2 id="h-text">Text</h2>\n{switch}'
            f"{frag.body_html}\n</section>"
        )
        if frag.notes_html.strip():
            parts.append(f'<section class="notes" aria-labelledby="h-notes">\n<h2 id="h-notes">Notes</h2>\n{frag.notes_html}\n</section>')
        if frag.apparatus_html.strip():
            parts.append(
                f'<section class="apparatus" aria-labelledby="h-app">\n<h2 id="h-app">Apparatus</h2>\n{frag.apparatus_html}\n</section>'
            )
        parts.append(self.letter_nav(index))
        parts.append("</article>")
        return self.page(frag.title, "\n".join(parts), root)

    def nav_links(self, index: int) -> tuple[tuple[str, str, str, str, str], ...]:
        """(label, href, rel, title, date) of the letters before and after; all that `letter_nav` may show.

        The incremental build keys a letter page on exactly this value: keep every neighbour fact the page shows here.
        """
        links = []
        for label, same in (("", False), (" in this correspondence", True)):
            prev, nxt = self.data.neighbours(index, same)
            for word, other, rel in (("Previous letter", prev, "prev"), ("Next letter", nxt, "next")):
                if other is not None:
                    date = other.letter.date.display if other.letter.date else ""
                    href = self.letter_href(other, "../")
                    links.append((word + label, href, "" if same else rel, other.letter.title, date))
        return tuple(links)

    def letter_nav(self, index: int) -> str:
        items = []
        for label, href, rel, title, date in self.nav_links(index):
            rel_attr = f' rel="{rel}"' if rel else ""
            shown_date = f" ({esc(date)})" if date else ""
            items.append(f'<li>{esc(label)}: <a href="{href}"{rel_attr}>{esc(title)}</a>{shown_date}</li>')
        if not items:
            return ""
        return f'<nav class="letter-nav" aria-label="Letters before and after">\n<ul>{"".join(items)}</ul>\n</nav>'

    def register_page(self, kind: str, page: str, heading: str) -> str:
        kinds = (kind, "repository") if kind == "org" else (kind,)
        entries = [e for k in kinds for e in self.data.registry.by_kind(k)]
        entries.sort(key=lambda e: (e.label.casefold(), e.id))
        blocks = []
        for ent in entries:
            used = self.data.letters_of(ent.id)
            lines = [f'<section class="register-entry" id="{esc(ent.id)}" aria-labelledby="{esc(ent.id)}-h">',
                     f'<h2 id="{esc(ent.id)}-h">{esc(ent.label)}</h2>']
            facts = []
            if len(ent.names) > 1:
                facts.append(f"Also: {esc('; '.join(ent.names[1:]))}")
            if ent.birth or ent.death:
                facts.append(esc(f"{ent.birth or '?'} – {ent.death or '?'}"))
            if ent.note:
                facts.append(esc(ent.note))
            lines.extend(f"<p>{f}</p>" for f in facts)
            auth = authority_links(ent)
            if auth:
                lines.append('<p class="authority">Authority records: ' + ", ".join(
                    f'{esc(label)} {link(url, value)}' for label, value, url in auth) + "</p>")
            for role in ROLES:
                if used[role]:
                    word = PLACE_SENT_WORDS if kind == "place" and role == "sent" else ROLE_WORDS[role]
                    lis = "".join(
                        f'<li><a href="{self.letter_href(i, "")}">{esc(i.letter.title)}</a></li>' for i in used[role]
                    )
                    lines.append(f"<p>{esc(word)}:</p><ul>{lis}</ul>")
            lines.append("</section>")
            blocks.append("\n".join(lines))
        body = "\n".join(blocks) if blocks else "<p>No entries.</p>"
        return self.page(heading, f"<h1>{esc(heading)}</h1>\n{body}", "", f"{page}.html")

    def concordance_page(self) -> str:
        rows = []
        pairs = [(cn, info) for info in self.data.letters for cn in info.letter.call_numbers]
        pairs.sort(key=lambda p: (p[0].repository.casefold(), (p[0].collection or "").casefold(), natural_key(p[0].idno), p[1].slug))
        for cn, info in pairs:
            note = certainty_note(cn)
            said = f' <span class="certainty">({esc(note)})</span>' if note else ""
            rows.append(
                f"<tr><td>{esc(cn.repository)}</td><td>{esc(cn.collection or '')}</td>"
                f"<td>{link(cn.url, cn.idno) if cn.url else esc(cn.idno)}{said}</td>"
                f'<td><a href="{self.letter_href(info, "")}">{esc(info.letter.title)}</a></td></tr>'
            )
        table = (
            '<table>\n<caption>Call numbers and the letters they hold</caption>\n<thead><tr>'
            '<th scope="col">Repository</th><th scope="col">Collection</th><th scope="col">Item</th>'
            '<th scope="col">Letter</th></tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"
        ) if rows else "<p>No call numbers recorded.</p>"
        return self.page("Concordance of call numbers", f"<h1>Concordance of call numbers</h1>\n{table}", "", "concordance.html")

    def about_page(self) -> str:
        ed = self.data.edition
        facts: list[tuple[str, str]] = []
        if ed.subtitle:
            facts.append(("Subtitle", esc(ed.subtitle)))
        if ed.editors:
            facts.append(("Editors", esc("; ".join(ed.editors))))
        if ed.publisher:
            facts.append(("Publisher", esc(ed.publisher)))
        if ed.date:
            facts.append(("Date", esc(ed.date)))
        if ed.licence or ed.licence_url:
            facts.append(("Licence", link(ed.licence_url, ed.licence or ed.licence_url, rel="license")))
        if ed.identifier:
            facts.append(("Identifier", esc(ed.identifier)))
        dl = f'<dl class="metadata">{"".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)}</dl>' if facts else ""
        prose = about_prose(ed.about_path)
        main = f"<h1>About this edition</h1>\n{dl}\n{prose}"
        return self.page("About this edition", main, "", "about.html")

    # writing

    def cross_pages(self) -> Iterator[tuple[str, Callable[[], str]]]:
        """(relative path, page maker) for the pages that span letters (cheap; always rewritten), in a stable order."""
        yield "index.html", self.index_page
        for kind, page, heading in REGISTER_KINDS:
            yield f"{page}.html", (lambda k=kind, p=page, h=heading: self.register_page(k, p, h))  # type: ignore[misc]
        yield "concordance.html", self.concordance_page
        yield "about.html", self.about_page

    def pages(self) -> Iterator[tuple[str, Callable[[], str]]]:
        """(relative path, page maker) for every page, in a stable order."""
        yield "index.html", self.index_page
        for i, info in enumerate(self.data.letters):
            yield f"letters/{info.slug}.html", (lambda i=i: self.letter_page(i))  # type: ignore[misc]
        yield from list(self.cross_pages())[1:]

    def write_cross(self, progress: Callable[[str], None] | None = None) -> list[str]:
        """Write the cross-letter pages and the stylesheets; returns their paths (relative)."""
        written = []
        for rel, make in self.cross_pages():
            write_if_changed(self.out / rel, make().encode("utf-8"))
            written.append(rel)
            if progress is not None:
                progress(rel)
        for name in ("style.css", "print.css"):
            write_if_changed(self.out / name, self.templates.text(name).encode("utf-8"))
            written.append(name)
        return written

    def write(self, progress: Callable[[str], None] | None = None, jobs: int | None = 1) -> list[str]:
        """Write every page (letter pages in `jobs` processes) and the stylesheets; returns the paths (relative, sorted)."""
        from .letters import LetterRenderer, PassResult, render_letters
        from .manifest import Manifest

        renderer = LetterRenderer(self.data, site_mode=self.mode, templates=self.templates.folder)
        renderer._cache["site"] = self
        manifest = Manifest.load(self.out, "", use=False)  # export html renders every page; `build` is incremental
        passed = PassResult()

        def advance(_fmt: str) -> None:
            if progress is not None:
                progress("letters/")

        target = {"site": lambda info: self.letter_href(info, "")}
        for _letter in render_letters(renderer, target, manifest, jobs=jobs, result=passed, advance=advance):
            pass
        self.diagnostics.extend(passed.warnings_of("site"))
        return sorted([*passed.written["site"], *self.write_cross(progress)])


def about_prose(path: str) -> str:
    """The edition file's `text/body` as simple HTML (heads, paragraphs, lists); every text escaped."""
    if not path or not os.path.isfile(path):
        return ""
    parsed = parse_file(path)
    if parsed.tree is None:
        return ""
    body = parsed.tree.getroot().find("tei:text/tei:body", NS)
    if body is None:
        return ""
    out = []
    for el in body.iter("{*}head", "{*}p", "{*}list"):
        local = el.tag.rpartition("}")[2]
        if local == "head":
            out.append(f"<h2>{esc(text_of(el))}</h2>")
        elif local == "list":
            items = "".join(f"<li>{esc(text_of(i))}</li>" for i in el.iterfind("tei:item", NS))
            out.append(f"<ul>{items}</ul>")
        elif (parent := el.getparent()) is not None and str(parent.tag).rpartition("}")[2] != "item":
            out.append(f"<p>{esc(text_of(el))}</p>")
    return "\n".join(out)


def export_site(
    data: EditionData, out: str | Path, *, mode: str = "both", templates: str | Path | None = None,
    force: bool = False, progress: Callable[[str], None] | None = None, claim: bool = True, jobs: int | None = 1,
) -> tuple[list[str], list[Diagnostic]]:
    """Write the web edition into `out` (letter pages in `jobs` processes; None: all cores); returns (paths, warnings)."""
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    out_path = Path(out)
    if claim:
        claim_output_dir(out_path, SITE_MARKER, force)
    if templates is None and data.root is not None and (data.root / "templates").is_dir():
        templates = data.root / "templates"
    site = Site(data, out_path, mode, Templates(templates))
    written = site.write(progress, jobs)
    return written, sorted(set(site.diagnostics))


