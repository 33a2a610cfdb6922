"""The static HTML web edition, from Jinja2 page templates (autoescaped; a project overrides any of them file by file).

Pages: the index, a page per letter (with its citation, its TEI source beside it, JSON-LD and a canonical link when the
edition has a base URL), the registers, the concordance, a timeline with a page per year, the correspondences (a
network picture and a page per pair of correspondents), the search page (Pagefind, where installed) and the about
page. Every label comes from the message catalogue of the edition's language (`trotsky_tei.i18n`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..callnumbers import certainty_note
from ..errors import Diagnostic, OutputError, UsageError
from ..i18n import Lang, Messages, messages
from ..keys import key_of
from ..model import CallNumber, Edition, Entity
from .collect import (
    PLACE_SENT_WORDS,
    REGISTER_PAGES,
    ROLE_WORDS,
    ROLES,
    EditionData,
    LetterInfo,
    authority_links,
    correspondent,
    natural_key,
    register_kinds,
    safe_url,
    slugify,
)
from .core import fold, shorten
from .langtags import html_lang
from .outputs import Outputs, write_output

if TYPE_CHECKING:
    from jinja2 import Environment

    from ..letter_pass import PassResult
    from ..parallel import Executor
    from ..registry import Registry
    from ..store import Store
    from .search import SearchResult

MODES = ("reading", "diplomatic", "both")
# the page templates (Jinja2) and the stylesheets a project may override, file by file, in its templates folder
PAGE_TEMPLATES = (
    "base.html", "macros.html", "index.html", "letter.html", "register.html", "concordance.html", "about.html",
    "timeline.html", "year.html", "correspondences.html", "correspondence.html", "search.html",
)
STYLESHEETS = ("style.css", "print.css")
SITE_MARKER = ".trotsky-tei-site"
MAX_LABEL = 300  # characters of a name or title a page repeats in a link list (a letter's own page shows it whole)


def entity_href(entity: Entity, root: str) -> str:
    """The register page and anchor of an entry, relative to a page at `root` ("" or "../")."""
    page = REGISTER_PAGES.get(entity.kind, "persons")
    return f"{root}{page}.html#{entity.id}"


_LEADING_H2 = re.compile(r"\s*<h2>(.*?)</h2>\n?", re.S)


def without_heading(prose: str, heading: str) -> str:
    """The edition's about text without a first heading that says what the page's own heading says (an edition.xml
    often opens its text with "About this edition": the page would say it twice)."""
    import html

    found = _LEADING_H2.match(prose)
    if found is not None and " ".join(html.unescape(found.group(1)).split()).casefold() == heading.casefold():
        return prose[found.end():]
    return prose


# --- templates -------------------------------------------------------------------------------------


class Templates:
    """The page templates and stylesheets: a project's templates folder first, file by file; the bundled ones otherwise."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        if self.folder is not None and not self.folder.is_dir():
            raise UsageError(f"templates folder not found: {self.folder}")
        if self.folder is not None and (self.folder / "page.html").is_file() and not (self.folder / "base.html").is_file():
            raise UsageError(f"{self.folder / 'page.html'}: the page shell is now base.html, a Jinja2 template "
                             "(see docs/export.md, 'Page templates'); rename and convert it")
        self._envs: dict[Lang, Environment] = {}

    def text(self, name: str) -> str:
        if self.folder is not None and (self.folder / name).is_file():
            try:
                return (self.folder / name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read template {self.folder / name}: {exc}") from exc
        return (resources.files("trotsky_tei") / "templates" / name).read_text(encoding="utf-8")

    def key(self) -> str:
        """What the pages' templates are: the text of each (a project's own or the bundled one)."""
        found: str | None = self.__dict__.get("_key")
        if found is None:
            found = self.__dict__["_key"] = key_of([(name, self.text(name)) for name in PAGE_TEMPLATES])
        return found

    def environment(self, lang: Lang) -> Environment:
        env = self._envs.get(lang)
        if env is None:
            from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

            loaders: list[Any] = [PackageLoader("trotsky_tei", "templates")]
            if self.folder is not None:
                loaders.insert(0, FileSystemLoader(str(self.folder)))
            env = Environment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined,
                              extensions=["jinja2.ext.i18n"], keep_trailing_newline=True, auto_reload=False)
            t = messages(lang)
            env.install_gettext_callables(t, t.n, newstyle=True)  # type: ignore[attr-defined]
            env.globals["_"] = env.globals["gettext"] = newstyle_gettext(t)  # `_` itself, not an alias of it
            env.globals["macros"] = self._guard("macros.html", lambda: env.get_template("macros.html").make_module())
            self._envs[lang] = env
        return env

    def render(self, name: str, lang: Lang, values: Mapping[str, Any]) -> str:
        env = self.environment(lang)
        return str(self._guard(name, lambda: env.get_template(name).render(values)))

    def pieces(self, name: str, lang: Lang, values: Mapping[str, Any]) -> Iterator[str]:
        """`render` in pieces, as the template makes them (the same text): a large page is never held whole."""
        env = self.environment(lang)
        template = self._guard(name, lambda: env.get_template(name))
        with self._guarded(name):  # once around the whole page: a register page is some 100,000 pieces
            yield from template.generate(values)

    def _guard(self, name: str, make: Callable[[], Any]) -> Any:
        with self._guarded(name):
            return make()

    @contextlib.contextmanager
    def _guarded(self, name: str) -> Iterator[None]:
        """A template's error as a usage error naming the template and line."""
        from jinja2 import TemplateError, TemplateSyntaxError

        try:
            yield
        except TemplateSyntaxError as exc:
            raise UsageError(f"template {exc.filename or exc.name or name}, line {exc.lineno}: {exc.message}") from exc
        except TemplateError as exc:
            raise UsageError(f"template {name}: {exc}") from exc


