"""The print edition: each letter as a tree of plain data (JSON), typeset as one PDF book by Typst.

Why Typst (the `typst` wheel, extra `[pdf]`): it is a real typesetting engine with footnotes at the foot of the page,
page references, running heads and widow/orphan control, it embeds its own fonts (Libertinus Serif covers Latin with
diacritics, Greek and Cyrillic), it needs no system library, and it gives the same bytes for the same input.

A letter's text is **data, never Typst markup**: the letter's tree goes to the book's template (`templates/book.typ`,
ours, fixed) as JSON through `sys.inputs`, and the template shows every string as a string. Nothing a letter holds
(`#read(...)`, `$`, `*`, `<label>`, `@ref`) is ever parsed by Typst; ids of the letter never become labels.

A letter's node is a string (text) or a dict: `t` its kind, `c` its children, and per kind `k` (a style), `e` (a
register entry's id), `u` (a URL) or `n` (a note or apparatus number). Nesting deeper than `MAX_DEPTH` is flattened
(its text kept), so no letter can exhaust the template's recursion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..callnumbers import certainty_note, with_certainty
from ..errors import Diagnostic, OutputError, Severity, UsageError
from ..i18n import ENGLISH, Messages, messages
from ..xmlfile import atomic_write, local_name, refuse_special
from .collect import EditionData, LetterInfo, authority_links, natural_key, register_kinds, safe_url
from .core import (
    ApparatusEntry,
    Handler,
    Mode,
    Note,
    RenderContext,
    Walker,
    fold,
    fold_inner,
    hard_line_break,
    page_label,
    reading_label,
    source_texts,
    text_elements,
    text_lang,
    witness_sigla,
)
from .html import HTML_TABLE, HTML_TABLE_DIPLOMATIC, _hi_tag

if TYPE_CHECKING:
    from ..letter_pass import PassResult
    from ..parallel import Executor
    from ..store import Store

Node = Any  # str | dict[str, Any]
MAX_DEPTH = 24  # element nesting the template is given; deeper elements are flattened into their parent
PAPERS = {"a4": "a4", "a5": "a5", "letter": "us-letter"}
INSTALL_HINT = "the PDF export needs Typst: pip install 'trotsky-tei[pdf]'"
_LANG = re.compile(r"[a-z]{2,3}")
# what each HTML tag of the shared handler table becomes in the book
_INLINE = {"i": "i", "em": "i", "cite": "i", "b": "b", "sup": "sup", "sub": "sub", "u": "u", "s": "s", "del": "s",
           "ins": "add", "q": "q"}
_LINE_CLASSES = frozenset({"l", "addrLine", "dateline", "salute", "signed", "byline", "docAuthor", "docDate",
                           "docImprint", "titlePart", "docTitle", "figDesc"})


class TypstWriter:
    """Builds a letter's tree of plain data (the `Writer` of `render.core`): blocks, inlines, note and apparatus marks."""

    def __init__(self, ctx: RenderContext, mode: Mode) -> None:
        self.ctx, self.mode = ctx, mode
        self.root: dict[str, Any] = {"t": "seq", "c": []}
        self.stack: list[dict[str, Any]] = [self.root]
        self.opened: list[tuple[bool, str | None]] = []  # per open(): whether it pushed a node, and its apparatus anchor
        self.notes: dict[int, dict[str, Any]] = {}  # note number -> its marker node (content filled in after the walk)
        self._glue = False

    def _add(self, node: Node) -> None:
        kids = self.stack[-1]["c"]
        if isinstance(node, str):
            if not node:
                return
            if kids and isinstance(kids[-1], str):
                kids[-1] += node
                return
        kids.append(node)

    def open(self, el: etree._Element, handler: Handler, anchor: str | None = None) -> None:
        kind = handler.kind
        if kind == "lb":
            if hard_line_break(el, self.mode):
                self._add({"t": "br"})
            elif el.get("break") == "no":
                self._glue = True
            else:
                self._add(" ")
            self.opened.append((False, None))
            return
        if kind == "pb":
            self._add({"t": "pb", "c": [page_label(el, self.ctx.t)]})
            self.opened.append((False, None))
            return
        if kind == "empty":
            if anchor:
                self.anchor(anchor)
            self.opened.append((False, None))
            return
        node = self._node(el, handler)
        if node is None:
            self.opened.append((False, anchor))
        else:
            self._add(node)
            self.stack.append(node)
            self.opened.append((True, anchor))
        if handler.before:
            self._add(handler.before)

    def _node(self, el: etree._Element, handler: Handler) -> dict[str, Any] | None:
        tag, cls = handler.tag, handler.cls
        if handler.kind == "block":
            if cls in _LINE_CLASSES or cls == "l":
                return {"t": "line", "k": cls, "c": []}
            if tag == "h3":
                return {"t": "head", "c": []}
            if tag == "ul":
                kind = f"{el.get('type', '')} {el.get('rend', '')}".lower()
                return {"t": "list", "k": "ordered" if "ordered" in kind or "numbered" in kind else "", "c": []}
            if tag == "li":
                return {"t": "item", "c": []}
            if tag in ("table", "tr", "td"):
                return {"t": {"table": "table", "tr": "row", "td": "cell"}[tag], "c": []}
            if tag == "p":
                return {"t": "p", "k": cls, "c": []}
            return {"t": "div", "k": cls, "c": []}
        if cls == "addrLine":
            return {"t": "line", "k": cls, "c": []}
        if tag == "a?" and self.ctx.registry is not None:
            entity = self.ctx.entity(el.get("ref") or el.get("key"), el)
            if entity is not None:
                return {"t": "name", "e": entity.id, "c": []}
            return None
        if local_name(el) == "ref":
            target = (el.get("target") or "").split()
            url = safe_url(target[0]) if len(target) == 1 else None
            if url and url.lower().startswith(("http:", "https:", "mailto:")):
                return {"t": "link", "u": url, "c": []}
            return None
        if tag == "hi":
            rend = (el.get("rend") or el.get("rendition") or "").lower()
            if "small" in rend and "cap" in rend:
                return {"t": "sc", "c": []}
            tag = _hi_tag(el)
        inline = _INLINE.get(tag)
        if inline is None and local_name(el) == "foreign":
            inline = "i"
        return {"t": inline, "c": []} if inline else None

    def close(self, el: etree._Element, handler: Handler) -> None:
        pushed, anchor = self.opened.pop()
        if handler.kind in ("lb", "pb", "empty"):
            return
        if handler.after:
            self._add(handler.after)
        if pushed:
            self.stack.pop()
        if anchor:
            self.anchor(anchor)  # the apparatus mark follows the lemma

    def text(self, s: str) -> None:
        s = fold_inner(s)
        if self._glue:
            s = s.lstrip()
            if s:
                self._glue = False
        self._add(s)

    def note_ref(self, note: Note) -> None:
        node: dict[str, Any] = {"t": "fn", "n": note.number, "c": []}
        self.notes[note.number] = node
        self._add(node)

    def anchor(self, anchor: str) -> None:
        if anchor.startswith("app-"):
            self._add({"t": "am", "n": int(anchor[4:])})

    def fork(self) -> TypstWriter:
        forked = TypstWriter(self.ctx, self.mode)
        forked.notes = self.notes  # a note inside a note is a note too
        return forked

    def result(self) -> list[Node]:
        return list(self.root["c"])


