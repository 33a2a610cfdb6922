"""The plain-text writer: header block, the wrapped text with `[n]` note markers, then the notes and the apparatus."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from ..callnumbers import certainty_note, with_certainty
from ..errors import Diagnostic, OutputError
from ..i18n import ENGLISH, Messages
from ..model import CallNumber, Letter
from ..xmlfile import atomic_write
from .core import (
    ApparatusEntry,
    Handler,
    Mode,
    Note,
    RenderContext,
    Walker,
    fold,
    gap_text,
    hard_line_break,
    page_label,
    reading_label,
    source_texts,
    text_elements,
    witness_sigla,
)

if TYPE_CHECKING:
    from ..parallel import Executor

HARD_BREAK = "\n"  # inside a block's raw text; source white space is folded to spaces before it is stored

# block styles: "para" (wrapped, blank line around), "line" (one line, no blank line between two of them),
# "lines" (a group of lines), "head", "item" (a list item, "- " hanging)
B = Handler
TEXT_TABLE: dict[str, Handler] = {
    # blocks
    **{n: B("block", "para") for n in ("p", "ab", "div", "div1", "div2", "div3", "list", "listBibl", "figure", "table", "postscript", "floatingText", "epigraph", "argument", "trailer", "docTitle", "titlePage", "front", "body", "back")},
    **{n: B("block", "lines") for n in ("opener", "closer", "address", "lg")},
    **{n: B("block", "line") for n in ("dateline", "salute", "signed", "addrLine", "l", "byline", "row", "docAuthor", "docDate", "docImprint", "titlePart")},
    "cell": B("inline", "cell"),  # an inline whose tag the writer knows: the cells of a row kept apart
    "head": B("block", "head"),
    "item": B("block", "item"),
    # inlines that show just their text
    **{
        n: B("inline")
        for n in (
            "hi", "emph", "persName", "placeName", "orgName", "rs", "name", "date", "time", "title", "foreign", "term",
            "seg", "ref", "num", "measure", "mentioned", "distinct", "bibl", "label", "c", "w", "pc",
            "abbr", "expan", "sic", "corr", "orig", "reg", "lem", "add", "subst", "damage", "fw", "roleName",
            "forename", "surname", "addName", "genName", "nameLink", "geogName", "settlement", "country", "region",
            "bloc", "district", "affiliation", "occupation", "span", "author", "editor", "publisher", "pubPlace",
            "biblScope", "idno", "cit", "gloss", "stamp", "metamark", "secl",
        )
    },
    **{n: B("inline", before="“", after="”") for n in ("q", "quote", "said", "soCalled")},
    "supplied": B("inline", before="[", after="]"),
    "surplus": B("inline", before="{", after="}"),
    "unclear": B("inline", after="(?)"),
    "gap": B("generated", generate=gap_text),
    "space": B("generated", generate=lambda el, t: " "),
    "lb": B("lb"),
    "pb": B("pb"),
    "cb": B("empty"),
    **{n: B("empty") for n in ("anchor", "handShift", "milestone", "graphic", "ptr", "media", "binaryObject")},
    "figDesc": B("block", "para", before="[Figure: ", after="]"),
}

# in diplomatic mode the original's deletions and additions are marked (Leiden-style brackets)
TEXT_TABLE_DIPLOMATIC: dict[str, Handler] = {
    **TEXT_TABLE,
    "del": B("inline", before="⟦", after="⟧"),
    "add": B("inline", before="⸌", after="⸍"),
}


def text_table(mode: Mode) -> dict[str, Handler]:
    """The text handler table for a mode."""
    return TEXT_TABLE_DIPLOMATIC if mode == "diplomatic" else TEXT_TABLE


Block = tuple[str, str]  # (style, raw text with HARD_BREAK line breaks)


class TextWriter:
    """Collects blocks of text; white space is folded, `lb` becomes a space or a line break by mode and context."""

    def __init__(self, mode: Mode, t: Messages = ENGLISH) -> None:
        self.mode = mode
        self.t = t
        self.blocks: list[Block] = []
        self.buf: list[str] = []
        self.styles: list[str] = ["para"]
        self._glue = False  # the next text joins the previous word (after <lb break="no"/>)

    def _flush(self) -> None:
        raw = "".join(self.buf)
        self.buf = []
        if raw.strip(" "):
            self.blocks.append((self.styles[-1], raw))

    def open(self, el: etree._Element, handler: Handler, anchor: str | None = None) -> None:
        if handler.kind == "block":
            self._flush()
            self.styles.append(handler.tag or "para")
        elif handler.kind == "lb":
            if hard_line_break(el, self.mode):
                self.buf.append(HARD_BREAK)
            elif el.get("break") == "no":
                self._glue = True
            else:
                self.buf.append(" ")
            return
        elif handler.kind == "pb":
            if self.mode == "diplomatic":
                self.buf.append(f" {page_label(el, self.t)} ")
            return
        if handler.before:
            self.buf.append(handler.before)
        if handler.tag == "cell" and _previous_element(el) is not None:
            self.buf.append(" | ")  # a table's cells, apart on their row

    def close(self, el: etree._Element, handler: Handler) -> None:
        if handler.kind in ("lb", "pb"):
            return
        if handler.after:
            self.buf.append(handler.after)
        if handler.kind == "block":
            self._flush()
            self.styles.pop()

    def text(self, s: str) -> None:
        s = s.replace("\n", " ").replace("\t", " ").replace("\r", " ")  # a source line break is no HARD_BREAK
        if self._glue:
            s = s.lstrip()
            if s:
                self._glue = False
        self.buf.append(s)

    def note_ref(self, note: Note) -> None:
        self.buf.append(f"[{note.number}]")

    def anchor(self, anchor: str) -> None:
        return None

    def fork(self) -> TextWriter:
        return TextWriter(self.mode, self.t)

    def result(self) -> list[Block]:
        self._flush()
        return list(self.blocks)


def wrap(text: str, width: int, initial: str = "", subsequent: str = "") -> list[str]:
    """`textwrap.wrap(text, width, initial_indent=…, subsequent_indent=…, break_long_words=False,
    break_on_hyphens=False)`: the same lines, found without textwrap's regular expressions where the text is
    already folded (single spaces, none at either end), which is what the writer gives it; textwrap otherwise."""
    if not text:
        return []
    if " ".join(text.split()) != text:  # not folded: textwrap's own rules for white space
        return textwrap.wrap(text, width=width, initial_indent=initial, subsequent_indent=subsequent,
                             break_long_words=False, break_on_hyphens=False)
    return _fill(text, width, initial, subsequent)


def _fill(text: str, width: int, initial: str, subsequent: str) -> list[str]:
    """`wrap` of a folded, non-empty text (`fold`'s result)."""
    room = width - len(initial)
    if len(text) <= room:
        return [initial + text]
    lines: list[str] = []
    indent = initial
    start, end = 0, len(text)
    while end - start > room:
        cut = text.rfind(" ", start, start + room + 1)  # the last space that leaves the line no longer than `room`
        if cut <= start:  # the first word is longer than the line: it stands alone
            cut = text.find(" ", start + 1)
            if cut == -1:
                break
        lines.append(indent + text[start:cut])
        start = cut + 1
        indent, room = subsequent, width - len(subsequent)
    lines.append(indent + text[start:])
    return lines


def _lines(raw: str) -> list[str]:
    """A block's folded lines (its HARD_BREAKs), the empty ones left out."""
    if HARD_BREAK not in raw:
        line = " ".join(raw.split())
        return [line] if line else []
    return [line for line in (fold(part) for part in raw.split(HARD_BREAK)) if line]


def format_blocks(blocks: Sequence[Block], width: int, first: str = "", indent: str = "") -> str:
    """Wrap blocks at `width`: paragraphs separated by blank lines, line-based blocks keep their lines."""
    out: list[str] = []
    prev_style = ""
    width = max(width, 20)
    for style, raw in blocks:
        lines = _lines(raw)
        if not lines:
            continue
        lead = first if not out else indent
        if style == "item":
            lead, rest = lead + "- ", indent + "  "
        else:
            rest = indent
        wrapped = _fill(lines[0], width, lead, rest)
        for line in lines[1:]:
            wrapped.extend(_fill(line, width, rest, rest))
        if out:
            sep = "\n" if style == prev_style == "line" or (style == prev_style == "item") else "\n\n"
            out.append(sep)
        out.append("\n".join(wrapped))
        prev_style = style
    return "".join(out)


def inline_text(blocks: Sequence[Block]) -> str:
    """Blocks as one line (for apparatus readings)."""
    return " ".join(" ".join(_lines(raw)) for _, raw in blocks)




def _previous_element(el: etree._Element) -> etree._Element | None:
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    return prev


def apparatus_line(entry: ApparatusEntry) -> str:
    """One apparatus entry as text: `lemma (sigla)] label reading (sigla); …`."""
    lemma = entry.lemma or "—"
    if entry.lemma_witnesses:
        lemma += " " + " ".join(entry.lemma_witnesses)
    parts = []
    for r in entry.readings:
        content = inline_text(r.content) if isinstance(r.content, list) else r.text
        label = reading_label(r.label)
        bits = [b for b in (label, content or "om.", " ".join(r.witnesses)) if b]
        parts.append(" ".join(bits))
    return f"{lemma}] " + "; ".join(parts)


def _header(letter: Letter, call_numbers: Sequence[CallNumber], sources: list[str], width: int, t: Messages = ENGLISH) -> str:
    rows: list[tuple[str, str]] = []
    if letter.date:
        rows.append((t("Date"), t.date(letter.date)))
    if letter.senders:
        rows.append((t("From"), "; ".join(m.name for m in letter.senders)))
    if letter.recipients:
        rows.append((t("To"), "; ".join(m.name for m in letter.recipients)))
    if letter.place_sent and letter.place_sent.name:
        rows.append((t("Place"), letter.place_sent.name))
    if letter.languages:
        rows.append((t("Languages"), ", ".join(label or ident for ident, label in letter.languages)))
    for src in sources:
        rows.append((t("Source"), src))
    for cn in call_numbers:
        note = certainty_note(cn, t)  # an inferred part is said so, never shown as plain fact
        rows.append((t("Call number"), f"{cn.display} ({note})" if note else cn.display))
    width = max(width, 20)
    title = fold(letter.title)
    lines = _fill(title, width, "", "") if title else [letter.id]
    out = ["\n".join(lines), "=" * min(max(len(x) for x in lines), width)]
    key_w = max((len(k) for k, _ in rows), default=0) + 2
    value_width, hang = max(width, key_w + 20), " " * key_w
    for key, value in rows:
        value = fold(value)
        if value:
            out.extend(_fill(value, value_width, f"{key}:".ljust(key_w), hang))
    return "\n".join(out)


def _section(title: str) -> str:
    return f"{title}\n{'-' * len(title)}"


def render_letter_text(
    tree: etree._ElementTree, letter: Letter, ctx: RenderContext, width: int = 72, mode: Mode = "reading"
) -> tuple[str, list[Diagnostic]]:
    """The letter as plain text: header, text, notes, apparatus; and the render warnings (TT701)."""
    walker = Walker(text_table(mode), TextWriter(mode, ctx.t), ctx, mode, format_name="text", sigla=witness_sigla(tree))
    result = walker.walk(text_elements(tree))
    call_numbers = with_certainty(letter.call_numbers, tree)
    parts = [_header(letter, call_numbers, source_texts(tree), width, ctx.t)]
    body = result.body if isinstance(result.body, list) else []
    parts.append(format_blocks(body, width) if body else "")
    if result.notes:
        notes = []
        for note in result.notes:
            label = f"[{note.number}] "
            content = note.content if isinstance(note.content, list) else []
            notes.append(format_blocks(content, width, label, " " * len(label)) or label.rstrip())
        parts.append(_section(ctx.t("Notes")) + "\n\n" + "\n".join(notes))
    if result.apparatus:
        entries = []
        digits = len(str(len(result.apparatus)))
        for entry in result.apparatus:
            label = f"{str(entry.number).rjust(digits)}. "
            entries.append(
                "\n".join(
                    wrap(apparatus_line(entry), max(width, 20), label, " " * len(label))
                )
            )
        parts.append(_section(ctx.t("Apparatus")) + "\n\n" + "\n".join(entries))
    return "\n\n".join(p for p in parts if p) + "\n", result.warnings


def export_text(
    paths: Sequence[str], out: str, *, width: int = 72, mode: Mode = "reading", jobs: int | None = 1,
    executor: Executor | None = None, lang: str = "",
) -> tuple[list[str], str, list[Diagnostic]]:
    """Render every letter under `paths` to `out`/<file stem>.txt (or, with `out` "-", return the texts joined).

    Each letter is read and parsed once (the one pass), in `jobs` processes (None: all cores), and written in file
    order as it comes back. Returns (files written, text for standard output, diagnostics); registry and edition
    files are skipped.
    """
    from ..letter_pass import CorpusPass, LetterOutcome, PassOptions
    from ..parallel import LocalExecutor
    from ..store import unpack

    written: list[str] = []
    chunks: list[str] = []
    used: set[str] = set()
    diags: list[Diagnostic] = []
    out_dir = None if out == "-" else Path(out)
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {out}: {exc.strerror or exc}") from exc

    def take(outcome: LetterOutcome) -> None:
        diags.extend(outcome.meta.read)
        diags.extend(outcome.meta.diagnostics_of("text"))
        if "text" not in outcome.parts:
            return
        text = unpack(outcome.parts["text"])
        if out_dir is None:
            chunks.append(text)
            return
        stem, n = Path(outcome.path).stem, 1
        name = f"{stem}.txt"
        while name in used:
            n += 1
            name = f"{stem}-{n}.txt"
        used.add(name)
        target = out_dir / name
        try:
            atomic_write(target, text.encode("utf-8"), durable=False)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        written.append(str(target))

    options = PassOptions(consumers=("text",), text_width=width, text_mode=mode, lang=lang)
    result = CorpusPass(list(paths), options, executor=executor or LocalExecutor(jobs)).run(on_outcome=take)
    return written, "\n".join(chunks), [*result.lead, *diags]