def newstyle_gettext(t: Messages) -> Callable[..., str]:
    """Jinja2's newstyle `gettext` of `t` (the translation marked safe where the template autoescapes, then formatted
    with its values escaped), to be the templates' `_` itself: the i18n extension's `_` reaches it through an alias
    and a wrapper, three calls a label. A label without values is made once per run."""
    from jinja2 import pass_eval_context
    from markupsafe import Markup

    made: dict[str, str] = {}

    @pass_eval_context
    def gettext(eval_ctx: Any, message: str, **fields: Any) -> str:
        if not eval_ctx.autoescape:
            return t(message) % fields
        if fields:
            return Markup(t(message)) % fields
        found = made.get(message)
        if found is None:
            found = made[message] = Markup(t(message)) % fields
        return found

    return gettext


# --- output folder ---------------------------------------------------------------------------------


def claim_output_dir(out: Path, marker: str, force: bool) -> None:
    """Create `out`, or accept it if empty or made by us (marker file); refuse other non-empty folders."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file() and not force:
        raise OutputError(f"{out} is not empty and was not made by trotsky-tei; use --force to write into it anyway")
    out.mkdir(parents=True, exist_ok=True)
    (out / marker).write_text("made by trotsky-tei; this folder may be overwritten by the next run\n", encoding="utf-8")


# --- what the templates see ------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    label: str
    href: str | None = None


@dataclass(frozen=True)
class NavItem:
    """An entry of the site's menu."""

    href: str
    label: str
    current: bool


@dataclass(frozen=True)
class NavLink:
    """A letter before or after, as the letter page's navigation shows it."""

    label: str
    href: str
    rel: str
    title: str
    date: str


@dataclass(frozen=True)
class LetterLink:
    """A link to a letter from a page at the site's root (the registers, the concordance)."""

    href: str
    title: str


@dataclass(frozen=True)
class CallNumberView:
    display: str
    url: str | None
    note: str


@dataclass(frozen=True)
class LetterView:
    """A letter as the lists show it (index, year, correspondence pages): every value plain text, escaped by Jinja2."""

    slug: str
    href: str
    title: str
    date: str  # in the edition's language
    iso: str  # the HTML datetime value ("" when none)
    senders: tuple[Name, ...]
    recipients: tuple[Name, ...]
    place: Name | None
    call_numbers: tuple[CallNumberView, ...]


@dataclass(frozen=True)
class Correspondence:
    """The letters between the same correspondents (both directions): its members, slug and letters by index."""

    key: frozenset[str]
    slug: str
    members: tuple[tuple[str, str, Entity | None], ...]  # (key, label, registry entry), in name order
    letters: tuple[int, ...]


def year_of(info: LetterInfo) -> int | None:
    """The year a letter is listed under: of `@when`, else of its range's start; None when undated."""
    d = info.letter.date
    if d is None:
        return None
    m = re.match(r"^(\d{4})", d.sort_key)
    return int(m.group(1)) if m and d.sort_key != "9999" and int(m.group(1)) > 0 else None


def bounded(text: str, limit: int = MAX_LABEL) -> str:
    return shorten(text, limit)


# --- the site ---------------------------------------------------------------------------------------


