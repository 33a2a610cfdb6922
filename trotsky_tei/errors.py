"""Diagnostics (problems found in a corpus) and the exceptions that stop a command, each with its exit code."""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass
from typing import Any


class Severity(str, enum.Enum):
    """How bad a diagnostic is; errors make a command exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


MAX_MESSAGE = 600  # characters of a diagnostic's message: a quoted value of megabytes is cut, and says so
# control characters, line and paragraph separators, and the bidirectional controls (a file name or a message with
# U+202E in it would print reversed: "Trojan Source")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def printable(text: str) -> str:
    """`text` safe for a terminal and one line: control characters (escape sequences, newlines) and bidirectional
    controls shown escaped."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(m.group(), f"\\x{ord(m.group()):02x}")
                        if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def bounded(message: str) -> str:
    """A message of at most MAX_MESSAGE characters (where more, what is left out is counted)."""
    if len(message) <= MAX_MESSAGE:
        return message
    return f"{message[:MAX_MESSAGE]}… ({len(message) - MAX_MESSAGE} more characters not shown)"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place: `path:line:column: severity CODE name: message`.

    `line` and `column` are 1-based; 0 means "not known" (a whole-file problem, or a column
    the underlying tool does not report).
    """

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    name: str
    message: str

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", bounded(self.message))

    def __str__(self) -> str:
        """One line, safe for a terminal (the path and message with control characters escaped)."""
        return (f"{printable(self.path)}:{self.line}:{self.column}: {self.severity} {self.code} {self.name}: "
                f"{printable(self.message)}")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


def has_errors(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


class TeiError(Exception):
    """Base of every exception the toolkit raises; `cli.main` catches it once and exits with `exit_code`."""

    exit_code = 1


class UsageError(TeiError):
    """The command was called wrongly (bad option, missing path, unreadable schema): exit 2."""

    exit_code = 2


class SchemaError(UsageError):
    """A schema given with --schema cannot be read or compiled."""


class OutputError(TeiError):
    """An output directory or file cannot be written (e.g. it exists and is not ours)."""

    exit_code = 2
