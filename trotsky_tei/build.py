"""The `build` pipeline: validate, link (report only), then write the site, plain text, EPUB and CMIF of a corpus."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from .errors import Diagnostic, SchemaError, Severity, UsageError
from .render.collect import EditionData, collect, slugify
from .render.epub import export_epub
from .render.site import claim_output_dir, export_site, write_file

BUILD_MARKER = ".trotsky-tei-build"


@dataclass
class Step:
    """One row of the summary table."""

    name: str
    status: str  # "ok" | "problems" | "skipped"
    detail: str


@dataclass
class BuildResult:
    """What a build did: the steps, every diagnostic (validation first), and the files written."""

    out: Path
    steps: list[Step] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def exit_code(self) -> int:
        """1 when validation (or reading) found errors — the edition is still written so it can be inspected."""
        return 1 if self.errors else 0


def _count(diags: list[Diagnostic]) -> str:
    e = sum(1 for d in diags if d.severity is Severity.ERROR)
    w = sum(1 for d in diags if d.severity is Severity.WARNING)
    return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"


@contextmanager
def _progress(console: Console) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True,
    )
    with progress:
        yield progress


def _validate(corpus: Path, jobs: int | None) -> tuple[list[Diagnostic], Step]:
    try:
        from .validate import ValidateOptions, validate_paths
    except ImportError:  # pragma: no cover - only before the validate module exists
        return [], Step("validate", "skipped", "validation is not available")
    try:
        result = validate_paths([str(corpus)], ValidateOptions(jobs=jobs))
    except SchemaError as exc:  # the bundled schema cannot be loaded: say so, still build
        return [], Step("validate", "skipped", f"schema not available: {exc}")
    diags = list(result.diagnostics)
    s = result.summary()
    status = "problems" if s["errors"] or s["warnings"] else "ok"
    return diags, Step("validate", status, f"{s['files']} files: {_count(diags)}")


def _link(corpus: Path) -> Step:
    try:
        from .link import link_paths, summary
    except ImportError:  # pragma: no cover
        return Step("link", "skipped", "linking is not available")
    reports, _ = link_paths([str(corpus)])
    s = summary(reports)
    unresolved = s.get("unlinked", 0) + s.get("ambiguous", 0) + s.get("broken", 0)
    detail = f"{s.get('linked', 0)} linked, {s.get('unlinked', 0)} unlinked, {s.get('ambiguous', 0)} ambiguous, {s.get('broken', 0)} broken (report only; `trotsky-tei link` for details)"
    return Step("link", "problems" if unresolved else "ok", detail)


def _text(data: EditionData, out: Path, advance: Callable[[], None]) -> tuple[list[str], list[Diagnostic]]:
    from .reader import read
    from .render.core import RenderContext
    from .render.text import render_letter_text

    written: list[str] = []
    warnings: list[Diagnostic] = []
    for info in data.letters:
        lf = read(info.letter.path)
        if lf.parsed.tree is not None:
            ctx = RenderContext(registry=data.registry, path=info.letter.path)
            text, warns = render_letter_text(lf.parsed.tree, info.letter, ctx)
            warnings.extend(warns)
            write_file(out / f"{info.slug}.txt", text)
            written.append(f"text/{info.slug}.txt")
        advance()
    return written, warnings


def _cmif(corpus: Path, out: Path) -> tuple[Step, list[Diagnostic]]:
    try:
        from .render.cmif import export_cmif
    except ImportError:  # pragma: no cover - only before the CMIF writer exists
        return Step("cmif", "skipped", "the CMIF writer is not available"), []
    diags = export_cmif([str(corpus)], out)
    return Step("cmif", "problems" if diags else "ok", f"{out.name}, {_count(diags)}"), diags


def epub_name(data: EditionData) -> str:
    """The EPUB's file name: the edition title as a lower-case slug."""
    return f"{slugify(data.edition.title).lower()}.epub"


def build(
    corpus: str | Path, out: str | Path, *, console: Console, force: bool = False, jobs: int | None = None,
    mode: str = "both", templates: str | Path | None = None,
) -> BuildResult:
    """Validate and link `corpus`, then write `out`/site/, text/, <name>.epub and cmif.xml; never raises for bad letters."""
    corpus_path, out_path = Path(corpus), Path(out)
    if not corpus_path.is_dir():
        raise UsageError(f"{corpus_path} is not a folder (build takes the corpus folder, e.g. corpus/)")
    claim_output_dir(out_path, BUILD_MARKER, force)
    result = BuildResult(out_path)
    for ours in ("site", "text"):  # stale pages of letters that no longer exist go with the old build
        shutil.rmtree(out_path / ours, ignore_errors=True)

    with _progress(console) as progress:
        task = progress.add_task("validate", total=None)
        diags, step = _validate(corpus_path, jobs)
        result.diagnostics.extend(diags)
        result.steps.append(step)
        progress.update(task, total=1, completed=1)

        task = progress.add_task("link", total=None)
        result.steps.append(_link(corpus_path))
        progress.update(task, total=1, completed=1)

        data = collect([str(corpus_path)])
        n = len(data.letters)
        known = {(d.path, d.code, d.line) for d in result.diagnostics}
        result.diagnostics.extend(d for d in data.diagnostics if (d.path, d.code, d.line) not in known)

        pages = n + 6
        task = progress.add_task("site", total=pages)
        written, warns = export_site(
            data, out_path / "site", mode=mode, templates=templates, claim=False,
            progress=lambda _p: progress.advance(task),
        )
        result.outputs.extend(f"site/{w}" for w in written)
        result.diagnostics.extend(warns)
        result.steps.append(Step("site", "problems" if warns else "ok", f"{len(written)} files, {_count(warns)}"))

        task = progress.add_task("text", total=n)
        written, warns = _text(data, out_path / "text", lambda: progress.advance(task))
        result.outputs.extend(written)
        result.diagnostics.extend(warns)
        result.steps.append(Step("text", "problems" if warns else "ok", f"{len(written)} files, {_count(warns)}"))

        task = progress.add_task("epub", total=n)
        name = epub_name(data)
        warns = export_epub(data, out_path / name, progress=lambda _s: progress.advance(task))
        result.outputs.append(name)
        result.steps.append(Step("epub", "problems" if warns else "ok", f"{name}, {_count(warns)}"))

        step, cmif_diags = _cmif(corpus_path, out_path / "cmif.xml")
        result.steps.append(step)
        if step.status != "skipped":
            result.outputs.append("cmif.xml")
        known = {(d.path, d.code, d.line) for d in result.diagnostics}
        result.diagnostics.extend(d for d in cmif_diags if (d.path, d.code, d.line) not in known)
    return result


def summary_table(result: BuildResult) -> Table:
    """The build summary as a rich table: one row per step, then the totals."""
    table = Table(title=f"Build of {result.out}", show_lines=False)
    table.add_column("step")
    table.add_column("status")
    table.add_column("result")
    style = {"ok": "green", "problems": "yellow", "skipped": "dim"}
    for s in result.steps:
        table.add_row(s.name, Text(s.status, style=style.get(s.status, "")), Text(s.detail))
    totals = f"{len(result.outputs)} files written, {result.errors} errors, {result.warnings} warnings"
    table.add_row("total", Text("errors" if result.errors else "ok", style="red" if result.errors else "green"), Text(totals))
    return table