@dataclass
class Site:
    """Writes the web edition of `data` into `out`."""

    data: EditionData
    out: Path
    mode: str = "both"
    templates: Templates = field(default_factory=Templates)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # a letter's rendered parts (JSON, as the pass stored them) and title
    articles: Callable[[LetterInfo], tuple[str, str]] = lambda info: ("", "")
    lang: Lang = field(default_factory=Lang)
    # the search page and its menu entry (the index is made from the written pages: render/search.py)
    search: bool = False
    # a letter's own file, byte for byte, as the pass read it (offered beside its page)
    sources: Callable[[LetterInfo], bytes] = lambda info: b""

    def __post_init__(self) -> None:
        self.t: Messages = messages(self.lang)

    # paths and links

    def letter_href(self, info: LetterInfo, root: str) -> str:
        return f"{root}letters/{info.slug}.html"

    def entity_href(self, entity: Entity, root: str) -> str:
        return entity_href(entity, root)

    def permalink(self, info: LetterInfo) -> str:
        """The letter's stable address: the edition's base URL + letters/<slug>.html ("" without a base URL)."""
        base = self.base_url()
        return f"{base}letters/{info.slug}.html" if base else ""

    def base_url(self) -> str:
        url = safe_url(self.data.edition.url) if self.data.edition.url else None
        if not url or not url.startswith(("http://", "https://")):
            return ""
        return url if url.endswith("/") else url + "/"

    def name(self, pair: tuple[str, Entity | None] | None, root: str) -> Name | None:
        if pair is None:
            return None
        label, ent = pair
        shown = bounded(label or (ent.label if ent else ""))
        return Name(shown, self.entity_href(ent, root) if ent is not None else None)

    def call_number(self, cn: CallNumber) -> CallNumberView:
        # an inferred part is said wherever the call number is shown
        return CallNumberView(cn.display, cn.url, certainty_note(cn, self.t) or "")

    def letter_link(self, info: LetterInfo) -> LetterLink:
        """A link to a letter from a page at the root, made once per letter (the registers list a letter many times)."""
        links: dict[str, LetterLink] = self.__dict__.setdefault("_links", {})
        found = links.get(info.slug)
        if found is None:
            found = links[info.slug] = LetterLink(self.letter_href(info, ""), bounded(fold(info.letter.title)))
        return found

    def letter_view(self, info: LetterInfo, root: str) -> LetterView:
        lt = info.letter
        from .html import html_datetime

        iso = (html_datetime(lt.date.when) or "") if lt.date is not None and lt.date.when else ""
        return LetterView(
            slug=info.slug, href=self.letter_href(info, root), title=bounded(fold(lt.title)), date=self.t.date(lt.date),
            iso=iso,
            senders=tuple(n for n in (self.name(p, root) for p in info.senders) if n is not None),
            recipients=tuple(n for n in (self.name(p, root) for p in info.recipients) if n is not None),
            place=self.name(info.place_sent, root),
            call_numbers=tuple(self.call_number(c) for c in lt.call_numbers),
        )

    # the shell

    @functools.cached_property
    def nav_entries(self) -> tuple[tuple[str, str], ...]:
        """The site's menu: letters, timeline, correspondences, the registers, the concordance, search, about."""
        t = self.t
        entries = [("index.html", t("Letters")), ("timeline.html", t("Timeline")), ("correspondences.html", t("Correspondences"))]
        entries += [(f"{page}.html", t(heading)) for _kind, page, heading in register_kinds(self.data.registry)]
        entries.append(("concordance.html", t("Concordance")))
        if self.search:
            entries.append(("search.html", t("Search")))
        entries.append(("about.html", t("About")))
        return tuple(entries)

    @functools.cached_property
    def html_lang(self) -> str:
        """The pages' language: the labels' (the edition's own tag where the labels are in it, e.g. "de-AT")."""
        from ..i18n import choose

        edition = self.data.edition.language
        if choose(edition).code != self.lang.code:
            return self.lang.code
        # only registered BCP 47 tags reach `lang` ("fra" becomes "fr"; an unknown value falls back)
        return html_lang(edition)[0] or self.lang.code

    def page(self, template: str, heading: str, root: str, current: str = "", canonical: str = "", **values: Any) -> str:
        return self.templates.render(template, self.lang, self._shell(heading, root, current, canonical, values))

    def page_pieces(self, template: str, heading: str, root: str, current: str = "", **values: Any) -> Iterator[str]:
        """`page` as the template makes it, in pieces (`Templates.pieces`)."""
        return self.templates.pieces(template, self.lang, self._shell(heading, root, current, "", values))

    def _shell(self, heading: str, root: str, current: str, canonical: str, values: dict[str, Any]) -> dict[str, Any]:
        """What every page's template is given (the shell: menu, titles, language), then the page's own values."""
        ed = self.data.edition
        shell = {
            "lang": self.html_lang,
            "page_title": heading if heading == ed.title else f"{heading} · {ed.title}",
            "root": root,
            "edition": ed,
            "nav": self.nav(current),
            "canonical": canonical,
            "mode": self.mode,
            "heading": heading,
        }
        return {**shell, **values}

    def nav(self, current: str) -> tuple[NavItem, ...]:
        """The menu as a page shows it (`current`: the page's own entry), made once per page of the menu."""
        menus: dict[str, tuple[NavItem, ...]] = self.__dict__.setdefault("_menus", {})
        found = menus.get(current)
        if found is None:
            found = menus[current] = tuple(NavItem(h, label, h == current) for h, label in self.nav_entries)
        return found

    # the pages

    def index_page(self) -> str:
        letters = [self.letter_view(i, "") for i in self.data.letters]
        return self.page("index.html", self.data.edition.title, "", "index.html", letters=letters,
                         canonical=self.base_url() and self.base_url() + "index.html")

    def letter_page(self, index: int) -> str:
        """A letter's page: the parts the pass rendered, its citation and source, the letters around it."""
        info = self.data.letters[index]
        return self.letter_page_of(info, self.nav_links(index), *self.articles(info))

    def letter_page_of(self, info: LetterInfo, nav: tuple[tuple[str, str, str, str, str], ...], content: str, title: str) -> str:
        """`letter_page` from what it is made of: the letter's record, its `nav_links`, the parts the pass rendered
        (JSON) and title; nothing of the other letters (a worker makes it: `make_letter_pages`)."""
        from markupsafe import Markup

        parts = json.loads(content) if content else {}
        html = {k: str(parts.get(k, "")) for k in ("metadata", "body", "notes", "apparatus")}
        if self.search and self.mode == "both":  # the index reads each text once: the reading view (results' excerpts)
            for k in ("body", "notes", "apparatus"):
                html[k] = html[k].replace('<section class="view view-diplomatic"', '<section class="view view-diplomatic" data-pagefind-ignore')
        article = {k: Markup(v) for k, v in html.items()}  # HTML the pass rendered: every text in it escaped there
        title = title or fold(info.letter.title)
        permalink = self.permalink(info)
        return self.page(
            "letter.html", title, "../", canonical=permalink, title=title, article=article,
            credits=[(r, n) for r, n in info.credits], rights=info.rights, citation=self.citation(info),
            permalink=permalink, source_href=f"{info.slug}.xml", nav_links=[
                NavLink(label, href, rel, bounded(t), date) for label, href, rel, t, date in nav],
            jsonld=Markup(self.json_ld(info)) if permalink else "", search_data=Markup(self.search_data(info)),
            search_summary=self.search_summary(info),
        )

    def search_summary(self, info: LetterInfo) -> str:
        """The letter's metadata as one line of words for the search index: correspondents, date, place, languages,
        call numbers ("" without search)."""
        if not self.search:
            return ""
        t, lt = self.t, info.letter
        bits = []
        for label, pairs in ((t("From"), info.senders), (t("To"), info.recipients)):
            names = [n or (e.label if e else "") for n, e in pairs]
            if any(names):
                bits.append(f"{label}: {', '.join(n for n in names if n)}")
        if lt.date is not None:
            bits.append(f"{t('Date')}: {t.date(lt.date)}")
        if info.place_sent is not None:
            bits.append(f"{t('Place')}: {info.place_sent[0] or (info.place_sent[1].label if info.place_sent[1] else '')}")
        if lt.languages:
            bits.append(f"{t('Languages')}: {', '.join(lbl or ident for ident, lbl in lt.languages)}")
        bits.extend(f"{t('Call number')}: {cn.display}" for cn in lt.call_numbers)
        return bounded("; ".join(bits), 2000)

    def citation(self, info: LetterInfo) -> str:
        """Editors (eds.), edition title, “letter title”, permalink (or the page's path without a base URL)."""
        ed, t = self.data.edition, self.t
        who = ""
        if ed.editors:
            role = t("ed.") if len(ed.editors) == 1 else t("eds.")
            who = f"{', '.join(ed.editors)} ({role}), "
        title = t("“%(title)s”", title=fold(info.letter.title))
        where = self.permalink(info) or f"letters/{info.slug}.html"
        bits = [f"{who}{ed.title}", title]
        if ed.publisher or ed.date:
            bits.append(" ".join(b for b in (ed.publisher, ed.date) if b))
        return ", ".join(bits) + f", {where}"

    def json_ld(self, info: LetterInfo) -> str:
        """schema.org data for the letter (a Message held in an archive), as JSON safe inside a script element."""
        lt, ed = info.letter, self.data.edition

        def agent(pair: tuple[str, Entity | None]) -> dict[str, Any]:
            label, ent = pair
            out: dict[str, Any] = {"@type": "Person" if ent is None or ent.kind == "person" else "Organization",
                                   "name": label or (ent.label if ent else "")}
            if ent is not None:
                same = [url for _l, _v, url in authority_links(ent)]
                if same:
                    out["sameAs"] = same
            return out

        data: dict[str, Any] = {"@context": "https://schema.org", "@type": ["Message", "ArchiveComponent"],
                                "name": fold(lt.title), "url": self.permalink(info),
                                "isPartOf": {"@type": "CreativeWork", "name": ed.title, "url": self.base_url()}}
        if info.senders:
            data["sender"] = [agent(p) for p in info.senders]
        if info.recipients:
            data["recipient"] = [agent(p) for p in info.recipients]
        if lt.date is not None and lt.date.when:
            data["dateCreated"] = lt.date.when
        if info.place_sent is not None:
            data["locationCreated"] = {"@type": "Place", "name": info.place_sent[0] or (info.place_sent[1].label if info.place_sent[1] else "")}
        if info.lang:
            data["inLanguage"] = info.lang
        if lt.call_numbers:
            cn = lt.call_numbers[0]
            data["holdingArchive"] = {"@type": "ArchiveOrganization", "name": cn.repository}
            data["identifier"] = [c.display for c in lt.call_numbers]
            if cn.url:
                data["sameAs"] = cn.url
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
        # nothing a letter holds may end the script element or start markup inside it
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    def search_data(self, info: LetterInfo) -> str:
        """The facets of a letter for the search index (hidden; read by Pagefind), empty without search."""
        if not self.search:
            return ""
        from .search import facet_labels, filter_spans

        lt = info.letter
        year = year_of(info)
        sort = {"date": lt.date.sort_key} if lt.date is not None and year is not None else {}
        return str(filter_spans(self.facets(info), labels=facet_labels(self.lang.code), meta={"date": self.t.date(lt.date)}, sort=sort))

    def facets(self, info: LetterInfo) -> dict[str, list[str]]:
        """correspondent, year, place (of writing), language, repository: the search page's facets of a letter."""
        year = year_of(info)
        return {
            "correspondent": sorted({correspondent(n, e)[1] for n, e in (*info.senders, *info.recipients) if n or e}),
            "year": [str(year)] if year is not None else [],
            "place": [info.place_sent[1].label if info.place_sent[1] else info.place_sent[0]] if info.place_sent is not None else [],
            "language": [lbl or ident for ident, lbl in info.letter.languages],
            "repository": sorted({c.repository for c in info.letter.call_numbers if c.repository}),
        }

    def nav_links(self, index: int) -> tuple[tuple[str, str, str, str, str], ...]:
        """(label, href, rel, title, date) of the letters before and after; all that the letter page's navigation shows.

        The incremental build keys a letter page on exactly this value: keep every neighbour fact the page shows here.
        """
        t = self.t
        links = []
        for same in (False, True):
            prev, nxt = self.data.neighbours(index, same)
            for word, other, rel in ((t("Previous letter"), prev, "prev"), (t("Next letter"), nxt, "next")):
                if other is not None:
                    if same:
                        word = t("%(which)s in this correspondence", which=word)
                    href = self.letter_href(other, "../")
                    links.append((word, href, "" if same else rel, fold(other.letter.title), t.date(other.letter.date)))
        return tuple(links)

    def register_page(self, kind: str, page: str, heading: str) -> Iterator[str]:
        """A register's page, in pieces: it lists every letter that names each entry (megabytes for a large edition)."""
        t = self.t
        kinds = (kind, "repository") if kind == "org" else (kind,)
        entries = [e for k in kinds for e in self.data.registry.by_kind(k)]
        entries.sort(key=lambda e: (e.label.casefold(), e.id))
        by_member = self.correspondences_of()
        views = []
        for ent in entries:
            used = self.data.letters_of(ent.id)
            groups = []
            for role in ROLES:
                if used[role]:
                    word = PLACE_SENT_WORDS if kind == "place" and role == "sent" else ROLE_WORDS[role]
                    groups.append({"label": t(word), "letters": [
                        self.letter_link(i) for i in used[role]]})
            life = f"{ent.birth or '?'} – {ent.death or '?'}" if ent.birth or ent.death else ""
            views.append({
                "id": ent.id, "label": ent.label, "also": list(ent.names[1:]), "life": life, "note": ent.note or "",
                "authority": [{"label": lbl, "value": v, "url": u} for lbl, v, u in authority_links(ent)],
                "letters": groups,
                "correspondences": [self.correspondence_link(c, "") for c in by_member.get(ent.id, ())],
            })
        return self.page_pieces("register.html", t(heading), "", f"{page}.html", entries=views)

    def concordance_page(self) -> str:
        pairs = [(cn, info) for info in self.data.letters for cn in info.letter.call_numbers]
        pairs.sort(key=lambda p: (p[0].repository.casefold(), (p[0].collection or "").casefold(), natural_key(p[0].idno), p[1].slug))
        rows = [{"repository": cn.repository, "collection": cn.collection or "", "idno": cn.idno, "url": cn.url,
                 "note": certainty_note(cn, self.t) or "",
                 "letter": self.letter_link(info)}
                for cn, info in pairs]
        heading = self.t("Concordance of call numbers")
        return self.page("concordance.html", heading, "", "concordance.html", rows=rows)

    def about_page(self) -> str:
        from markupsafe import Markup

        ed, t = self.data.edition, self.t
        facts: list[tuple[str, Any]] = []
        if ed.subtitle:
            facts.append((t("Subtitle"), ed.subtitle))
        if ed.editors:
            facts.append((t("Editors"), "; ".join(ed.editors)))
        if ed.publisher:
            facts.append((t("Publisher"), ed.publisher))
        if ed.date:
            facts.append((t("Date"), ed.date))
        if ed.licence or ed.licence_url:
            url = safe_url(ed.licence_url) if ed.licence_url else None
            shown = ed.licence or ed.licence_url
            from markupsafe import escape

            facts.append((t("Licence"), Markup(f'<a href="{escape(url)}" rel="license">{escape(shown)}</a>') if url else shown))
        if ed.identifier:
            facts.append((t("Identifier"), ed.identifier))
        heading = t("About this edition")
        return self.page("about.html", heading, "", "about.html", facts=facts, about=Markup(without_heading(ed.about_html, heading)))

    # the timeline and the years

    def years(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] | None = self.__dict__.get("_years")
        if found is None:
            found = {}
            for i, info in enumerate(self.data.letters):
                year = year_of(info)
                if year is not None:
                    found.setdefault(year, []).append(i)
            found = self.__dict__["_years"] = dict(sorted(found.items()))
        return found

    def year_href(self, year: int, root: str) -> str:
        return f"{root}years/{year}.html"

    def timeline_page(self) -> str:
        from .charts import letters_per_year

        t = self.t
        years = self.years()
        heading = t("Timeline")
        chart = letters_per_year(
            {y: len(v) for y, v in years.items()}, title=t("Letters per year"),
            desc=t("A bar for each year from %(first)s to %(last)s; its height is the number of letters written that year.",
                   first=min(years, default=""), last=max(years, default="")),
            year_href=lambda y: self.year_href(y, "") if y in years else None, labels=self.chart_labels())
        undated = [self.letter_view(info, "") for info in self.data.letters if year_of(info) is None]
        return self.page("timeline.html", heading, "", "timeline.html", chart=self.markup_chart(chart),
                         years=[{"year": y, "href": self.year_href(y, ""), "count_label": self.count(len(v))} for y, v in years.items()],
                         undated=undated)

    def year_page(self, year: int) -> str:
        t = self.t
        years = list(self.years())
        at = years.index(year)
        heading = t("Letters of %(year)s", year=year)

        def near(y: int) -> dict[str, Any]:
            return {"year": y, "href": self.year_href(y, "../")}

        return self.page("year.html", heading, "../", "",
                         letters=[self.letter_view(self.data.letters[i], "../") for i in self.years()[year]],
                         prev=near(years[at - 1]) if at > 0 else None, next=near(years[at + 1]) if at + 1 < len(years) else None)

    # correspondences

    def correspondences(self) -> list[Correspondence]:
        """Every set of correspondents that wrote letters to each other, most letters first (then by name)."""
        found: list[Correspondence] | None = self.__dict__.get("_corr")
        if found is not None:
            return found
        groups: dict[frozenset[str], list[int]] = {}
        members: dict[frozenset[str], dict[str, tuple[str, Entity | None]]] = {}
        for i, info in enumerate(self.data.letters):
            key = info.correspondence
            if len(key) < 2:
                continue
            groups.setdefault(key, []).append(i)
            seen = members.setdefault(key, {})
            for n, e in (*info.senders, *info.recipients):
                k, label = correspondent(n, e)
                if k in key and k not in seen:
                    seen[k] = (label, e)
        slugs: set[str] = set()
        found = []
        for key, letters in groups.items():
            ms = tuple(sorted(((k, bounded(lbl, 120), e) for k, (lbl, e) in members[key].items()), key=lambda m: (m[1].casefold(), m[0])))
            slug = slugify("--".join(slugify(k) for k, _l, _e in ms))
            while slug in slugs:  # two sets of names that slug alike ("Marx" and "marx"): a stable suffix
                slug = slugify(slug + "-" + key_of(sorted(key))[:6])
            slugs.add(slug)
            found.append(Correspondence(key, slug, ms, tuple(letters)))
        found.sort(key=lambda c: (-len(c.letters), [m[1].casefold() for m in c.members], c.slug))
        self.__dict__["_corr"] = found
        return found

    def correspondences_of(self) -> dict[str, list[Correspondence]]:
        out: dict[str, list[Correspondence]] = {}
        for c in self.correspondences():
            for k, _l, e in c.members:
                if e is not None:
                    out.setdefault(k, []).append(c)
        return out

    def correspondence_title(self, c: Correspondence) -> str:
        labels = [m[1] for m in c.members]
        if len(labels) == 2:
            return self.t("%(a)s and %(b)s", a=labels[0], b=labels[1])
        return self.t("%(a)s and %(b)s", a=", ".join(labels[:-1]), b=labels[-1])

    def correspondence_href(self, c: Correspondence, root: str) -> str:
        return f"{root}correspondences/{c.slug}.html"

    def correspondence_link(self, c: Correspondence, root: str) -> dict[str, str]:
        return {"href": self.correspondence_href(c, root), "title": self.correspondence_title(c), "count_label": self.count(len(c.letters))}

    def count(self, n: int) -> str:
        return self.t.n("%(num)s letter", "%(num)s letters", n)

    def correspondences_page(self) -> str:
        from .charts import network

        t = self.t
        labels: dict[str, tuple[str, Entity | None]] = {}
        edges: dict[tuple[str, str], int] = {}
        for info in self.data.letters:
            senders = [(*correspondent(n, e), e) for n, e in info.senders if n or e]
            recipients = [(*correspondent(n, e), e) for n, e in info.recipients if n or e]
            for k, lbl, e in (*senders, *recipients):
                labels.setdefault(k, (lbl, e))
            for s in senders:
                for r in recipients:
                    if s[0] != r[0]:
                        edges[(s[0], r[0])] = edges.get((s[0], r[0]), 0) + 1
        wrote = {k for pair in edges for k in pair}  # who exchanged letters with someone: the network's nodes
        nodes = [(k, bounded(lbl, 60), self.entity_href(e, "") if e is not None else None) for k, (lbl, e) in sorted(labels.items()) if k in wrote]
        heading = t("Correspondences")
        chart = network(nodes, edges, title=t("The correspondence network"),
                        desc=t("Each correspondent is a name on a circle; a line joins two who wrote to each other, wider the more letters they exchanged."),
                        labels=self.chart_labels())
        return self.page("correspondences.html", heading, "", "correspondences.html", chart=self.markup_chart(chart),
                         correspondences=[self.correspondence_link(c, "") for c in self.correspondences()])

    def correspondence_page(self, c: Correspondence) -> str:
        heading = self.correspondence_title(c)
        members = [Name(lbl, self.entity_href(e, "../") if e is not None else None) for _k, lbl, e in c.members]
        return self.page("correspondence.html", heading, "../", "", members=members,
                         letters=[self.letter_view(self.data.letters[i], "../") for i in c.letters])

    def chart_labels(self) -> dict[str, str]:
        from .charts import DEFAULT_LABELS

        return {key: self.t(message) for key, message in DEFAULT_LABELS.items()}

    @staticmethod
    def markup_chart(chart: Any) -> dict[str, Any]:
        from markupsafe import Markup

        return {"svg": Markup(chart.svg), "table": Markup(chart.table)}

    # search

    def search_page(self) -> str:
        from markupsafe import Markup

        from .search import search_labels, search_page_body

        heading = self.t("Search")
        return self.page("search.html", heading, "", "search.html", search_body=Markup(search_page_body(search_labels(self.lang.code))))

    def index_search(self) -> SearchResult:
        """The search index of this site's letter pages, as written (`pagefind/`): only those of its letters."""
        from .search import index_site

        return index_site(self.out, lang=self.html_lang, pages=[self.letter_href(i, "") for i in self.data.letters])

    # the sitemap

    def sitemap(self) -> str:
        """sitemap.xml of every page (only with a base URL: a sitemap lists absolute addresses)."""
        from xml.sax.saxutils import escape

        base = self.base_url()
        urls = [base + rel for rel, _make in self.pages()]
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in urls) + "</urlset>\n")

    # writing

    def cross_pages(self) -> Iterator[tuple[str, Callable[[], str | Iterator[str]]]]:
        """(relative path, page maker) for the pages that span letters, in a stable order (a maker gives the page, or
        its pieces: `Outputs.write` takes both)."""
        yield "index.html", self.index_page
        yield "timeline.html", self.timeline_page
        for year in self.years():
            yield f"years/{year}.html", (lambda y=year: self.year_page(y))  # type: ignore[misc]
        yield "correspondences.html", self.correspondences_page
        for c in self.correspondences():
            yield f"correspondences/{c.slug}.html", (lambda c=c: self.correspondence_page(c))  # type: ignore[misc]
        for kind, page, heading in register_kinds(self.data.registry):
            yield f"{page}.html", (lambda k=kind, p=page, h=heading: self.register_page(k, p, h))  # type: ignore[misc]
        yield "concordance.html", self.concordance_page
        if self.search:
            yield "search.html", self.search_page
        yield "about.html", self.about_page

    def pages(self) -> Iterator[tuple[str, Callable[[], str | Iterator[str]]]]:
        """(relative path, page maker) for every page, in a stable order."""
        yield "index.html", self.index_page
        for i, info in enumerate(self.data.letters):
            yield f"letters/{info.slug}.html", (lambda i=i: self.letter_page(i))  # type: ignore[misc]
        yield from list(self.cross_pages())[1:]

    def _letter_pages(self, outputs: Outputs, to_make: list[tuple[int, str, str | None]], executor: Executor) -> None:
        """The letter pages `to_make`, made and written by `executor`'s workers (and this process) in batches; each
        is recorded as it comes back, in order. The same bytes as made here: the same code, the same inputs."""
        work = PageWork(self.data.edition, self.data.registry, self.mode, self.templates.folder, self.lang, self.search, outputs.root)

        def batches() -> Iterator[list[PageItem]]:
            for at in range(0, len(to_make), PAGE_BATCH):
                yield [(rel, self.data.letters[i], self.nav_links(i), *self.articles(self.data.letters[i]))
                       for i, rel, _key in to_make[at:at + PAGE_BATCH]]

        at = 0
        for results in executor.map(make_letter_pages, work, batches(), size=-(-len(to_make) // PAGE_BATCH)):
            for written, size, mtime in results:
                _i, rel, key = to_make[at]
                outputs.record(rel, key, written, size, mtime)
                at += 1

    def page_key(self, index: int, letter_key: str) -> str:
        """What a letter page is made from: the letter's results, its slug, the letters around it, the shell."""
        return key_of(letter_key, self.data.letters[index].slug, self.nav_links(index), self.shell_key)

    @functools.cached_property
    def shell_key(self) -> str:
        """What every page's shell is made from: the edition, mode, language, search, templates and menu."""
        return key_of(self.data.edition, self.mode, self.lang, self.search, self.templates.key(), register_kinds(self.data.registry))

    def write(
        self, outputs: Outputs, keys: Sequence[str] | None = None, *, prefix: str = "",
        progress: Callable[[str], None] | None = None, record_keys: Sequence[str] | None = None,
        executor: Executor | None = None,
    ) -> None:
        """Write every page through `outputs`, under `prefix` (letter pages keyed on `keys`, the letters' keys by
        date-order index; without keys every page is made), each letter's TEI source beside its page, the
        stylesheets and (with a base URL) sitemap.xml. The cross-letter pages show only the letters' records: they
        are keyed on `record_keys` (the hashes of the records) where given. With an `executor` that has workers,
        the letter pages to make, when there are many, are made and written by them (`make_letter_pages`)."""
        from ..parallel import spreads

        to_make: list[tuple[int, str, str | None]] = []  # (index, rel, key) of the letter pages to make
        for i, info in enumerate(self.data.letters):
            key = self.page_key(i, keys[i]) if keys is not None else None
            rel = f"{prefix}letters/{info.slug}.html"
            if outputs.to_make(rel, key):
                to_make.append((i, rel, key))
            outputs.write(f"{prefix}letters/{info.slug}.xml", key_of(keys[i], "source") if keys is not None else None,
                          lambda info=info: self.sources(info))  # type: ignore[misc]
            if progress is not None:
                progress("letters/")
        if executor is not None and spreads(executor) and len(to_make) >= PARALLEL_PAGES:
            self._letter_pages(outputs, to_make, executor)
        else:
            for i, rel, key in to_make:
                made = self.letter_page(i).encode("utf-8")
                outputs.record(rel, key, *write_output(outputs.root / rel, made))
        shown = record_keys if record_keys is not None else keys
        cross = key_of(self.shell_key, self.data.registry.content_key(), shown, [i.slug for i in self.data.letters])
        for rel, make in self.cross_pages():
            outputs.write(prefix + rel, key_of(cross, rel) if keys is not None else None, make)
            if progress is not None:
                progress(rel)
        if self.base_url():
            outputs.write(prefix + "sitemap.xml", key_of(cross, "sitemap.xml") if keys is not None else None, self.sitemap)
        for name in STYLESHEETS:
            text = self.templates.text(name)
            outputs.write(prefix + name, key_of(text) if keys is not None else None, lambda text=text: text)  # type: ignore[misc]


def export_site(
    data: EditionData, out: str | Path, *, mode: str = "both", templates: str | Path | None = None,
    force: bool = False, progress: Callable[[str], None] | None = None, claim: bool = True, jobs: int | None = 1,
    lang: str = "", search: bool | None = None,
) -> tuple[list[str], list[Diagnostic]]:
    """Write the web edition of `data`'s letters into `out`; returns (paths, warnings). Each letter is read again
    (once): `export_html`, which takes the paths, reads each letter once in all."""
    return export_html([i.letter.path for i in data.letters], out, mode=mode, templates=templates, force=force,
                       progress=progress, claim=claim, jobs=jobs, root=data.root, lang=lang, search=search)[1:]


def export_html(
    paths: Sequence[str], out: str | Path, *, mode: str = "both", templates: str | Path | None = None,
    force: bool = False, progress: Callable[[str], None] | None = None, claim: bool = True, jobs: int | None = 1,
    root: Path | None = None, executor: Executor | None = None, lang: str = "", search: bool | None = None,
) -> tuple[EditionData, list[str], list[Diagnostic]]:
    """Write the web edition of the letters under `paths` into `out`, reading each letter once (the one pass):
    returns the edition data, the paths written (relative, sorted) and the render warnings. `search`: the search
    page and its index (render/search.py); None: where Pagefind is installed; True without it is a usage error."""
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
        result = CorpusPass(list(paths), PassOptions(consumers=("record", "site", "source"), site_mode=mode, lang=lang), store=store,
                            executor=executor or LocalExecutor(jobs), edition_root=root).run()
        data = edition_data(result)
        if templates is None and data.root is not None and (data.root / "templates").is_dir():
            templates = data.root / "templates"
        site = Site(data, out_path, mode, Templates(templates), articles=stored_articles(store, result), lang=result.run.lang,
                    sources=lambda info: store.part_bytes(info.letter.path, "source") or b"", search=wants_search(search) and bool(data.letters))
        outputs = Outputs(out_path)
        site.write(outputs, progress=progress, executor=executor or LocalExecutor(jobs))
        if site.search:
            from .search import SearchError

            try:
                site.index_search()
            except SearchError as exc:  # e.g. a letter.html of the project's own without data-pagefind-body
                raise UsageError(f"search: {exc} (a letter.html of your own must keep data-pagefind-body on the "
                                 "letter's article; or leave search out: --no-search)") from exc
    warns = sorted({d for o in result.outcomes for d in o.meta.diagnostics_of("site")})
    return data, sorted([*outputs.written, *outputs.kept]), warns


def wants_search(search: bool | None) -> bool:
    """Whether to make the search page and index: `search` as asked, None: where Pagefind is installed."""
    from .search import INSTALL_HINT, search_available

    if search is False:
        return False
    available = search_available()
    if search and not available:
        raise UsageError(INSTALL_HINT)
    return available


# letter pages worth handing to new worker processes (measured on 2 cores: no gain at 2,000, 2 s of 40 at 10,000)
PARALLEL_PAGES = 4000
PAGE_BATCH = 16


@dataclass
class PageWork:
    """What a worker needs to make letter pages (`make_letter_pages`): the site's settings, not its letters."""

    edition: Edition
    registry: Registry
    mode: str
    templates: Path | None
    lang: Lang
    search: bool
    root: Path  # the output folder the pages' paths are relative to

    @functools.cached_property
    def site(self) -> Site:  # made once in each worker (the context arrives there once)
        return Site(EditionData(self.edition, self.registry, []), self.root, self.mode, Templates(self.templates),
                    lang=self.lang, search=self.search)


PageItem = tuple[str, LetterInfo, tuple[tuple[str, str, str, str, str], ...], str, str]  # rel, record, nav, parts, title


def make_letter_pages(work: PageWork, batch: list[PageItem]) -> list[tuple[bool, int, int]]:
    """Make and write each letter page of `batch`: (written, size, mtime_ns) of each, for `Outputs.record`."""
    site = work.site
    return [write_output(work.root / rel, site.letter_page_of(info, nav, content, title).encode("utf-8"))
            for rel, info, nav, content, title in batch]


def stored_articles(store: Store, result: PassResult) -> Callable[[LetterInfo], tuple[str, str]]:
    """A letter's rendered parts (JSON) and page title, read back from the store the pass wrote them to."""
    titles = {o.path: o.meta.title("site") for o in result.outcomes}

    def article(info: LetterInfo) -> tuple[str, str]:
        return store.part(info.letter.path, "site") or "", titles.get(info.letter.path, "")

    return article
