"""The `build` pipeline: validate, link (report only), then write the site, plain text, EPUB and CMIF of a corpus."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from .console import count
from .errors import Diagnostic, SchemaError, Severity, UsageError
from .render.collect import EditionData, LetterInfo, collect, slugify
from .render.epub_stream import write_epub_stream
from .render.letters import LetterRenderer, PassResult, prune, render_letters
from .render.manifest import Manifest
from .render.site import Site, Templates, claim_output_dir

BUILD_MARKER = ".trotsky-tei-build"
MANIFEST = ".trotsky-tei-manifest.json"  # beside the marker: the key of every letter output of the last build
CACHE = ".trotsky-tei-cache"  # EPUB chapters of the last build, reused when their key is unchanged


@dataclass
class Step:
    """One row of the summary table."""

    name: str
    status: str  # "ok" | "warnings" | "errors" | "skipped"; "errors" exactly when the step makes the build exit 1
    detail: str


@dataclass
class BuildResult:
    """What a build did: the steps, every diagnostic (validation first), and the files written."""

    out: Path
    steps: list[Step] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    rendered: int = 0  # letters with at least one output rendered in this run
    up_to_date: int = 0  # letters whose every output was kept from the last build
    letters: int = 0  # letters read
    outputs_rendered: int = 0  # letter outputs (page, text, chapter) rendered in this run: the sum of the rows
    outputs_up_to_date: int = 0  # letter outputs kept from the last build
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each phase (not part of any output)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def exit_code(self) -> int:
        """1 when any diagnostic is an error (validation, reading, CMIF without a licence); else 0, warnings or not."""
        return 1 if self.errors else 0


def _count(diags: list[Diagnostic]) -> str:
    e = sum(1 for d in diags if d.severity is Severity.ERROR)
    w = sum(1 for d in diags if d.severity is Severity.WARNING)
    return f"{count(e, 'error')}, {count(w, 'warning')}"


def _status(diags: list[Diagnostic]) -> str:
    """The row status the exit code agrees with: errors (exit 1), warnings (exit 0) or ok."""
    if any(d.severity is Severity.ERROR for d in diags):
        return "errors"
    return "warnings" if any(d.severity is Severity.WARNING for d in diags) else "ok"


def _kept(passed: PassResult, fmt: str, what: str, plural: str | None = None) -> str:
    """'2 chapters: 1 rendered, 1 up to date'."""
    r, u = passed.rendered.get(fmt, 0), passed.up_to_date.get(fmt, 0)
    return f"{count(r + u, what, plural)}: {r} rendered, {u} up to date"


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
    return diags, Step("validate", _status(diags), f"{count(s['files'], 'file')}: {_count(diags)}")


def _link(corpus: Path, jobs: int | None) -> Step:
    try:
        from .link import link_paths, summary
    except ImportError:  # pragma: no cover
        return Step("link", "skipped", "linking is not available")
    reports, _ = link_paths([str(corpus)], jobs=jobs)
    s = summary(reports)
    kinds = ("unlinked", "ambiguous", "broken", "unknown")
    counts = ", ".join(f"{s.get(k, 0)} {k}" for k in ("linked", *kinds))
    # report only: nothing here changes the exit status, so an unresolved name is a warning at most
    status = "warnings" if any(s.get(k, 0) for k in kinds) else "ok"
    return Step("link", status, f"{counts} (report only; `trotsky-tei link` for details)")


def _cmif(corpus: Path, out: Path, licence: str | None = None) -> tuple[Step, list[Diagnostic]]:
    try:
        from .render.cmif import CmifOptions, export_cmif, refused
    except ImportError:  # pragma: no cover - only before the CMIF writer exists
        return Step("cmif", "skipped", "the CMIF writer is not available"), []
    diags = export_cmif([str(corpus)], out, options=CmifOptions(licence=licence))
    if refused(diags):  # no licence to state: no file, and none of an earlier build left behind
        out.unlink(missing_ok=True)
        return Step("cmif", "errors", f"not written: no Creative Commons licence (TT721), {_count(diags)}"), diags
    return Step("cmif", _status(diags), f"{out.name}, {_count(diags)}"), diags


def epub_name(data: EditionData) -> str:
    """The EPUB's file name: the edition title as a lower-case slug."""
    return f"{slugify(data.edition.title).lower()}.epub"


