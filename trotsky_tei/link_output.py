"""Output of `trotsky-tei link`: a rich table per letter, the diff of `--dry-run`, the summary, and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .console import quoted_text
from .errors import Diagnostic, Severity
from .link import LetterReport, MentionReport
from .source import SourceLines

JSON_VERSION = 1
STATUS_STYLE = {
    "linked": "green", "written": "bold green", "external": "cyan", "unlinked": "yellow",
    "ambiguous": "bold magenta", "unknown": "red", "broken": "bold red",
}


def _status(m: MentionReport) -> Text:
    label = "written" if m.written else m.status
    t = Text(label, style=STATUS_STYLE.get(label, ""))
    if m.correspondent:
        t.append(" corresp.", style="bold" if m.problem else "dim")
    return t


def _target(m: MentionReport) -> Text:
    t = Text()
    if m.ref and not m.written:
        t.append(m.ref, style="dim")
        t.append(" → ")
    if m.status == "linked":
        t.append(m.label or m.entity or "")
        if m.text_matches is False:
            t.append(" (text differs)", style="dim")
    elif m.status == "unlinked" or m.written:
        t.append(f'ref="{m.proposed_ref}" ', style="bold")
        t.append(m.label or "")
    elif m.status == "ambiguous":
        t.append("one of: " + ", ".join(m.candidates))
    elif m.status == "unknown":
        t.append("not in the registry")
    else:
        t.append(m.note)
    return t


def letter_table(report: LetterReport) -> Table:
    """Every name of one letter: line, element and text, status, pointer and entry (or candidates)."""
    where = f"registry: {report.registry}" if report.registry else "no registry"
    title = f"{escape(report.path)}  [dim]({escape(where)})[/dim]"
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("Line", justify="right", no_wrap=True)
    table.add_column("Name")
    table.add_column("Status", no_wrap=True)
    table.add_column("Pointer → entry")
    for m in report.mentions:
        name = Text(m.element + " ", style="dim")
        name.append(m.text, style="")
        table.add_row(str(m.line), name, _status(m), _target(m))
    return table


def summary_text(summary: dict[str, int]) -> Text:
    """'1 letter: 20 linked, 2 external, …; 1 file changed; 0 errors'."""
    parts = [f"{summary.get(k, 0)} {k}" for k in ("linked", "written", "unlinked", "ambiguous", "unknown", "broken", "external")]
    files = summary.get("files", 0)
    t = Text(f"{files} letter{'' if files == 1 else 's'}: " + ", ".join(parts), style="bold")
    if summary.get("changed"):
        t.append(f"; {summary['changed']} file{'' if summary['changed'] == 1 else 's'} changed")
    errors = summary.get("errors", 0)
    t.append("; ")
    t.append(f"{errors} error{'' if errors == 1 else 's'}", style="bold red" if errors else "bold green")
    return t


def print_link_report(
    console: Console, reports: Sequence[LetterReport], diagnostics: Sequence[Diagnostic], summary: dict[str, int],
    *, show_diff: bool = False, verbose: bool = False, sources: SourceLines | None = None,
) -> None:
    """The problems compiler-style (errors and warnings), each with its line quoted where `sources` has it, the diffs
    of a dry run, and the summary; with `verbose`, first a table of every name of every letter."""
    for report in reports if verbose else ():
        if report.mentions:
            console.print(letter_table(report))
        else:
            console.print(Text(f"{report.path}: no names", style="dim"))
    problems = [d for d in diagnostics if d.severity is not Severity.INFO]
    if problems:
        console.print()
    for d in problems:
        text = Text(str(d), style="red" if d.severity is Severity.ERROR else "yellow")
        line = sources.line(d.path, d.line) if sources is not None and d.line > 0 else None
        if line is not None:
            text.append("\n")
            text.append_text(quoted_text(d, line))
        console.print(text, soft_wrap=True)
    if show_diff:
        for report in reports:
            if report.diff:
                console.print()
                console.out(report.diff, highlight=False, end="")
    console.print()
    console.print(summary_text(summary), soft_wrap=True)


def link_json(reports: Sequence[LetterReport], diagnostics: Sequence[Diagnostic], summary: dict[str, int]) -> str:
    """{"version", "summary", "letters": [per-letter report], "diagnostics": [...]} (see docs/link.md)."""
    doc: dict[str, Any] = {
        "version": JSON_VERSION,
        "summary": summary,
        "letters": [{**r.as_dict(), "diff": r.diff or None} for r in reports],
        "diagnostics": [d.as_dict() for d in diagnostics],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
