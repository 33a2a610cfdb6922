"""The one render walker: modes, note and apparatus collection in document order, and the unknown-element fallback.

A format supplies a `Writer` (an output sink that can be forked for notes and readings) and a handler table
`{TEI local name: Handler}` saying what each element becomes (a block, an inline, a break, generated text).
The walker owns every decision that is the same in all formats: which branch of `choice`/`app`/`subst` is
shown in which mode, that `del` is left out of the reading text (and listed in the apparatus), that `note`s
become numbered markers, and that an element without a handler renders its children and yields TT701.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit

from lxml import etree

from ..errors import Diagnostic, Severity
from ..i18n import ENGLISH, N_, Messages, Nn_
from ..model import CallNumber, Entity
from ..reader import DATA_LISTS, is_data_list
from ..refs import References
from ..registry import Registry
from ..xmlfile import NS, TEI_NS, XML_ID, XML_LANG, all_text, first_children, line_of, local_name

Mode = Literal["reading", "diplomatic"]
MODES: tuple[Mode, ...] = ("reading", "diplomatic")

# choice children: (shown in reading mode, shown in diplomatic mode) pairs, and the apparatus label of each
CHOICE_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("corr", "sic", "correction"),
    ("reg", "orig", "regularisation"),
    ("expan", "abbr", "expansion"),
)
READING_SIDE = {r: kind for r, _, kind in CHOICE_PAIRS}
DIPLOMATIC_SIDE = {d: kind for _, d, kind in CHOICE_PAIRS}

# how an apparatus entry introduces each kind of reading, in every format ("" : no word, the reading alone)
READING_LABELS = {
    "sic": "sic", "corr": "corr.", "orig": "orig.", "reg": "reg.", "abbr": "abbr.", "expan": "expan.", "del": "del.",
    "rdg": "", "lem": "", "note": "note:", "witDetail": "wit. detail:",
}


def reading_label(label: str) -> str:
    """The word shown before a reading: `READING_LABELS`, else the TEI name as written (an unusual `choice` child)."""
    return READING_LABELS.get(label, label)


# elements the walker itself handles (their mode logic is the same in every format)
WALKER_ELEMENTS = frozenset({"choice", "app", "subst", "add", "del", "note", "lem", "rdg", "rdgGrp"})

_TEI = f"{{{TEI_NS}}}"
_TEI_LEN = len(_TEI)


def fold(text: str) -> str:
    """White space folded to single spaces and trimmed."""
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and "…" where it is longer: a label bounded where it is shown."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fold_inner(text: str) -> str:
    """White space folded to single spaces, kept (as one space) at either end: a text node inside running text."""
    parts = text.split()
    if not parts:
        return " " if text else ""
    folded = " ".join(parts)
    if text[0].isspace():
        folded = " " + folded
    if text[-1].isspace():
        folded += " "
    return folded


def esc(text: object) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)


def link(url: str | None, text: str, **attrs: str) -> str:
    """An `<a>` when `url` is safe to emit, else the escaped text alone."""
    safe = safe_href(url)
    if safe is None:
        return esc(text)
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    return f'<a href="{esc(safe)}"{extra}>{esc(text)}</a>'


_CONTROL = re.compile(r"[\x00-\x1f\\]")


@functools.lru_cache(maxsize=4096)
def safe_href(url: str | None) -> str | None:
    """`url` if it may be emitted as a link (http, https, mailto or relative), else None."""
    if not url:
        return None
    url = url.strip()
    if not url or _CONTROL.search(url):
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme in ("http", "https", "mailto"):
        return url
    if scheme == "" and not url.startswith("//"):
        return url
    return None


@dataclass(frozen=True)
class Handler:
    """What an element becomes in one format.

    kind: "block" (paragraph-like), "inline", "lb", "pb", "empty" (no output; the element has no text of its
    own) or "generated" (the output is `generate(el)`, e.g. `gap` → "[…]").
    tag/cls: format-specific (an HTML tag and class, or a text block style).
    before/after: literal text around the content (text formats: quotes, brackets).
    attrs: for HTML, a function giving extra attributes (links, lang, datetime) — None values are dropped.
    """

    kind: str
    tag: str = ""
    cls: str = ""
    before: str = ""
    after: str = ""
    generate: Callable[[etree._Element, Messages], str] | None = None  # (element, the edition's labels) -> text
    attrs: Callable[[etree._Element, RenderContext], dict[str, str | None]] | None = None


class Writer(Protocol):
    """An output sink of one format. The walker calls these in document order."""

    def open(self, el: etree._Element, handler: Handler, anchor: str | None = None) -> None: ...
    def close(self, el: etree._Element, handler: Handler) -> None: ...
    def text(self, s: str) -> None: ...
    def note_ref(self, note: Note) -> None: ...
    def anchor(self, anchor: str) -> None: ...
    def fork(self) -> Writer: ...
    def result(self) -> object: ...


@dataclass
class RenderContext:
    """What rendering one letter needs from outside it: the registry, links to register pages, URL policy, flags.

    `refs` are the letter's references as the pass resolved them; without them they are made on first use.
    """

    registry: Registry | None = None
    link_for: Callable[[str], str | None] = lambda entity_id: None
    url_policy: Callable[[str | None], str | None] = safe_href
    epub: bool = False
    mode: str = "reading"
    path: str = ""
    call_number_url: Callable[[CallNumber], str | None] = lambda cn: cn.url
    refs: References | None = None
    # the labels and dates of the edition's language (trotsky_tei.i18n)
    t: Messages = ENGLISH
    # every link to a register entry made while rendering: (element, entry id), so an EPUB can repoint them
    register_links: list[tuple[etree._Element, str]] = field(default_factory=list)

    def entity(self, pointer: str | None, el: etree._Element) -> Entity | None:
        """The registry entry a name's pointer stands for (the letter's prefixes expanded)."""
        if not pointer or self.registry is None:
            return None
        if self.refs is None:
            self.refs = References(el.getroottree(), self.path, self.registry)
        return self.refs.entity(pointer)


@dataclass
class Note:
    """A `note` of the text: its number, element, and its content rendered by the format's writer."""

    number: int
    element: etree._Element
    content: object = None

    @property
    def id(self) -> str:
        return f"note-{self.number}"

    @property
    def ref_id(self) -> str:
        return f"noteref-{self.number}"


