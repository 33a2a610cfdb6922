"""The lines of a file that diagnostics point at, quoted under them in text output with a caret under the column:

    corpus/letters/x.xml:12:5: error TT100 schema: …
      12 |     <persNme ref="#trotsky">Trotsky</persNme>
         |     ^

The pass keeps them from the bytes it has already read (`SourceLines.keep`), only the lines its diagnostics name, so
no file is read again for them. A quoted line is a document's text, shown as data: control characters and terminal
escapes are escaped (`errors.printable`), tabs expanded so that the caret lines up, and a long line is cut to a window
of QUOTE_WIDTH characters around the column.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Sequence

from rich.cells import cell_len

from .errors import Diagnostic, printable

QUOTE_WIDTH = 120  # characters of a quoted line shown around the column
TAB_WIDTH = 4
_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _codec(data: bytes) -> tuple[str, bool]:
    """The codec the file's lines are decoded with, and whether the whole file must be decoded (UTF-16) rather
    than line by line (an ASCII-compatible encoding, where b"\\n" ends a line)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2] in (b"<\x00", b"\x00<"):
        return "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-16-le" if data[:1] == b"<" else "utf-16-be"), True
    found = _ENCODING.match(data.removeprefix(b"\xef\xbb\xbf")[:200])
    if found:
        try:
            name = codecs.lookup(found.group(1).decode("ascii")).name
        except LookupError:
            return "utf-8", False
        if not name.startswith(("utf-16", "utf-32")):
            return name, False
    return "utf-8", False


def lines_of(data: bytes, wanted: Iterable[int]) -> dict[int, str]:
    """The lines numbered `wanted` (1-based, as the parser counts them) of a file's bytes, decoded; lines past the
    end are left out. Only the file up to the last line wanted is split."""
    numbers = sorted({n for n in wanted if n > 0})
    if not numbers:
        return {}
    name, whole = _codec(data)
    # split at most at the last line wanted: the pieces before it are whole lines, the rest is left as one piece
    if whole:
        text = data.decode(name, "replace").removeprefix("\ufeff")
        split = text.split("\n", numbers[-1])
        return {n: split[n - 1].removesuffix("\r") for n in numbers if n <= len(split)}
    raw = data.removeprefix(b"\xef\xbb\xbf").split(b"\n", numbers[-1])
    return {n: raw[n - 1].removesuffix(b"\r").decode(name, "replace") for n in numbers if n <= len(raw)}


class SourceLines:
    """The quoted lines of a run: path -> {line: text}, only the lines diagnostics point at."""

    def __init__(self) -> None:
        self._lines: dict[str, dict[int, str]] = {}

    def keep(self, path: str, data: bytes | None, diagnostics: Iterable[Diagnostic], extra: Iterable[int] = ()) -> None:
        """Keep, from `data` (the bytes of `path`), the lines `diagnostics` point at (and the lines `extra`)."""
        if data is None:
            return
        wanted = {d.line for d in diagnostics if d.line > 0} | {n for n in extra if n > 0}
        if wanted:
            self._lines.setdefault(path, {}).update(lines_of(data, wanted))

    def add(self, path: str, lines: dict[int, str]) -> None:
        self._lines.setdefault(path, {}).update(lines)

    def line(self, path: str, number: int) -> str | None:
        return self._lines.get(path, {}).get(number)

    def known(self, path: str) -> bool:
        return path in self._lines

    def drop(self, path: str) -> None:
        self._lines.pop(path, None)

    def read_missing(self, diagnostics: Sequence[Diagnostic]) -> None:
        """Read, once each, the files that diagnostics point into and whose lines were not kept by the pass (registry
        and edition files, parsed before the letters); a file that cannot be read is quoted from nowhere."""
        from .xmlfile import read_bytes

        wanted: dict[str, list[Diagnostic]] = {}
        for d in diagnostics:
            if d.line > 0 and self.line(d.path, d.line) is None:
                wanted.setdefault(d.path, []).append(d)
        for path, diags in wanted.items():
            data, _why = read_bytes(path)
            self.keep(path, data, diags)


def _safe(char: str) -> str:
    """One character of a quoted line as shown: a control character, a line or paragraph separator, a bidirectional
    control (which would reorder what the terminal shows) escaped; anything else as it is."""
    if char == "\t":
        return char
    shown = printable(char)
    return shown if shown != char else f"\\u{ord(char):04x}"


def quote(text: str, column: int, width: int = QUOTE_WIDTH) -> tuple[str, int]:
    """The line as shown (escaped, tabs expanded, cut to `width` characters around `column` with … where cut) and
    the cell offset of the caret under `column` (1-based, in characters; 0 or less: -1, no caret)."""
    index = min(column - 1, len(text)) if column > 0 else -1
    start, end = 0, len(text)
    if len(text) > width:
        start = max(0, min((index if index >= 0 else 0) - width // 2, len(text) - width))
        end = start + width
    window = text[start:end]
    head, tail = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    at = index - start if index >= 0 else -1
    if "\t" not in window and not _UNSAFE.search(window):
        shown = window
        caret = cell_len(window[:at]) if at >= 0 else -1
    else:
        pieces: list[str] = []
        cells = 0
        caret = -1
        for i, char in enumerate(window):
            if i == at:
                caret = cells
            piece = " " * (TAB_WIDTH - cells % TAB_WIDTH) if char == "\t" else (_safe(char) if _UNSAFE.match(char) else char)
            pieces.append(piece)
            cells += cell_len(piece)
        if at >= len(window):
            caret = cells
        shown = "".join(pieces)
    if caret >= 0 and head:
        caret += 1
    return head + shown.rstrip() + tail, caret
