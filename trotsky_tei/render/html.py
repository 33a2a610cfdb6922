"""The HTML letter writer: a letter page's content (metadata, text, notes, apparatus) as escaped HTML fragments.

The page shell (head, navigation, site) is not made here; `render_letter_html` returns fragments a page template
or an EPUB chapter puts together. Every fragment is built as an lxml tree, so every text value is escaped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape as html_escape
from typing import cast

from lxml import etree

from ..callnumbers import certainty_note, with_certainty
from ..errors import Diagnostic, Severity
from ..i18n import N_
from ..model import Letter, Mention
from ..rules.dates import check_w3c
from ..xmlfile import TEI_NS, XML_LANG, line_of, local_name
from .core import (
    ApparatusEntry,
    Handler,
    Mode,
    Note,
    RenderContext,
    Walker,
    fold,
    fold_inner,
    gap_text,
    hard_line_break,
    page_label,
    reading_label,
    source_texts,
    text_elements,
    text_lang,
    witness_sigla,
)
from .langtags import html_lang

OPS_NS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS_NS}}}type"
RenderMode = str  # "reading" | "diplomatic" | "both"

# HTML elements that only take phrasing content: a block opened inside one becomes a <span class="block …">
PHRASING = frozenset({"p", "span", "a", "em", "i", "b", "u", "sup", "sub", "q", "cite", "time", "ins", "del", "h3", "h4", "small", "abbr", "dfn", "s", "mark", "bdi", "code"})
# what HTML lets a list hold: anything else the letter puts there goes into the previous item, or before the list
LIST_CHILDREN = {"ul": ("li",), "ol": ("li",), "dl": ("dt", "dd", "div")}
# what an HTML datetime can say of a TEI @when: a year (positive, four digits), a month or a day
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_TOKEN = re.compile(r"[^A-Za-z0-9_-]+")
_WITH_LANG = etree.XPath("descendant-or-self::*[@xml:lang]")


@functools.lru_cache(maxsize=1024)
def _cls(*names: str) -> str:
    return " ".join(n for n in (_TOKEN.sub("-", x).strip("-") for x in names) if n)


def _name_attrs(el: etree._Element, ctx: RenderContext) -> dict[str, str | None]:
    """A name linked to its register entry where the pointer resolves and the context gives a page for it."""
    entity = ctx.entity(el.get("ref") or el.get("key"), el)
    url = ctx.url_policy(ctx.link_for(entity.id)) if entity is not None else None
    return {"href": url}


def _ref_attrs(el: etree._Element, ctx: RenderContext) -> dict[str, str | None]:
    target = (el.get("target") or "").split()
    href = target[0] if len(target) == 1 else None
    if href and href.startswith("#"):
        href = None  # a pointer to an xml:id: that id is not an anchor of the page
    if href and ctx.epub and not href.startswith(("http:", "https:", "mailto:")):
        href = None  # a relative link would point outside the book
    return {"href": ctx.url_policy(href)}


def _with_lang(top: etree._Element) -> list[etree._Element]:
    """`top` and the elements inside it that have an xml:lang, in document order."""
    return cast("list[etree._Element]", _WITH_LANG(top))


def html_datetime(when: str | None) -> str | None:
    """`when` as an HTML `datetime`: only a real date (the validator's W3C check, TT301) of a form HTML has."""
    return when if when and _DATE.match(when) and check_w3c(when) is None else None


def _date_attrs(el: etree._Element, ctx: RenderContext) -> dict[str, str | None]:
    return {"datetime": html_datetime(el.get("when"))}


def _hi_tag(el: etree._Element) -> str:
    rend = (el.get("rend") or el.get("rendition") or "").lower()
    for key, tag in (("italic", "i"), ("bold", "b"), ("sup", "sup"), ("sub", "sub"), ("underline", "u"), ("strike", "s")):
        if key in rend:
            return tag
    return "em" if rend in ("", "emph") else "span"


H = Handler
LINKED = "a?"  # tag marker: an <a> when attrs give an href, else a <span>
HTML_TABLE: dict[str, Handler] = {
    # blocks
    "p": H("block", "p"),
    "ab": H("block", "p", "ab"),
    **{n: H("block", "div", n) for n in ("div", "div1", "div2", "div3", "opener", "closer", "postscript", "lg", "floatingText", "epigraph", "argument", "trailer", "titlePage", "front", "body", "back", "figure", "listBibl")},
    **{n: H("block", "p", n) for n in ("dateline", "salute", "signed", "byline", "docAuthor", "docDate", "docImprint", "titlePart", "docTitle")},
    "address": H("block", "p", "address"),
    "addrLine": H("inline", "span", "addrLine", after=""),
    "l": H("block", "span", "l"),
    "head": H("block", "h3", "head"),
    "list": H("block", "ul", "list"),
    "item": H("block", "li", "item"),
    "table": H("block", "table", "table"),
    "row": H("block", "tr", "row"),
    "cell": H("block", "td", "cell"),
    "figDesc": H("block", "p", "figDesc"),
    # inlines
    **{n: H("inline", LINKED, n, attrs=_name_attrs) for n in ("persName", "placeName", "orgName", "rs", "name", "geogName", "settlement", "country", "region", "bloc", "district")},
    "ref": H("inline", LINKED, "ref", attrs=_ref_attrs),
    "date": H("inline", "time", "date", attrs=_date_attrs),
    "time": H("inline", "span", "time"),
    "title": H("inline", "cite", "title"),
    "hi": H("inline", "hi", "hi"),
    "emph": H("inline", "em", "emph"),
    "q": H("inline", "q", "q"),
    "quote": H("inline", "q", "quote"),
    "said": H("inline", "q", "said"),
    "soCalled": H("inline", "q", "soCalled"),
    "sic": H("inline", "span", "sic"),
    "corr": H("inline", "span", "corr"),
    "orig": H("inline", "span", "orig"),
    "reg": H("inline", "span", "reg"),
    "abbr": H("inline", "abbr", "abbr"),
    "expan": H("inline", "span", "expan"),
    "lem": H("inline", "span", "lem"),
    "add": H("inline", "span", "add"),
    "subst": H("inline", "span", "subst"),
    "supplied": H("inline", "span", "supplied", before="[", after="]"),
    "surplus": H("inline", "span", "surplus", before="{", after="}"),
    "unclear": H("inline", "span", "unclear", after="(?)"),
    "gap": H("generated", "span", "gap", generate=gap_text),
    "space": H("generated", "span", "space", generate=lambda el, t: " "),
    **{
        n: H("inline", "span", n)
        for n in (
            "foreign", "term", "seg", "num", "measure", "mentioned", "distinct", "bibl", "label", "c", "w", "pc",
            "damage", "fw", "roleName", "forename", "surname", "addName", "genName", "nameLink", "affiliation",
            "occupation", "span", "author", "editor", "publisher", "pubPlace", "biblScope", "idno", "cit", "gloss",
            "stamp", "metamark", "secl",
        )
    },
    "lb": H("lb"),
    "pb": H("pb", "span", "pb"),
    "cb": H("empty"),
    **{n: H("empty") for n in ("anchor", "handShift", "milestone", "graphic", "ptr", "media", "binaryObject")},
}
HTML_TABLE_DIPLOMATIC: dict[str, Handler] = {
    **HTML_TABLE,
    "del": H("inline", "del", "del"),
    "add": H("inline", "ins", "add"),
}


LINES = frozenset({"l", "addrLine"})


def _next_element(el: etree._Element) -> etree._Element | None:
    """The next sibling that is an element (comments and processing instructions passed over)."""
    nxt = el.getnext()
    while nxt is not None and not isinstance(nxt.tag, str):
        nxt = nxt.getnext()
    return nxt


def _label_item_pairs(el: etree._Element) -> bool:
    """Whether a `list`'s labels and items come in label-item pairs (so it can be a `dl`)."""
    names = [local_name(c) for c in el if isinstance(c.tag, str) and local_name(c) in ("label", "item")]
    return bool(names) and names == ["label", "item"] * (len(names) // 2)


def html_table(mode: Mode) -> dict[str, Handler]:
    """The HTML handler table for a mode."""
    return HTML_TABLE_DIPLOMATIC if mode == "diplomatic" else HTML_TABLE


@dataclass(frozen=True)
class _Plan:
    """What `HtmlWriter.open` makes of a handler whatever the element: decided once per handler, not per element."""

    kind: str
    tag: str  # the HTML tag, or LINKED, or "hi" (decided by the element)
    cls: str | None  # the class attribute
    block_cls: str  # the class of a block that became a <span> (inside phrasing content)
    name: bool  # a name: a link to its register entry where it has one
    attrs: Callable[[etree._Element, RenderContext], dict[str, str | None]] | None
    before: str


def _plan(handler: Handler) -> _Plan:
    name = handler.attrs is _name_attrs and handler.tag == LINKED
    return _Plan(handler.kind, handler.tag or "span", _cls(handler.cls) or None, _cls("block", handler.cls), name,
                 handler.attrs, handler.before)


# the plans of the tables' handlers, by identity (they live as long as the module); a handler made on the fly (the
# walker's plain inline for an element the table lacks) is planned where it is used
_PLANS: dict[int, _Plan] = {id(h): _plan(h) for table in (HTML_TABLE, HTML_TABLE_DIPLOMATIC) for h in table.values()}
# where HTML lets a row, a cell or an item stand; elsewhere it becomes a div (or a span in phrasing content)
_PARENTS = {"li": ("ul", "ol"), "tr": ("table", "tbody"), "td": ("tr",)}


class HtmlWriter:
    """Builds an lxml tree of HTML; blocks inside phrasing content degrade to spans so the HTML stays valid."""

    def __init__(self, ctx: RenderContext, mode: Mode, id_prefix: str = "", root_tag: str = "div") -> None:
        self.ctx = ctx
        self.mode = mode
        self.id_prefix = id_prefix
        self.root = etree.Element(root_tag, nsmap={"epub": OPS_NS} if ctx.epub else None)
        self.stack: list[etree._Element] = [self.root]
        self.tags: list[str] = [root_tag]  # the tag of each element of the stack (not asked of lxml again)
        self.opened: list[bool] = []  # per open(): whether it pushed an element
        self._glue = False
        self._phrasing = 0  # how many elements of the stack take only phrasing content
        self._pending: list[str] = []  # text for the current place, set in one go before the tree changes
        # the current element while it has no children yet (just made and pushed): its pending text is its text,
        # known without asking lxml, which finds that an element has no last child only by raising IndexError
        self._fresh: etree._Element | None = self.root

    @property
    def cur(self) -> etree._Element:
        return self.stack[-1]

    def _in_phrasing(self) -> bool:
        return self._phrasing > 0

    def _push(self, node: etree._Element, tag: str, fresh: bool = True) -> None:
        self.stack.append(node)
        self.tags.append(tag)
        self._fresh = node if fresh else None
        if tag in PHRASING:
            self._phrasing += 1

    def _pop(self) -> etree._Element:
        if self._pending:
            self._flush()
        node = self.stack.pop()
        if self.tags.pop() in PHRASING:
            self._phrasing -= 1
        self._fresh = None  # the element now current has this one as a child
        return node

    def _append_text(self, s: str) -> None:
        if s:
            self._pending.append(s)

    def _flush(self) -> None:
        """Put the pending text where it belongs: after the current element's last child, or as its text."""
        if not self._pending:
            return
        s = "".join(self._pending)
        self._pending.clear()
        cur = self.stack[-1]
        if cur is self._fresh:
            cur.text = (cur.text or "") + s
        else:
            _tail(cur, s)

    def _child(self, tag: str, attrs: dict[str, str] | None = None) -> etree._Element:
        """A new element at the current place (`attrs` without None values)."""
        if self._pending:
            self._flush()
        self._fresh = None
        parent = self.stack[-1]
        allowed = LIST_CHILDREN.get(self.tags[-1])
        if allowed is None or tag in allowed:
            return etree.SubElement(parent, tag, attrs)
        # a list's head, a page break or note marker between items: keep it, keep the HTML valid
        el = etree.Element(tag, attrs)
        items = [c for c in parent if c.tag in allowed]
        if items:
            items[-1].append(el)
        else:
            parent.addprevious(el)
        return el

    def open(self, el: etree._Element, handler: Handler, anchor: str | None = None) -> None:
        plan = _PLANS.get(id(handler)) or _plan(handler)
        kind = plan.kind
        if kind == "lb":
            if hard_line_break(el, self.mode):
                self._child("br")
            elif el.get("break") == "no":
                self._glue = True
            else:
                self._append_text(" ")
            self.opened.append(False)
            return
        if kind == "pb":
            span = self._child("span", {"class": "pb"})
            span.text = page_label(el, self.ctx.t)
            if self.mode == "reading":
                span.set("aria-hidden", "true")
            self.opened.append(False)
            return
        if kind == "empty":
            if anchor:
                self.anchor(anchor)
            self.opened.append(False)
            return
        parent_tag = self.tags[-1]
        entity_id = None
        tag = plan.tag
        if plan.name:  # a name: a link to its register entry where it has one (and is not inside a link already)
            entity = self.ctx.entity(el.get("ref") or el.get("key"), el)
            href = self.ctx.url_policy(self.ctx.link_for(entity.id)) if entity is not None else None
            if href and "a" not in self.tags:
                tag, attrs, entity_id = "a", {"href": href}, entity.id  # type: ignore[union-attr]
            else:
                tag, attrs = "span", {}
        else:
            found = plan.attrs(el, self.ctx) if plan.attrs is not None else None
            attrs = {k: v for k, v in found.items() if v is not None} if found else {}
            if tag == LINKED:  # a link inside a link is not HTML
                tag = "a" if attrs.get("href") and "a" not in self.tags else "span"
                if tag == "span":
                    attrs.pop("href", None)
            elif tag == "hi":
                tag = _hi_tag(el)
            elif "href" in attrs:
                del attrs["href"]
            if tag == "time" and not attrs.get("datetime"):
                tag = "span"
        if tag == "ul" or parent_tag == "dl":
            tag = self._list_tag(el, tag)
        block = kind == "block"
        if block and self._phrasing:
            tag = "span"
        if tag in _PARENTS and parent_tag not in _PARENTS[tag]:
            tag = "div" if not self._phrasing else "span"
        rend = el.get("rend") if handler.tag == "hi" else None
        if rend and tag in ("span", "em"):
            attrs["class"] = _cls("block", handler.cls, "rend-" + rend) if block and tag == "span" else _cls(handler.cls, "rend-" + rend)
        else:
            cls = plan.block_cls if block and tag == "span" else plan.cls
            if cls:
                attrs["class"] = cls
        if anchor:
            attrs["id"] = self.id_prefix + anchor
        xml_lang = el.get(XML_LANG)
        if xml_lang:
            lang, _lost = html_lang(xml_lang)
            if lang:
                attrs["lang"] = lang  # a value HTML cannot carry is left out (lang_warnings reports it)
        if tag == "h3" and parent_tag == "tbody":  # a table's head is its caption (the first child of the table)
            self._flush()
            table = self.stack[-2]
            caption = table[0] if len(table) and table[0].tag == "caption" else None
            if caption is None:
                caption = etree.Element("caption", {"class": "head"})
                table.insert(0, caption)
            elif len(caption) or caption.text:
                etree.SubElement(caption, "br")  # a second head: a second line of the one caption
            self._push(caption, "caption", fresh=False)  # it may have a first line already
            self.opened.append(True)
            return
        if tag == "table":  # in a box of its own that scrolls sideways where the table is wider than the page
            table = etree.SubElement(self._child("div", {"class": "table-scroll"}), "table", attrs)
            self._push(table, "table")
            self._push(etree.SubElement(table, "tbody"), "tbody")
            self.opened.append(True)
            return
        node = self._child(tag, attrs)
        if entity_id is not None:
            self.ctx.register_links.append((node, entity_id))
        self._push(node, tag)
        self.opened.append(True)
        if plan.before:
            self._append_text(plan.before)

    def _list_tag(self, el: etree._Element, tag: str) -> str:
        """`ol` for an ordered list, `dl`/`dt`/`dd` for a list of label-item pairs (a glossary)."""
        name = local_name(el)
        if name == "list" and tag == "ul":
            if _label_item_pairs(el):
                return "dl"
            kind = f"{el.get('type', '')} {el.get('rend', '')}".lower()
            return "ol" if "ordered" in kind or "numbered" in kind else "ul"
        if self.tags[-1] == "dl" and name in ("label", "item"):
            return "dt" if name == "label" else "dd"
        return tag

    def close(self, el: etree._Element, handler: Handler) -> None:
        pushed = self.opened.pop()
        if not pushed:
            return
        if handler.after:
            self._append_text(handler.after)
        closed = self.tags[-1]
        self._pop()
        if closed == "tbody":  # a table is two elements deep
            self._pop()
        if handler.cls in LINES and closed == "span" and _next_element(el) is not None:
            self._child("br")  # address and verse lines, one to a line

    def text(self, s: str) -> None:
        s = fold_inner(s)
        if self._glue:
            s = s.lstrip()
            if s:
                self._glue = False
        if s:
            self._pending.append(s)

    def note_ref(self, note: Note) -> None:
        sup = self._child("sup")
        a = etree.SubElement(
            sup,
            "a",
            {
                "class": "noteref",
                "id": self.id_prefix + note.ref_id,
                "href": f"#{self.id_prefix}{note.id}",
                "role": "doc-noteref",
            },
        )
        if self.ctx.epub:
            a.set(EPUB_TYPE, "noteref")
        a.text = str(note.number)

    def anchor(self, anchor: str) -> None:
        self._child("span", {"id": self.id_prefix + anchor, "class": "app-anchor"})

    def fork(self) -> HtmlWriter:
        return HtmlWriter(self.ctx, self.mode, self.id_prefix)

    def result(self) -> etree._Element:
        self._flush()
        return self.root


@dataclass
class RenderedLetter:
    """A letter page's content, as HTML fragments (strings), plus its title, language and render warnings."""

    title: str
    lang: str
    metadata_html: str
    body_html: str
    notes_html: str
    apparatus_html: str
    warnings: list[Diagnostic] = field(default_factory=list)
    note_count: int = 0
    apparatus_count: int = 0


@dataclass
class LetterTrees:
    """A letter page's content as HTML trees: what the web page is serialised from, and the EPUB chapter derived from.

    `body` is what the page shows (one view, or both views in their sections); `views` the text of each view
    rendered, by name ("reading", "diplomatic"), which the EPUB chapter takes once the page is serialised.
    `notes` and `apparatus` are those of the main view (the reading one in mode "both"); `view_notes` and
    `view_apparatus` those of each view, by name: in mode "both" each view has its own, their ids (and the links to
    them) prefixed "d-" in the diplomatic view, so that a view's links lead into that view.
    """

    title: str
    lang: str
    metadata: etree._Element
    body: etree._Element
    views: dict[str, etree._Element]
    notes: etree._Element | None
    apparatus: etree._Element | None
    warnings: list[Diagnostic]
    note_count: int
    apparatus_count: int
    ctx: RenderContext
    view_notes: dict[str, etree._Element | None] = field(default_factory=dict)
    view_apparatus: dict[str, etree._Element | None] = field(default_factory=dict)

    def serialise(self) -> RenderedLetter:
        ctx = self.ctx
        if len(self.views) > 1:
            t = ctx.t
            notes_html = _views_html(self.view_notes, ctx, {v: t(w) for v, w in (
                ("reading", N_("Notes to the reading text")), ("diplomatic", N_("Notes to the diplomatic transcription")))},
                {v: t(w) for v, w in (("reading", N_("No notes in the reading text.")),
                                      ("diplomatic", N_("No notes in the diplomatic transcription.")))})
            apparatus_html = _views_html(self.view_apparatus, ctx, {v: t(w) for v, w in (
                ("reading", N_("Apparatus of the reading text")), ("diplomatic", N_("Apparatus of the diplomatic transcription")))},
                {v: t(w) for v, w in (("reading", N_("No apparatus entries in the reading text.")),
                                      ("diplomatic", N_("No apparatus entries in the diplomatic transcription.")))})
        else:
            notes_html = _serialize(self.notes, ctx) if self.notes is not None else ""
            apparatus_html = _serialize(self.apparatus, ctx) if self.apparatus is not None else ""
        return RenderedLetter(
            title=self.title,
            lang=self.lang,
            metadata_html=_serialize(self.metadata, ctx),
            body_html=_serialize(self.body, ctx),
            notes_html=notes_html,
            apparatus_html=apparatus_html,
            warnings=self.warnings,
            note_count=self.note_count,
            apparatus_count=self.apparatus_count,
        )


def _serialize(el: etree._Element, ctx: RenderContext) -> str:
    method = "xml" if ctx.epub else "html"
    return str(etree.tostring(el, method=method, encoding="unicode"))


def _views_html(parts: dict[str, etree._Element | None], ctx: RenderContext, label: dict[str, str], none: dict[str, str]) -> str:
    """Each view's notes (or apparatus) in a section of that view (its `label`), switched with the text (mode
    "both"); a view that has none says so (`none`). "" when neither view has any."""
    if all(part is None for part in parts.values()):
        return ""
    sections = []
    for view in ("reading", "diplomatic"):
        part = parts.get(view)
        inner = _serialize(part, ctx) if part is not None else f'<p class="view-none">{html_escape(none[view])}</p>'
        aria = html_escape(label[view])
        sections.append(f'<section class="view view-{view}" aria-label="{aria}">\n{inner}\n</section>')
    return '<div class="letter-views">\n' + "\n".join(sections) + "\n</div>"


def _move_children(src: etree._Element, dst: etree._Element) -> None:
    if src.text:
        _tail(dst, src.text)
    for child in list(src):
        dst.append(child)


def _root(tag: str, ctx: RenderContext, cls: str) -> etree._Element:
    el = etree.Element(tag, nsmap={"epub": OPS_NS} if ctx.epub else None)
    el.set("class", cls)
    return el


def _mention_html(parent: etree._Element, m: Mention, tree: etree._ElementTree, ctx: RenderContext) -> None:
    entity = ctx.entity(m.ref, tree.getroot())
    url = ctx.url_policy(ctx.link_for(entity.id)) if entity is not None else None
    node = etree.SubElement(parent, "a" if url else "span")
    if url:
        node.set("href", url)
        if entity is not None:
            ctx.register_links.append((node, entity.id))
    node.text = m.name or (entity.label if entity is not None else "")


def metadata_element(tree: etree._ElementTree, letter: Letter, ctx: RenderContext) -> etree._Element:
    """The letter's metadata as a `dl`: correspondents, date, place, languages, sources, call numbers."""
    dl = _root("dl", ctx, "letter-metadata")

    def row(term: str) -> etree._Element:
        dt = etree.SubElement(dl, "dt")
        dt.text = term
        return etree.SubElement(dl, "dd")

    t = ctx.t
    for term, people in ((t("From"), letter.senders), (t("To"), letter.recipients)):
        if people:
            dd = row(term)
            for i, m in enumerate(people):
                if i:
                    _tail(dd, "; ")
                _mention_html(dd, m, tree, ctx)
    if letter.date is not None:
        dd = row(t("Date"))
        when = html_datetime(letter.date.when)
        node = etree.SubElement(dd, "time" if when else "span")
        if when:
            node.set("datetime", when)
        node.text = t.date(letter.date)
    for term, place in ((t("Place"), letter.place_sent), (t("Received at"), letter.place_received)):
        if place is not None and place.name:
            _mention_html(row(term), place, tree, ctx)
    if letter.languages:
        row(t("Languages")).text = ", ".join(label or ident for ident, label in letter.languages)
    for src in source_texts(tree):
        row(t("Source")).text = src
    for cn in with_certainty(letter.call_numbers, tree):
        dd = row(t("Call number"))
        url = ctx.url_policy(ctx.call_number_url(cn))
        link = etree.SubElement(dd, "a" if url else "span", {"class": "call-number"})
        if url:
            link.set("href", url)
        link.text = cn.display
        note = certainty_note(cn, t)
        if note:  # an inferred part is said so, never shown as plain fact
            _tail(dd, " ")
            etree.SubElement(dd, "span", {"class": "certainty"}).text = f"({note})"
    return dl


def _tail(parent: etree._Element, s: str) -> None:
    """Put `s` at the end of `parent`: after its last child, or as its text.

    Never `len(parent)`: lxml counts the children one by one, which made a paragraph of 20,000 notes quadratic;
    `parent[-1]` is found from the end at once.
    """
    try:
        last = parent[-1]
    except IndexError:
        parent.text = (parent.text or "") + s
        return
    last.tail = (last.tail or "") + s


def notes_element(notes: list[Note], ctx: RenderContext, id_prefix: str = "") -> etree._Element:
    """The notes as an `ol`, each `li#note-N` with a link back to its marker (ids and links with the view's prefix)."""
    ol = _root("ol", ctx, "notes")
    for note in notes:
        li = etree.SubElement(ol, "li", {"id": id_prefix + note.id})
        if ctx.epub:
            li.set(EPUB_TYPE, "footnote")
        if isinstance(note.content, etree._Element):
            _move_children(note.content, li)
        _tail(li, " ")
        back = etree.SubElement(li, "a", {"class": "noteback", "href": f"#{id_prefix}{note.ref_id}", "role": "doc-backlink"})
        back.set("aria-label", ctx.t("back to note marker %(n)s", n=note.number))
        back.text = "↩"
    return ol




def apparatus_element(entries: list[ApparatusEntry], ctx: RenderContext, id_prefix: str = "") -> etree._Element:
    """The apparatus as an `ol`: `lemma] label reading sigla; …`, the lemma linking to its place in the text (ids and
    links with the view's prefix)."""
    ol = _root("ol", ctx, "apparatus")
    for entry in entries:
        li = etree.SubElement(ol, "li", {"id": f"{id_prefix}apparatus-{entry.number}", "class": _cls("app-entry", "app-" + entry.kind)})
        lem = etree.SubElement(li, "a", {"class": "app-lemma", "href": f"#{id_prefix}{entry.id}"})
        lem.text = entry.lemma or "—"
        for w in entry.lemma_witnesses:
            _tail(li, " ")
            etree.SubElement(li, "span", {"class": "siglum"}).text = w
        _tail(li, "] ")
        for i, r in enumerate(entry.readings):
            if i:
                _tail(li, "; ")
            label = reading_label(r.label)
            if label:
                etree.SubElement(li, "i", {"class": "app-label"}).text = label
                _tail(li, " ")
            span = etree.SubElement(li, "span", {"class": "app-reading"})
            if isinstance(r.content, etree._Element) and (len(r.content) or (r.content.text or "").strip()):
                _move_children(r.content, span)
            else:
                span.text = "om."
            for w in r.witnesses:
                _tail(li, " ")
                etree.SubElement(li, "span", {"class": "siglum"}).text = w
    return ol


def lang_warnings(tree: etree._ElementTree, letter: Letter, ctx: RenderContext) -> list[Diagnostic]:
    """TT702, once per letter and value: an `xml:lang` the HTML `lang` cannot carry (left out, or shortened)."""
    root = tree.getroot()
    text = root.find("{http://www.tei-c.org/ns/1.0}text")
    carrier = text if text is not None and text.get(XML_LANG) else root
    found: list[tuple[str, etree._Element]] = [(text_lang(tree, letter.main_language or ""), carrier)]
    found += [(el.get(XML_LANG, ""), el) for top in text_elements(tree) for el in _with_lang(top)]
    lines: dict[str, list[int]] = {}
    for value, el in found:
        if value and html_lang(value)[1]:
            lines.setdefault(value, []).append(line_of(el))
    out = []
    for value, where in lines.items():
        kept, lost = html_lang(value)
        count = f" ({len(where)} occurrences, first here)" if len(where) > 1 else ""
        what = f'written as lang="{kept}" (without "{lost}")' if kept else "left out of the HTML; the text is kept"
        message = f'xml:lang="{value}" is not a registered BCP 47 language tag{count}: {what}'
        out.append(Diagnostic(ctx.path, where[0], 0, Severity.WARNING, "TT702", "html-lang", message))
    return sorted(out)


def date_warnings(tree: etree._ElementTree, letter: Letter, ctx: RenderContext) -> list[Diagnostic]:
    """TT703, once per letter and value: a `@when` that is no real date, shown as text without `<time datetime>`.

    The values are those the page shows: the letter's date (metadata block) and each `date` of its text.
    """
    root = tree.getroot()
    shown: list[tuple[str, etree._Element | None]] = []
    if letter.date is not None and letter.date.when:
        header = root.find(f"{{{TEI_NS}}}teiHeader")
        dated = header.iter(f"{{{TEI_NS}}}date") if header is not None else iter(())
        shown.append((letter.date.when, next((d for d in dated if d.get("when") == letter.date.when), None)))
    shown += [(el.get("when", ""), el) for top in text_elements(tree) for el in top.iter(f"{{{TEI_NS}}}date")]
    lines: dict[str, list[int]] = {}
    for value, el in shown:
        if value and check_w3c(value) is not None:
            lines.setdefault(value, []).append(line_of(el) if el is not None else 0)
    out = []
    for value, where in lines.items():
        count = f" ({len(where)} occurrences, first here)" if len(where) > 1 else ""
        message = (f"@when='{value}' is not a valid date ({check_w3c(value)}){count}: "
                   "its text is shown without <time datetime>")
        out.append(Diagnostic(ctx.path, min(where), 0, Severity.WARNING, "TT703", "html-invalid-date", message))
    return sorted(out)


def _walk(
    tree: etree._ElementTree, ctx: RenderContext, mode: Mode, id_prefix: str,
) -> tuple[etree._Element, list[Note], list[ApparatusEntry], list[Diagnostic]]:
    writer = HtmlWriter(ctx, mode, id_prefix)
    walker = Walker(html_table(mode), writer, ctx, mode, format_name="HTML", sigla=witness_sigla(tree))
    result = walker.walk(text_elements(tree))
    assert isinstance(result.body, etree._Element)
    return result.body, result.notes, result.apparatus, result.warnings


def render_letter_trees(
    tree: etree._ElementTree, letter: Letter, ctx: RenderContext, mode: RenderMode = "reading"
) -> LetterTrees:
    """Render a letter's page content as trees. mode "both" gives the reading and the diplomatic text one after the other."""
    if mode not in ("reading", "diplomatic", "both"):
        raise ValueError(f"unknown mode {mode!r}; expected reading, diplomatic or both")
    lang, _lost = html_lang(text_lang(tree, letter.main_language or ""))
    primary: Mode = "diplomatic" if mode == "diplomatic" else "reading"
    body, notes, apparatus, warnings = _walk(tree, ctx, primary, "")
    body.set("class", f"letter-text {primary}")
    if lang:
        body.set("lang", lang)
    views: dict[str, etree._Element] = {primary: body}
    notes_el = notes_element(notes, ctx) if notes else None
    apparatus_el = apparatus_element(apparatus, ctx) if apparatus else None
    view_notes: dict[str, etree._Element | None] = {primary: notes_el}
    view_apparatus: dict[str, etree._Element | None] = {primary: apparatus_el}
    if mode == "both":
        # the diplomatic view's own notes and apparatus (its warnings are the reading's: the same elements)
        dbody, dnotes, dapp, _dwarn = _walk(tree, ctx, "diplomatic", "d-")
        views["diplomatic"] = dbody
        view_notes["diplomatic"] = notes_element(dnotes, ctx, "d-") if dnotes else None
        view_apparatus["diplomatic"] = apparatus_element(dapp, ctx, "d-") if dapp else None
        wrapper = _root("div", ctx, "letter-views")
        for view, label in ((body, ctx.t("Reading text")), (dbody, ctx.t("Diplomatic text"))):
            section = etree.SubElement(wrapper, "section", {"class": f"view view-{'reading' if view is body else 'diplomatic'}"})
            section.set("aria-label", label)
            if "class" in view.attrib:
                del view.attrib["class"]  # set again below, after `lang`: the attribute order of the goldens
            view.set("class", f"letter-text {'reading' if view is body else 'diplomatic'}")
            if lang:
                view.set("lang", lang)
            section.append(view)
        body = wrapper
    return LetterTrees(
        title=fold(letter.title),
        lang=lang,
        metadata=metadata_element(tree, letter, ctx),
        body=body,
        views=views,
        notes=notes_el,
        apparatus=apparatus_el,
        warnings=sorted([*warnings, *lang_warnings(tree, letter, ctx), *date_warnings(tree, letter, ctx)]),
        note_count=len(notes),
        apparatus_count=len(apparatus),
        ctx=ctx,
        view_notes=view_notes,
        view_apparatus=view_apparatus,
    )


def render_letter_html(tree: etree._ElementTree, letter: Letter, ctx: RenderContext, mode: RenderMode = "reading") -> RenderedLetter:
    """Render a letter's page content as HTML fragments (strings); see `render_letter_trees`."""
    return render_letter_trees(tree, letter, ctx, mode).serialise()