@dataclass
class Reading:
    """One reading of an apparatus entry: its rendered content, plain text, label and witness sigla."""

    content: object
    text: str
    label: str  # "sic", "orig", "abbr", "corr", "reg", "expan", "del", "rdg", "lem", "note", "witDetail"
    witnesses: tuple[str, ...] = ()  # the sigla of its witnesses (@wit), and of its sources (@source: whose conjecture)


@dataclass
class ApparatusEntry:
    """An apparatus entry: a variant (`app`) or an editorial intervention, with the lemma shown in the text."""

    number: int
    kind: str  # "variant" | "correction" | "regularisation" | "expansion" | "deletion" | "substitution"
    lemma: str
    readings: list[Reading]
    line: int = 0
    lemma_witnesses: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"app-{self.number}"


@dataclass
class WalkResult:
    """Everything one walk produced: the body output, notes, apparatus entries and warnings, in document order."""

    body: object
    notes: list[Note]
    apparatus: list[ApparatusEntry]
    warnings: list[Diagnostic]


def witness_sigla(tree: etree._ElementTree | etree._Element) -> dict[str, str]:
    """`witness/@xml:id` → its sigil: the witness's `@n`, else its `abbr`, else the id."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    out: dict[str, str] = {}
    for w in root.iter(f"{{{TEI_NS}}}witness"):
        wid = w.get(XML_ID)
        if not wid:
            continue
        abbr = w.find("tei:abbr", NS)
        out[wid] = w.get("n") or (fold(all_text(abbr)) if abbr is not None else "") or wid
    return out


class Walker:
    """Walks a letter's `text` with one format's handler table, in one mode, collecting notes and apparatus."""

    def __init__(
        self,
        table: dict[str, Handler],
        writer: Writer,
        ctx: RenderContext,
        mode: Mode = "reading",
        *,
        format_name: str = "text",
        sigla: dict[str, str] | None = None,
        notes: bool = True,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        self.render_notes = notes  # False: the notes' own content is not rendered (a second view of the same page)
        self.table = table
        self.writer = writer
        self.ctx = ctx
        self.mode: Mode = mode
        self.format_name = format_name
        self.sigla = sigla or {}
        self.notes: list[Note] = []
        self.apparatus: list[ApparatusEntry] = []
        self._unknown: dict[str, list[int]] = {}
        self._pending_notes: list[Note] = []

    # --- entry points ---------------------------------------------------------------------------

    def walk(self, elements: list[etree._Element]) -> WalkResult:
        """Render `elements` (e.g. the letter's `front` and `body`), then every note they reference, in order."""
        for el in elements:
            self.visit(el)
        body = self.writer.result()
        while self._pending_notes and self.render_notes:
            note = self._pending_notes.pop(0)
            note.content = self._render_into_fork(note.element)
        return WalkResult(body, self.notes, self.apparatus, self._warnings())

    def _warnings(self) -> list[Diagnostic]:
        out = []
        for name, lines in self._unknown.items():
            count = f" ({len(lines)} occurrences, first here)" if len(lines) > 1 else ""
            out.append(
                Diagnostic(
                    self.ctx.path,
                    lines[0],
                    0,
                    Severity.WARNING,
                    "TT701",
                    "unknown-element",
                    f"no {self.format_name} handler for <{name}>{count}; its content is rendered as plain text",
                )
            )
        return sorted(out)

    # --- dispatch -------------------------------------------------------------------------------

    def visit(self, el: etree._Element) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            if tag is etree.Entity:  # a reference to an entity no DTD defines (TT006): shown as it is, not lost
                self.writer.text(el.text or "")
            return  # comments and processing instructions: their tails are emitted by the parent
        if not tag.startswith(_TEI):
            name = tag.rpartition("}")[2]
            self._unknown_element(el, el.prefix + ":" + name if el.prefix else name)
            return
        name = tag[_TEI_LEN:]
        if name in _ROUTED:  # the walker's own elements, and the lists that may be the letter's data
            if name in WALKER_ELEMENTS:
                _WALKER_VISITS[name](self, el)
                return
            if is_data_list(el):
                return  # the letter's own registry: shown in the registers, not as its text
        handler = self.table.get(name)
        if handler is None:
            self._unknown_element(el, name)
            return
        self.emit(el, handler)

    def emit(self, el: etree._Element, handler: Handler, anchor: str | None = None) -> None:
        """Render `el` with `handler`: open, children (or generated text), close."""
        writer = self.writer  # the same after the children: a fork for a note or a reading is put back
        writer.open(el, handler, anchor)
        if handler.generate is not None and handler.kind == "generated":
            writer.text(handler.generate(el, self.ctx.t))
        self.children(el)  # even an element meant to be empty: never drop text
        writer.close(el, handler)

    def children(self, el: etree._Element) -> None:
        text = self.writer.text
        visit = self.visit
        content = el.text  # lxml makes a new string at each access of .text and .tail: each is read once
        if content:
            text(content)
        for child in el:
            visit(child)
            tail = child.tail
            if tail:
                text(tail)

    def _unknown_element(self, el: etree._Element, name: str) -> None:
        self._unknown.setdefault(name, []).append(line_of(el))
        self.children(el)

    def _render_into_fork(self, el: etree._Element) -> object:
        saved = self.writer
        self.writer = saved.fork()
        try:
            self.children(el)
            return self.writer.result()
        finally:
            self.writer = saved

    def _plain(self, el: etree._Element) -> str:
        return _text_as_read(el)

    def _wits(self, el: etree._Element) -> tuple[str, ...]:
        """The sigla of a reading's witnesses (`@wit`) and sources (`@source`, e.g. an editor's conjecture)."""
        out = []
        for attr in ("wit", "source"):
            for ptr in (el.get(attr) or "").split():
                key = ptr.removeprefix("#")
                out.append(self.sigla.get(key, key))
        return tuple(out)

    def _reading(self, el: etree._Element, label: str) -> Reading:
        return Reading(self._render_into_fork(el), self._plain(el), label, self._wits(el))

    def _new_entry(self, kind: str, lemma: str, readings: list[Reading], el: etree._Element, lemma_wits: tuple[str, ...] = ()) -> ApparatusEntry:
        entry = ApparatusEntry(len(self.apparatus) + 1, kind, lemma, readings, line_of(el), lemma_wits)
        self.apparatus.append(entry)
        return entry

    def _shown(self, name: str) -> Handler:
        return self.table.get(name) or Handler("inline")

    # --- the elements every format treats alike --------------------------------------------------

    def _v_note(self, el: etree._Element) -> None:
        note = Note(len(self.notes) + 1, el)
        self.notes.append(note)
        self._pending_notes.append(note)
        self.writer.note_ref(note)

    def _v_choice(self, el: etree._Element) -> None:
        kids = [(c, local_name(c)) for c in el if isinstance(c.tag, str)]
        show_side = READING_SIDE if self.mode == "reading" else DIPLOMATIC_SIDE
        other_side = DIPLOMATIC_SIDE if self.mode == "reading" else READING_SIDE
        shown = next((i for i, (_c, n) in enumerate(kids) if n in show_side), None)
        if shown is None or any(n not in show_side and n not in other_side for _c, n in kids):
            # an unusual choice (e.g. two corr, or a seg): show the first child, list the others
            shown = 0 if kids else None
        if shown is None:
            self.children(el)
            return
        shown_el, shown_name = kids[shown]
        others = kids[:shown] + kids[shown + 1 :]
        kind = show_side.get(shown_name) or other_side.get(others[0][1] if others else "", "variant")
        readings = [self._reading(c, n) for c, n in others]
        entry = self._new_entry(kind, self._plain(shown_el), readings, el) if readings else None
        self.emit(shown_el, self._shown(shown_name), entry.id if entry else None)

    def _v_subst(self, el: etree._Element) -> None:
        if self.mode == "diplomatic":
            self.emit(el, self._shown("subst"))
            return
        dels = [c for c in el if local_name(c) == "del"]
        if not dels:
            self.emit(el, self._shown("subst"))
            return
        lemma = fold(" ".join(self._plain(c) for c in el if isinstance(c.tag, str) and local_name(c) != "del"))
        entry = self._new_entry("substitution", lemma, [self._reading(d, "del") for d in dels], el)
        handler = self._shown("subst")
        self.writer.open(el, handler, entry.id)
        for child in el:
            if local_name(child) != "del":
                self.visit(child)
            if child.tail:
                self.writer.text(child.tail)
        self.writer.close(el, handler)

    def _v_add(self, el: etree._Element) -> None:
        self.emit(el, self._shown("add"))

    def _v_del(self, el: etree._Element) -> None:
        if self.mode == "diplomatic":
            self.emit(el, self._shown("del"))
            return
        entry = self._new_entry("deletion", "", [self._reading(el, "del")], el)
        self.writer.anchor(entry.id)

    def _v_app(self, el: etree._Element) -> None:
        kids = [c for c in el if isinstance(c.tag, str)]
        lem = next((c for c in kids if local_name(c) == "lem"), None)
        rdgs: list[etree._Element] = []
        for c in kids:
            if local_name(c) == "rdg":
                rdgs.append(c)
            elif local_name(c) == "rdgGrp":
                rdgs.extend(r for r in c if local_name(r) in ("rdg", "lem"))
        if lem is None and rdgs:
            lem = rdgs.pop(0)  # an app without lem: the first reading stands in the text
        readings = [self._reading(r, "rdg") for r in rdgs]
        for c in kids:
            if local_name(c) not in ("lem", "rdg", "rdgGrp") and c is not lem:
                readings.append(self._reading(c, local_name(c)))  # e.g. a note inside app: kept in the entry
        entry = self._new_entry("variant", self._plain(lem) if lem is not None else "", readings, el, self._wits(lem) if lem is not None else ())
        if lem is not None:
            self.emit(lem, self._shown("lem"), entry.id)
        else:
            self.writer.anchor(entry.id)

    def _v_lem(self, el: etree._Element) -> None:  # a lem outside app: just its text
        self.emit(el, self._shown("lem"))

    def _v_rdg(self, el: etree._Element) -> None:  # a rdg outside app: an entry of its own
        entry = self._new_entry("variant", "", [self._reading(el, "rdg")], el)
        self.writer.anchor(entry.id)

    def _v_rdgGrp(self, el: etree._Element) -> None:
        self.children(el)


# what the walker does with each of its own elements (`Walker._v_<name>`), looked up once
_WALKER_VISITS: dict[str, Callable[[Walker, etree._Element], None]] = {name: getattr(Walker, f"_v_{name}") for name in WALKER_ELEMENTS}
# the names `Walker.visit` does not take from the table alone: the walker's own, and lists that may be data
_ROUTED = WALKER_ELEMENTS | DATA_LISTS


def _text_as_read(el: etree._Element) -> str:
    """An element's plain text as the reading text shows it (a lemma, a reading, a correction): notes are left out,
    and an `app` inside it gives only its own lemma, not its readings."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            out.append(node.text)
        for child in node:
            name = local_name(child) if isinstance(child.tag, str) else ""
            if name == "app":
                kids = [c for c in child if isinstance(c.tag, str)]
                inner = next((c for c in kids if local_name(c) == "lem"), None)
                if inner is None:
                    inner = next((c for c in kids if local_name(c) == "rdg"), None)
                if inner is not None:
                    walk(inner)
            elif name and name != "note":
                walk(child)
            if child.tail:
                out.append(child.tail)

    walk(el)
    return fold("".join(out))


TEXT_PARTS = ("front", "body", "back")


def text_elements(tree: etree._ElementTree | etree._Element) -> list[etree._Element]:
    """What is rendered of a letter: `text/front`, `text/body` and `text/back` (a `group`'s texts too), in order.

    The back's text (closers, postscripts, addresses, commentary) is rendered after the letter; its data lists
    (`DATA_LISTS`) are not running text (the walker leaves them to the registers)."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    text = first_children(root).get("text")
    if text is None:
        return []
    out = [c for c in text if local_name(c) in TEXT_PARTS and local_name(c) != "back"]
    group = first_children(text).get("group")
    if group is not None:
        for t in group.iterfind(".//tei:text", NS):
            out.extend(c for c in t if local_name(c) in TEXT_PARTS)
    out.extend(c for c in text if local_name(c) == "back")
    return out



def text_lang(tree: etree._ElementTree | etree._Element, default: str = "") -> str:
    """The letter's language: `text/@xml:lang`, else `TEI/@xml:lang`, else `default`."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    text = root.find("tei:text", NS)
    return (text.get(XML_LANG) if text is not None else None) or root.get(XML_LANG) or default


# elements whose `lb`s are line breaks even in the reading text (addresses, verse, openers and closers)
LINE_CONTAINERS = frozenset(
    {"opener", "closer", "address", "addrLine", "lg", "l", "dateline", "salute", "signed", "byline", "head", "row"}
)
PROSE_CONTAINERS = frozenset({"p", "ab", "note", "quote", "item", "cell", "postscript", "div", "body", "front", "back"})


def hard_line_break(lb: etree._Element, mode: Mode) -> bool:
    """Whether an `lb` is shown as a line break: always in diplomatic mode, in reading mode only in line-based parts."""
    if mode == "diplomatic":
        return True
    for anc in lb.iterancestors():
        name = local_name(anc)
        if name in LINE_CONTAINERS:
            return True
        if name in PROSE_CONTAINERS:
            return False
    return False


# TEI's suggested values of gap/@reason and the units of gap/@unit, said in the edition's language (other values
# are shown as the document gives them)
GAP_REASONS = (N_("illegible"), N_("damage"), N_("cancelled"), N_("omitted"), N_("irrelevant"), N_("editorial"),
               N_("sampling"), N_("inaudible"), N_("unknown"))
GAP_UNITS = {
    "word": Nn_("%(num)s word", "%(num)s words"), "char": Nn_("%(num)s character", "%(num)s characters"),
    "character": Nn_("%(num)s character", "%(num)s characters"), "line": Nn_("%(num)s line", "%(num)s lines"),
    "page": Nn_("%(num)s page", "%(num)s pages"), "leaf": Nn_("%(num)s leaf", "%(num)s leaves"),
}


def gap_text(el: etree._Element, t: Messages = ENGLISH) -> str:
    """What a `gap` shows: "[…]", with its reason and extent where given ("[… illegible, 2 words]"), in `t`'s language."""
    details: list[str] = []
    if el.get("reason"):
        reason = fold(el.get("reason", "")).replace("_", " ")
        details.append(t(reason) if reason in GAP_REASONS else reason)
    qty, unit, extent = el.get("quantity"), el.get("unit"), el.get("extent")
    if qty and unit:
        forms = GAP_UNITS.get(unit.removesuffix("s"))
        if forms is not None and qty.isdigit():
            details.append(t.n(forms[0], forms[1], int(qty)))
        else:
            details.append(f"{qty} {unit}" + ("s" if qty != "1" and not unit.endswith("s") else ""))
    elif extent:
        details.append(fold(extent))
    elif qty:
        details.append(qty)
    return "[…" + (" " + ", ".join(details) if details else "") + "]"


def page_label(el: etree._Element, t: Messages = ENGLISH) -> str:
    """What a `pb` shows where page breaks are shown: "[p. 3]" for `@n="3"`, else "|"."""
    n = el.get("n")
    return t("[p. %(n)s]", n=fold(n)) if n else "|"


def _bibl_text(node: etree._Element, parts: list[str]) -> None:
    if node.text:
        parts.append(node.text)
    for child in node:
        if isinstance(child.tag, str) and local_name(child) != "note":
            if parts and parts[-1][-1:].isalnum() and local_name(node) == "respStmt":
                parts.append(" ")  # <resp>translated by</resp><persName>…: keep the words apart
            _bibl_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def source_texts(tree: etree._ElementTree | etree._Element) -> list[str]:
    """The letter's sources (`sourceDesc//bibl`) as text, leaving out notes."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    out: list[str] = []
    for bibl in root.iterfind(".//tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:bibl", NS):
        parts: list[str] = []
        _bibl_text(bibl, parts)
        text = fold("".join(parts))
        if text:
            out.append(text)
    return out
