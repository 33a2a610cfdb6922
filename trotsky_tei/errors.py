"""Diagnostics (problems found in a corpus) and the exceptions that stop a command, each with its exit code."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class Severity(str, enum.Enum):
    """How bad a diagnostic is; errors make a command exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


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

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity} {self.code} {self.name}: {self.message}"

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