def pdf_table(mode: Mode) -> dict[str, Handler]:
    """The handler table of the book: the HTML one (what each TEI element means is decided once), read by `_node`."""
    return HTML_TABLE_DIPLOMATIC if mode == "diplomatic" else HTML_TABLE


def typst_lang(value: str) -> str:
    """The language Typst can hyphenate by: an ISO 639 code of two or three letters, else "" (none)."""
    primary = value.split("-")[0].lower()
    return primary if _LANG.fullmatch(primary) else ""


def _plain(text: str) -> list[Node]:
    return [text] if text else []


def _mention(name: str, entity_id: str | None) -> Node:
    return {"t": "name", "e": entity_id, "c": _plain(name)} if entity_id else name


def running_head(info: LetterInfo, t: Messages = ENGLISH) -> str:
    """The right-hand running head of a letter: its date, and who wrote to whom."""

    def who(pairs: tuple[tuple[str, Any], ...]) -> str:
        return ", ".join(n or (e.label if e else "") for n, e in pairs)

    people = t(" to ").join(p for p in (who(info.senders), who(info.recipients)) if p)
    date = t.date(info.letter.date) if info.letter.date is not None else ""
    return " · ".join(p for p in (date, people) if p) or fold(info.letter.title)


def render_letter_pdf(
    tree: etree._ElementTree, info: LetterInfo, ctx: RenderContext, mode: Mode = "reading"
) -> tuple[str, list[Diagnostic]]:
    """A letter for the book, as JSON: title, running head, metadata, text, apparatus; and the warnings (TT701)."""
    walker = Walker(pdf_table(mode), TypstWriter(ctx, mode), ctx, mode, format_name="PDF", sigla=witness_sigla(tree))
    writer = walker.writer
    assert isinstance(writer, TypstWriter)
    result = walker.walk(text_elements(tree))
    for note in result.notes:  # each marker gets its note's content: the note is set where its marker is
        node = writer.notes.get(note.number)
        if node is not None and isinstance(note.content, list):
            node["c"] = note.content
    letter = info.letter
    t = ctx.t
    meta: list[list[Any]] = []
    for term, people in ((t("From"), info.senders), (t("To"), info.recipients)):
        if people:
            row: list[Node] = []
            for i, (name, ent) in enumerate(people):
                row += (["; "] if i else []) + [_mention(name or (ent.label if ent else ""), ent.id if ent else None)]
            meta.append([term, row])
    if letter.date is not None:
        meta.append([t("Date"), _plain(t.date(letter.date))])
    if info.place_sent is not None and info.place_sent[0]:
        name, ent = info.place_sent
        meta.append([t("Place"), [_mention(name, ent.id if ent else None)]])
    if letter.place_received is not None and letter.place_received.name:
        meta.append([t("Received at"), _plain(letter.place_received.name)])
    if letter.languages:
        meta.append([t("Languages"), _plain(", ".join(label or ident for ident, label in letter.languages))])
    for src in source_texts(tree):
        meta.append([t("Source"), _plain(src)])
    for cn in with_certainty(letter.call_numbers, tree):
        url = safe_url(ctx.call_number_url(cn))
        row = [{"t": "link", "u": url, "c": [cn.display]} if url else cn.display]
        inferred = certainty_note(cn, t)
        if inferred:
            row.append(f" ({inferred})")
        if url:
            row.append({"t": "url", "c": [url]})
        meta.append([t("Call number"), row])
    data = {
        "title": fold(letter.title),
        "rh": running_head(info, t),
        "lang": typst_lang(text_lang(tree, letter.main_language or "")),
        "meta": meta,
        "credits": [[r[:1].upper() + r[1:], n] for r, n in info.credits] + ([[t("Rights"), info.rights]] if info.rights else []),
        "body": bounded(result.body if isinstance(result.body, list) else []),
        "app": [_entry(e) for e in result.apparatus],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")), result.warnings


BLOCKS = frozenset({"p", "line", "div", "head", "list", "item", "table", "row", "cell"})


def bounded(nodes: list[Node], depth: int = 0) -> list[Node]:
    """`nodes` with nothing nested deeper than MAX_DEPTH: a deeper node gives its text (notes' too, in brackets).

    White space between blocks (the source's indentation) is left out: in Typst it would be a paragraph of its own.
    """
    if any(isinstance(n, dict) and n["t"] in BLOCKS for n in nodes):
        nodes = [n for n in nodes if not (isinstance(n, str) and not n.strip())]
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, dict) and "c" in node:
            if depth >= MAX_DEPTH:
                flat = _flat_text(node)
                out.append(f" [{flat}]" if node["t"] == "fn" else flat)
                continue
            node["c"] = bounded(node["c"], depth + 1)
            if node["t"] == "p" and _holds_block(node["c"]):
                node["t"] = "div"  # a paragraph of Typst takes no block (it would be left out): a block of its own
                node["k"] = "p"
            elif node["t"] == "q" and _holds_block(node["c"]):
                node["t"] = "bq"  # a quotation of whole paragraphs: set off as a block, not between quote marks
        out.append(node)
    return out


