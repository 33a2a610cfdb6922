"""The static HTML web edition: index, letter pages, registers, concordance and about page from page templates."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from ..callnumbers import certainty_note
from ..errors import Diagnostic, OutputError, UsageError
from ..keys import key_of
from ..model import CallNumber, Entity
from .collect import (
    PLACE_SENT_WORDS,
    REGISTER_KINDS,
    REGISTER_PAGES,
    ROLE_WORDS,
    ROLES,
    EditionData,
    LetterInfo,
    authority_links,
    natural_key,
    register_kinds,
)
from .core import esc, fold, link
from .langtags import html_lang
from .outputs import Outputs

if TYPE_CHECKING:
    from ..letter_pass import PassResult
    from ..parallel import Executor
    from ..store import Store
    from .html import LetterTrees

MODES = ("reading", "diplomatic", "both")
TEMPLATE_FILES = ("page.html", "style.css", "print.css")
SITE_MARKER = ".trotsky-tei-site"


def entity_href(entity: Entity, root: str) -> str:
    """The register page and anchor of an entry, relative to a page at `root` ("" or "../")."""
    page = REGISTER_PAGES.get(entity.kind, "persons")
    return f"{root}{page}.html#{entity.id}"


def letter_article(trees: LetterTrees, info: LetterInfo, mode: str) -> str:
    """A letter page's article, without the navigation to the letters around it (which only the whole edition knows):
    the metadata block, the text (with the CSS-only view switch in mode "both"), the notes and the apparatus."""
    frag = trees.serialise()
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
    if mode == "both":
        # the radios are siblings of the text, notes and apparatus sections, so that CSS alone (`:checked ~`) switches
        # the view of all three: each view's note markers, notes and apparatus link to one another
        # the radios themselves are not shown: their labels, after them, are the switch (two buttons, the chosen one
        # filled), which keeps each label whole on a narrow screen and gives it a large target
        parts.append(
            '<input type="radio" name="view" id="view-reading" class="view-radio" aria-describedby="view-label" checked>\n'
            '<input type="radio" name="view" id="view-diplomatic" class="view-radio" aria-describedby="view-label">\n'
            '<p class="view-switch"><span id="view-label">View:</span> <label for="view-reading">Reading text</label> '
            '<label for="view-diplomatic">Diplomatic transcription</label></p>'
        )
    parts.append(
        f'<section class="text-block" aria-labelledby="h-text">\n<h2 id="h-text">Text</h2>\n'
        f"{frag.body_html}\n</section>"
    )
    if frag.notes_html.strip():
        parts.append(f'<section class="notes" aria-labelledby="h-notes">\n<h2 id="h-notes">Notes</h2>\n{frag.notes_html}\n</section>')
    if frag.apparatus_html.strip():
        parts.append(
            f'<section class="apparatus" aria-labelledby="h-app">\n<h2 id="h-app">Apparatus</h2>\n{frag.apparatus_html}\n</section>'
        )
    return "\n".join(parts)


_LEADING_H2 = re.compile(r"\s*<h2>(.*?)</h2>\n?", re.S)


def without_heading(prose: str, heading: str) -> str:
    """The edition's about text without a first heading that says what the page's own heading says (an edition.xml
    often opens its text with "About this edition": the page would say it twice)."""
    found = _LEADING_H2.match(prose)
    if found is not None and " ".join(html.unescape(found.group(1)).split()).casefold() == heading.casefold():
        return prose[found.end():]
    return prose


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
    # a letter's article and title as the pass rendered them (the store of the run)
    articles: Callable[[LetterInfo], tuple[str, str]] = lambda info: ("", "")

    # paths and links

    def letter_href(self, info: LetterInfo, root: str) -> str:
        return f"{root}letters/{info.slug}.html"

    def entity_href(self, entity: Entity, root: str) -> str:
        return entity_href(entity, root)

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

    def nav_entries(self) -> tuple[tuple[str, str], ...]:
        """The site's menu: NAV, with the registers of works and events after the organisations where there are some."""
        extra = tuple((f"{page}.html", heading) for kind, page, heading in register_kinds(self.data.registry)
                      if (kind, page, heading) not in REGISTER_KINDS)
        at = [h for h, _l in NAV].index("concordance.html")
        return NAV[:at] + extra + NAV[at:]

    def page(self, title: str, main: str, root: str, current: str = "", lang: str = "") -> str:
        ed = self.data.edition
        current_attr = ' aria-current="page"'
        nav_items = "".join(
            f'<li><a href="{root}{href}"{current_attr if href == current else ""}>{esc(label)}</a></li>'
            for href, label in self.nav_entries()
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
            '<div class="table-scroll">\n<table>\n<caption>Letters in date order</caption>\n<thead><tr><th scope="col">Date</th>'
            '<th scope="col">Letter</th><th scope="col">From</th><th scope="col">To</th>'
            '<th scope="col">Place</th><th scope="col">Call number</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>\n</div>"
        ) if rows else "<p>No letters.</p>"
        main = f"<h1>{esc(ed.title)}</h1>\n{sub}{table}"
        return self.page(ed.title, main, "", "index.html")

    def letter_page(self, index: int) -> str:
        """A letter's page: its article (rendered in the pass) with the letters around it, in the page shell."""
        info = self.data.letters[index]
        article, title = self.articles(info)
        main = "\n".join([article, self.letter_nav(index), "</article>"])
        return self.page(title or fold(info.letter.title), main, "../")

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
            '<div class="table-scroll">\n<table>\n<caption>Call numbers and the letters they hold</caption>\n<thead><tr>'
            '<th scope="col">Repository</th><th scope="col">Collection</th><th scope="col">Item</th>'
            '<th scope="col">Letter</th></tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>\n</div>"
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
        heading = "About this edition"
        prose = without_heading(ed.about_html, heading)
        main = f"<h1>{heading}</h1>\n{dl}\n{prose}"
        return self.page(heading, main, "", "about.html")

    # writing

    def cross_pages(self) -> Iterator[tuple[str, Callable[[], str]]]:
        """(relative path, page maker) for the pages that span letters (cheap; always rewritten), in a stable order."""
        yield "index.html", self.index_page
        for kind, page, heading in register_kinds(self.data.registry):
            yield f"{page}.html", (lambda k=kind, p=page, h=heading: self.register_page(k, p, h))  # type: ignore[misc]
        yield "concordance.html", self.concordance_page
        yield "about.html", self.about_page

    def pages(self) -> Iterator[tuple[str, Callable[[], str]]]:
        """(relative path, page maker) for every page, in a stable order."""
        yield "index.html", self.index_page
        for i, info in enumerate(self.data.letters):
            yield f"letters/{info.slug}.html", (lambda i=i: self.letter_page(i))  # type: ignore[misc]
        yield from list(self.cross_pages())[1:]

    def page_key(self, index: int, letter_key: str) -> str:
        """What a letter page is made from: the letter's results, its slug, the letters around it, the shell."""
        return key_of(letter_key, self.data.letters[index].slug, self.nav_links(index), self.shell_key())

    def shell_key(self) -> str:
        found: str | None = self.__dict__.get("_shell_key")
        if found is None:
            found = self.__dict__["_shell_key"] = key_of(self.data.edition, self.mode, self.templates.text("page.html"))
        return found

    def write(
        self, outputs: Outputs, keys: Sequence[str] | None = None, *, prefix: str = "",
        progress: Callable[[str], None] | None = None, record_keys: Sequence[str] | None = None,
    ) -> None:
        """Write every page through `outputs`, under `prefix` (letter pages keyed on `keys`, the letters' keys by
        date-order index; without keys every page is made) and the stylesheets. The cross-letter pages show only
        the letters' records: they are keyed on `record_keys` (the hashes of the records) where given."""
        for i, info in enumerate(self.data.letters):
            key = self.page_key(i, keys[i]) if keys is not None else None
            outputs.write(f"{prefix}letters/{info.slug}.html", key, lambda i=i: self.letter_page(i))  # type: ignore[misc]
            if progress is not None:
                progress("letters/")
        shown = record_keys if record_keys is not None else keys
        cross = key_of(self.shell_key(), self.data.registry.content_key(), shown, [i.slug for i in self.data.letters])
        for rel, make in self.cross_pages():
            outputs.write(prefix + rel, key_of(cross, rel) if keys is not None else None, make)
            if progress is not None:
                progress(rel)
        for name in ("style.css", "print.css"):
            text = self.templates.text(name)
            outputs.write(prefix + name, key_of(text) if keys is not None else None, lambda text=text: text)  # type: ignore[misc]