def build(
    corpus: str | Path, out: str | Path, *, console: Console, force: bool = False, jobs: int | None = None,
    mode: str = "both", templates: str | Path | None = None, cache: bool = True, licence: str | None = None,
) -> BuildResult:
    """Validate and link `corpus`, then write `out`/site/, text/, <name>.epub and cmif.xml; never raises for bad letters.

    Letters are rendered in `jobs` processes (None: all cores); with `cache`, a letter output whose inputs did not
    change since the last build into `out` is kept as it is (the result is the same bytes as a full build).
    `licence` is the CMIF file's Creative Commons licence when the edition states none.
    """
    corpus_path, out_path = Path(corpus), Path(out)
    if not corpus_path.is_dir():
        raise UsageError(f"{corpus_path} is not a folder (build takes the corpus folder, e.g. corpus/)")
    claim_output_dir(out_path, BUILD_MARKER, force)
    result = BuildResult(out_path)
    manifest = Manifest.load(out_path, MANIFEST, use=cache)

    with _progress(console) as progress:
        clock = _Clock(result.seconds)
        task = progress.add_task("validate", total=None)
        diags, step = _validate(corpus_path, jobs)
        clock.lap("validate")
        result.diagnostics.extend(diags)
        result.steps.append(step)
        progress.update(task, total=1, completed=1)

        task = progress.add_task("link", total=None)
        result.steps.append(_link(corpus_path, jobs))
        clock.lap("link")
        progress.update(task, total=1, completed=1)

        data = collect([str(corpus_path)])
        clock.lap("collect")
        n = len(data.letters)
        known = {(d.path, d.code, d.line) for d in result.diagnostics}
        result.diagnostics.extend(d for d in data.diagnostics if (d.path, d.code, d.line) not in known)

        if templates is None and data.root is not None and (data.root / "templates").is_dir():
            templates = data.root / "templates"
        site = Site(data, out_path / "site", mode, Templates(templates))
        name = epub_name(data)
        tasks = {fmt: progress.add_task(fmt, total=n) for fmt in ("site", "text", "epub")}
        passed = _letters(data, site, manifest, jobs, lambda fmt: progress.advance(tasks[fmt]), out_path / name)
        clock.lap("letters")
        cross = [f"site/{rel}" for rel in site.write_cross()]
        progress.update(tasks["site"], total=n + len(cross), completed=n + len(cross))
        keep = [*passed.written["site"], *cross, *passed.written["text"], *passed.written["epub"]]
        for folder in ("site", "text", CACHE):  # pages of letters that no longer exist go
            prune(out_path / folder, {out_path / rel for rel in keep})
        manifest.save()
        clock.lap("cross-letter pages")
        result.rendered, result.up_to_date, result.letters = passed.letters_rendered, passed.letters_kept, n
        result.outputs_rendered = sum(passed.rendered.values())
        result.outputs_up_to_date = sum(passed.up_to_date.values())

        site_warns = sorted(set(passed.warnings_of("site")))
        site_files = len(passed.written["site"]) + len(cross)
        result.outputs.extend(sorted([*passed.written["site"], *cross]))
        result.diagnostics.extend(site_warns)
        result.steps.append(Step("site", _status(site_warns), f"{count(site_files, 'file')} ({_kept(passed, 'site', 'letter page')}), {_count(site_warns)}"))

        text_warns = passed.warnings_of("text")
        result.outputs.extend(passed.written["text"])
        result.diagnostics.extend(text_warns)
        result.steps.append(Step("text", _status(text_warns), f"{count(len(passed.written['text']), 'file')} ({_kept(passed, 'text', 'letter')}), {_count(text_warns)}"))

        epub_warns = sorted(set(passed.warnings_of("epub")))
        result.outputs.append(name)
        result.steps.append(Step("epub", _status(epub_warns), f"{name} ({_kept(passed, 'epub', 'chapter')}), {_count(epub_warns)}"))

        step, cmif_diags = _cmif(corpus_path, out_path / "cmif.xml", licence)
        clock.lap("cmif")
        result.steps.append(step)
        if step.status not in ("skipped", "errors"):
            result.outputs.append("cmif.xml")
        known = {(d.path, d.code, d.line) for d in result.diagnostics}
        result.diagnostics.extend(d for d in cmif_diags if (d.path, d.code, d.line) not in known)
    return result


class _Clock:
    """Wall time per phase, written into a dict as each phase ends."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into, self.start = into, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = now - self.start
        self.start = now


def _letters(
    data: EditionData, site: Site, manifest: Manifest, jobs: int | None, advance: Callable[[str], None], epub: Path
) -> PassResult:
    """The per-letter phase: each letter's page, text and EPUB chapter (parallel, incremental), the EPUB zipped in order."""
    renderer = LetterRenderer(data, site_mode=site.mode, templates=site.templates.folder)
    targets: dict[str, Callable[[LetterInfo], str]] = {
        "site": lambda info: f"site/letters/{info.slug}.html",
        "text": lambda info: f"text/{info.slug}.txt",
        "epub": lambda info: f"{CACHE}/epub/letter-{info.slug}.xhtml",
    }
    passed = PassResult()
    letters = render_letters(renderer, targets, manifest, jobs=jobs, result=passed, content_of=("epub",), advance=advance)
    chapters = ((f"letter-{data.letters[i].slug}.xhtml", r["epub"].content, r["epub"].title) for i, r in letters)
    write_epub_stream(data, epub, chapters)
    for _rest in letters:  # nothing is left when the book took every chapter; this only makes sure
        pass
    return passed


def summary_table(result: BuildResult) -> Table:
    """The build summary as a rich table: one row per step, then the totals."""
    table = Table(title=f"Build of {result.out}", show_lines=False)
    table.add_column("step")
    table.add_column("status")
    table.add_column("result")
    style = {"ok": "green", "warnings": "yellow", "errors": "red", "skipped": "dim"}
    for s in result.steps:
        table.add_row(s.name, Text(s.status, style=style.get(s.status, "")), Text(s.detail))
    # the totals add up the rows: outputs are counted per letter output (page, text, chapter), as the rows count them
    totals = (
        f"{count(len(result.outputs), 'file')} written, {count(result.letters, 'letter')} "
        f"(letter outputs: {result.outputs_rendered} rendered, {result.outputs_up_to_date} up to date), "
        f"{count(result.errors, 'error')}, {count(result.warnings, 'warning')}"
    )
    status = "errors" if result.errors else "warnings" if result.warnings else "ok"
    table.add_row("total", Text(status, style=style[status]), Text(totals))
    if result.seconds:
        times = ", ".join(f"{name} {secs:.1f} s" for name, secs in result.seconds.items())
        table.add_row("time", "", Text(times, style="dim"))
    return table