def _holds_block(nodes: list[Node]) -> bool:
    """Whether a block stands among `nodes` or inside their inlines (a footnote's content is set apart: not counted)."""
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if n["t"] in BLOCKS or n["t"] == "seq":
                return True
            if n["t"] != "fn":
                stack.extend(n.get("c", ()))
    return False


def _flat_text(node: Node) -> str:
    """All the text of a node and what it holds, iteratively (any depth)."""
    parts: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, str):
            parts.append(n)
        elif isinstance(n, dict):
            stack.extend(reversed(n.get("c", ())))
    return "".join(parts)




def _entry(entry: ApparatusEntry) -> dict[str, Any]:
    readings = []
    for r in entry.readings:
        content = r.content if isinstance(r.content, list) and r.text else []
        readings.append({"l": reading_label(r.label), "c": bounded(content), "w": list(r.witnesses)})
    return {"n": entry.number, "lemma": entry.lemma, "w": list(entry.lemma_witnesses), "r": readings}


# --- the book ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfOptions:
    """How the book is set: the paper (a4, a5, letter), the body font size in points, the text's mode."""

    paper: str = "a5"
    font_size: float = 10.0
    mode: str = "reading"

    def __post_init__(self) -> None:
        if self.paper not in PAPERS:
            raise UsageError(f"unknown paper {self.paper!r}; expected one of {', '.join(PAPERS)}")
        if not 6 <= self.font_size <= 24:
            raise UsageError(f"--font-size {self.font_size:g} is out of range; give 6 to 24 (points)")