def export_site(
    data: EditionData, out: str | Path, *, mode: str = "both", templates: str | Path | None = None,
    force: bool = False, progress: Callable[[str], None] | None = None, claim: bool = True, jobs: int | None = 1,
) -> tuple[list[str], list[Diagnostic]]:
    """Write the web edition of `data`'s letters into `out`; returns (paths, warnings). Each letter is read again
    (once): `export_html`, which takes the paths, reads each letter once in all."""
    return export_html([i.letter.path for i in data.letters], out, mode=mode, templates=templates, force=force,
                       progress=progress, claim=claim, jobs=jobs, root=data.root)[1:]


def export_html(
    paths: Sequence[str], out: str | Path, *, mode: str = "both", templates: str | Path | None = None,
    force: bool = False, progress: Callable[[str], None] | None = None, claim: bool = True, jobs: int | None = 1,
    root: Path | None = None, executor: Executor | None = None,
) -> tuple[EditionData, list[str], list[Diagnostic]]:
    """Write the web edition of the letters under `paths` into `out`, reading each letter once (the one pass):
    returns the edition data, the paths written (relative, sorted) and the render warnings."""
    from ..letter_pass import CorpusPass, PassOptions
    from ..parallel import LocalExecutor
    from ..store import Store
    from .collect import edition_data

    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    out_path = Path(out)
    if claim:
        claim_output_dir(out_path, SITE_MARKER, force)
    with Store() as store:
        result = CorpusPass(list(paths), PassOptions(consumers=("record", "site"), site_mode=mode), store=store,
                            executor=executor or LocalExecutor(jobs), edition_root=root).run()
        data = edition_data(result)
        if templates is None and data.root is not None and (data.root / "templates").is_dir():
            templates = data.root / "templates"
        site = Site(data, out_path, mode, Templates(templates), articles=stored_articles(store, result))
        outputs = Outputs(out_path)
        site.write(outputs, progress=progress)
    warns = sorted({d for o in result.outcomes for d in o.meta.diagnostics_of("site")})
    return data, sorted([*outputs.written, *outputs.kept]), warns


def stored_articles(store: Store, result: PassResult) -> Callable[[LetterInfo], tuple[str, str]]:
    """A letter's article and page title, read back from the store the pass wrote them to."""
    titles = {o.path: o.meta.title("site") for o in result.outcomes}

    def article(info: LetterInfo) -> tuple[str, str]:
        return store.part(info.letter.path, "site") or "", titles.get(info.letter.path, "")

    return article
