"""Terminal and JSON output of diagnostics and rule tables, on an injected rich Console."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from .errors import Diagnostic, Severity, printable

if TYPE_CHECKING:
    from .source import SourceLines

JSON_VERSION = 1
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def make_console(*, stderr: bool = False) -> Console:
    """The console the CLI prints to (library code receives one, never creates the global one)."""
    return Console(stderr=stderr, highlight=False)


def diagnostic_text(d: Diagnostic) -> Text:
    """One diagnostic, compiler-style, with the severity and code coloured."""
    t = Text()
    t.append(f"{printable(d.path)}:{d.line}:{d.column}: ", style="bold")  # a file name may hold escape codes
    t.append(str(d.severity), style=SEVERITY_STYLE.get(d.severity, ""))
    t.append(" ")
    t.append(d.code, style="bold")
    t.append(f" {d.name}: ", style="dim")
    t.append(printable(d.message))
    return t


GUTTER = 5  # the width of the line numbers of quoted lines


def quoted_text(d: Diagnostic, line: str) -> Text:
    """The line `d` points at, under it, with a caret under its column (none where the column is not known)."""
    from .source import quote

    shown, caret = quote(line, d.column)
    number = str(d.line).rjust(GUTTER)
    t = Text()
    t.append(f"{number} | ", style="bold blue")
    t.append(shown)
    if caret >= 0:
        t.append("\n")
        t.append(f"{' ' * len(number)} | ", style="bold blue")
        t.append(" " * caret + "^", style=SEVERITY_STYLE.get(d.severity, ""))
    return t


PROGRESS_INTERVAL = 0.1  # seconds between two redraws of a progress bar (a redraw per file would cost more than a file)


@contextmanager
def file_progress(console: Console, wanted: bool = True, label: str = "files") -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar of files done on `console` while the block runs, gone after it: the block gets the callback
    `(done, total)` a `CorpusPass` reports to. None (and nothing shown) unless `wanted` and the console is an
    interactive terminal: no bar in a CI log, a pipe or a file (rich's TTY_INTERACTIVE=0 turns it off)."""
    if not wanted or not console.is_interactive:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                        transient=True, auto_refresh=False)
    task = progress.add_task(label, total=None)
    last = 0.0

    def advance(done: int, total: int) -> None:
        nonlocal last
        progress.update(task, completed=done, total=total)
        now = time.monotonic()
        if done >= total or now - last >= PROGRESS_INTERVAL:
            last = now
            progress.refresh()

    with progress:
        yield advance


def count(n: int, word: str, plural: str | None = None) -> str:
    """ "1 letter", "2 letters" (or the `plural` given: "2 entries")."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def summary_text(summary: dict[str, int]) -> Text:
    """'3 files checked: 2 errors, 1 warning' (and how many schema diagnostics were not shown)."""
    files, errors, warnings = summary.get("files", 0), summary.get("errors", 0), summary.get("warnings", 0)
    t = Text()
    head = f"{count(files, 'file')} checked: "
    if not errors and not warnings:
        t.append(head + "no problems", style="bold green")
    else:
        t.append(head, style="bold")
        t.append(count(errors, "error"), style="bold red" if errors else "")
        t.append(", ")
        t.append(count(warnings, "warning"), style="yellow" if warnings else "")
    hidden = summary.get("not_shown", 0)
    if hidden:
        t.append(f" ({hidden} schema diagnostics not shown; --max-schema-errors 0 shows all)")
    return t


def print_diagnostics(
    console: Console, diagnostics: Sequence[Diagnostic], summary: dict[str, int], sources: SourceLines | None = None,
) -> None:
    """Print diagnostics one per line (a blank line between files) and the summary line; lines are never wrapped.
    With `sources`, each diagnostic whose line is known is followed by that line and a caret under its column."""
    previous: str | None = None
    for d in diagnostics:
        if previous is not None and d.path != previous:
            console.print()
        text = diagnostic_text(d)
        line = sources.line(d.path, d.line) if sources is not None and d.line > 0 else None
        if line is not None:
            text.append("\n")
            text.append_text(quoted_text(d, line))
        console.print(text, soft_wrap=True)
        previous = d.path
    if diagnostics:
        console.print()
    console.print(summary_text(summary), soft_wrap=True)


def diagnostics_json(diagnostics: Sequence[Diagnostic], summary: dict[str, int]) -> str:
    """The JSON document for CI: {"version", "files", "summary", "diagnostics": [...]} (see docs/validate.md)."""
    doc: dict[str, Any] = {
        "version": JSON_VERSION,
        "files": summary.get("files", 0),
        "summary": summary,
        "diagnostics": [d.as_dict() for d in diagnostics],
    }
    return json.dumps(doc, indent=2, ensure_ascii=True)


def print_json(console: Console, text: str) -> None:
    """Write a JSON document verbatim (no wrapping, markup or highlighting)."""
    console.out(text, highlight=False)


def print_rule_table(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    """The rules and built-in checks as a rich table: code, name, source, applies to, description."""
    from rich.table import Table  # here: printing diagnostics needs no table

    table = Table(title="trotsky-tei checks", show_lines=False)
    table.add_column("Code", style="bold", no_wrap=True)
    table.add_column("Name", no_wrap=True)
    table.add_column("Source", no_wrap=True)
    table.add_column("Applies to")
    table.add_column("Description")
    for row in rows:
        table.add_row(row["code"], row["name"], row["source"], ", ".join(row["applies_to"]) or "all files", row["doc"])
    console.print(table)


def rules_json(rows: Sequence[dict[str, Any]]) -> str:
    """The rule table as JSON: {"version", "rules": [{code, name, source, applies_to, doc}]}."""
    return json.dumps({"version": JSON_VERSION, "rules": list(rows)}, indent=2, ensure_ascii=True)