def _entity_json(ent: Any) -> dict[str, Any]:
    dates = f"{ent.birth or '?'}–{ent.death or '?'}" if ent.birth or ent.death else ""
    return {
        "id": ent.id,
        "label": ent.label,
        "also": list(ent.names[1:]),
        "dates": dates,
        "note": fold(ent.note or ""),
        "auth": [[label, value] for label, value, _url in authority_links(ent)],
    }


def book_frame(data: EditionData, options: PdfOptions, t: Messages = ENGLISH) -> dict[str, Any]:
    """Everything of the book but the letters: edition metadata, registers, call-number concordance, settings."""
    ed = data.edition
    registers = []
    for kind, _page, heading in register_kinds(data.registry):
        kinds = (kind, "repository") if kind == "org" else (kind,)
        entries = []
        for ent in sorted((e for k in kinds for e in data.registry.by_kind(k)), key=lambda e: (e.label.casefold(), e.id)):
            roles = data.letters_of(ent.id)
            if roles["sent"] or roles["received"] or roles["mentioned"]:  # named in the book: it has pages to show
                entries.append(_entity_json(ent))
        if entries:
            registers.append({"heading": t(heading), "entries": entries})
    concordance: dict[str, list[tuple[int, str]]] = {}
    for i, info in enumerate(data.letters):
        for cn in info.letter.call_numbers:
            found = concordance.setdefault(cn.display, [])
            if not found or found[-1][0] != i:
                found.append((i, fold(info.letter.title) or t("Untitled letter")))
    return {
        "paper": PAPERS[options.paper],
        "size": options.font_size,
        "lang": typst_lang(ed.language or ""),
        "edition": {
            "title": ed.title or "Letters",
            "subtitle": ed.subtitle,
            "editors": list(ed.editors),
            "publisher": ed.publisher,
            "date": ed.date,
            "licence": ed.licence or ed.licence_url,
            "identifier": ed.identifier,
        },
        "registers": registers,
        "labels": book_labels(ed, t),
        "concordance": [[cn, letters] for cn, letters in sorted(concordance.items(), key=lambda kv: natural_key(kv[0]))],
    }


def book_labels(ed: Any, t: Messages) -> dict[str, str]:
    """The book's fixed words, in the edition's language (the template has none of its own)."""
    return {
        "untitled": t("Untitled letter"), "contents": t("Contents"), "call-numbers": t("Call numbers"),
        "colophon": t("Colophon"), "credits": t("Credits and rights of the letters"), "also": t("also"),
        "edited": t("Edited by %(names)s", names=", ".join(ed.editors)),
        "published": t("Published by %(names)s", names=", ".join(p for p in (ed.publisher, ed.date) if p)),
        "licence": t("Licence:") + " " + (ed.licence or ed.licence_url),
        "identifier": t("Identifier: %(id)s", id=ed.identifier),
        "set-in": t("Set in Libertinus Serif with Typst by trotsky-tei."), "made-with": t("Made with trotsky-tei."),
    }


def book_json(data: EditionData, letters: Callable[[LetterInfo], str], options: PdfOptions, t: Messages = ENGLISH) -> str:
    """The book's data as one JSON text: the frame, then each letter's JSON as the pass made it (not parsed again)."""
    frame = json.dumps(book_frame(data, options, t), ensure_ascii=False, separators=(",", ":"))
    parts = [letters(info) or '{"title":"","rh":"","lang":"","meta":[],"credits":[],"body":[],"app":[]}' for info in data.letters]
    return frame[:-1] + ',"letters":[' + ",".join(parts) + "]}"


def typeset(book: str, out: str = "") -> tuple[bytes, list[Diagnostic]]:
    """The book's PDF from its JSON data: the fixed template, the edition's data as an input, Typst's own fonts;
    and Typst's warnings (TT704, at `out`): nothing it left out goes unsaid."""
    try:
        import typst
    except ImportError as exc:
        raise UsageError(INSTALL_HINT) from exc
    template = resources.files("trotsky_tei") / "templates" / "book.typ"
    with resources.as_file(template) as path:
        try:
            # ignore_system_fonts: the fonts Typst embeds, the same on every machine, so the same bytes everywhere
            pdf, warned = typst.compile_with_warnings(str(path), root=str(path.parent), sys_inputs={"book": book},
                                                      ignore_system_fonts=True)
        except Exception as exc:  # typst.TypstError: the template cannot be set with this data
            detail = str(getattr(exc, "diagnostic", "") or exc).strip().splitlines()
            raise OutputError(f"the PDF could not be typeset: {' / '.join(fold(x) for x in detail[:6])[:600]}") from exc
    assert isinstance(pdf, bytes)
    counts: dict[str, int] = {}
    for w in warned:
        message = fold(str(getattr(w, "message", "") or w))[:300]
        counts[message] = counts.get(message, 0) + 1
    diags = [
        Diagnostic(out, 0, 0, Severity.WARNING, "TT704", "pdf-typeset",
                   f"Typst: {m}" + (f" ({n} times)" if n > 1 else ""))
        for m, n in sorted(counts.items())
    ]
    return pdf, diags


def write_pdf(
    data: EditionData, path: Path, letters: Callable[[LetterInfo], str], options: PdfOptions, shown_as: str = "",
    t: Messages = ENGLISH,
) -> list[Diagnostic]:
    """Typeset the book and write it to `path` atomically; returns Typst's warnings (at `shown_as`, else `path`)."""
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give the PDF file to write, e.g. edition.pdf")
    pdf, warnings = typeset(book_json(data, letters, options, t), shown_as or str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, pdf, durable=False)
    return warnings


def stored_letters(store: Store, result: PassResult) -> Callable[[LetterInfo], str]:
    """A letter's JSON for the book, read back from the store the pass wrote it to."""

    def letter_of(info: LetterInfo) -> str:
        return store.part(info.letter.path, "pdf") or ""

    return letter_of


def available() -> bool:
    """Whether Typst is installed (the `[pdf]` extra)."""
    try:
        import typst  # noqa: F401
    except ImportError:
        return False
    return True


def export_pdf(
    paths: Sequence[str], out: str | Path, *, options: PdfOptions | None = None, root: Path | None = None,
    executor: Executor | None = None, lang: str = "",
) -> tuple[EditionData, list[Diagnostic]]:
    """Write the letters under `paths` as one typeset PDF book at `out`, reading each letter once (the one pass)."""
    from ..letter_pass import CorpusPass, PassOptions
    from ..store import Store
    from .collect import edition_data

    options = options or PdfOptions()
    if not available():
        raise UsageError(INSTALL_HINT)
    if Path(out).is_dir():
        raise OutputError(f"{out} is a folder; give the PDF file to write, e.g. edition.pdf")
    refuse_special(out)
    with Store() as store:
        result = CorpusPass(list(paths), PassOptions(consumers=("record", "pdf"), pdf_mode=options.mode, lang=lang), store=store,
                            executor=executor, edition_root=root).run()
        data = edition_data(result)
        typeset_warnings = write_pdf(data, Path(out), stored_letters(store, result), options, t=messages(result.run.lang))
    return data, sorted({*(d for o in result.outcomes for d in o.meta.diagnostics_of("pdf")), *typeset_warnings})
