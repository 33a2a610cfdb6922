"""The `build` pipeline: validate, link (report only), then write the site, plain text, EPUB and CMIF of a corpus."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from .console import count
from .errors import Diagnostic, Severity, UsageError
from .i18n import messages
from .keys import key_of
from .render.collect import EditionData, LetterInfo, edition_data, slugify
from .render.epub import chapter_names, stored_chapters, write_book
from .render.outputs import Outputs
from .render.pdf import INSTALL_HINT as PDF_HINT
from .render.pdf import PdfOptions, stored_letters, write_pdf
from .render.pdf import available as pdf_available
from .render.site import Site, Templates, claim_output_dir, stored_articles, wants_search
from .store import Store
from .xmlfile import atomic_write, read_bytes

if TYPE_CHECKING:
    from .letter_pass import CheckOptions, LetterOutcome, PassResult
    from .pathrules import PathRules

BUILD_MARKER = ".trotsky-tei-build"
CACHE = ".trotsky-tei-cache"  # the store of the last build: every letter's results and parts, every output's key


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


@contextmanager
def _progress(console: Console) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True,
    )
    with progress:
        yield progress


def epub_name(data: EditionData) -> str:
    """The EPUB's file name: the edition title as a lower-case slug."""
    return f"{slugify(data.edition.title).lower()}.epub"


CONSUMERS = ("validate", "link-counts", "record", "cmif", "site", "source", "epub", "text")
PDF_CONSUMERS = (*CONSUMERS, "pdf")


def pdf_name(data: EditionData) -> str:
    """The PDF's file name: the EPUB's, with .pdf."""
    return epub_name(data).removesuffix(".epub") + ".pdf"


def build(
    corpus: str | Path, out: str | Path, *, console: Console, force: bool = False, jobs: int | None = None,
    mode: str = "both", templates: str | Path | None = None, cache: bool = True, licence: str | None = None,
    executor: str | None = None, pdf: PdfOptions | None | bool = True, check: CheckOptions | None = None,
    lang: str = "", search: bool | None = None, per_file: PathRules | None = None,
) -> BuildResult:
    """Validate and link `corpus`, then write `out`/site/, text/, <name>.epub and cmif.xml; never raises for bad letters.

    One pass over the letters (`letter_pass`): each is read and parsed once, in `jobs` processes (None: all cores) or
    on a Dask cluster (`executor` dask://HOST:PORT), and checked, linked and rendered from that one tree. With `cache`,
    a letter whose bytes and context did not change since the last build into `out` is not processed again, and an
    output whose inputs did not change is not written again; the result is the same bytes as a full build.
    `licence` is the CMIF file's Creative Commons licence when the edition states none. The PDF book (`pdf`: its
    options, True for the defaults, None or False for no book) is typeset where Typst is installed (trotsky-tei[pdf]);
    without it the summary says what to install. `check`: the schema and the codes validation reports (as
    `validate --schema/--no-schema/--select/--ignore`).
    """
    from .letter_pass import CheckOptions, CorpusPass, PassOptions, ValuesOf
    from .parallel import make_executor
    from .render.cmif import CmifOptions, cmif_pieces, file_diagnostics, refused

    corpus_path, out_path = Path(corpus), Path(out)
    if not corpus_path.is_dir():
        raise UsageError(f"{corpus_path} is not a folder (build takes the corpus folder, e.g. corpus/)")
    corpus_real, out_real = corpus_path.resolve(), out_path.resolve()
    if out_real == corpus_real or out_real in corpus_real.parents:
        raise UsageError(f"{out_path} is the corpus folder or holds it: the edition would be read back as letters; "
                         f"give a folder of its own, e.g. -o {corpus_path.resolve().parent / 'edition'}")
    claim_output_dir(out_path, BUILD_MARKER, force)
    lock = _lock(out_path)  # one build at a time into one folder; held until this one ends
    _remove_stale_temporaries(out_path)
    result = BuildResult(out_path)
    store = Store(out_path / CACHE / "build.sqlite", reset=not cache)
    try:
        with _progress(console) as progress:
            clock = _Clock(result.seconds)
            task = progress.add_task("letters", total=None)
            wanted = pdf is not None and pdf is not False
            pdf_options = pdf if isinstance(pdf, PdfOptions) else PdfOptions()
            with_pdf = wanted and pdf_available()
            options = PassOptions(consumers=PDF_CONSUMERS if with_pdf else CONSUMERS, check=check or CheckOptions(), site_mode=mode,
                                  pdf_mode=pdf_options.mode, lang=lang)
            the_pass = CorpusPass([str(corpus_path)], options, store=store, executor=make_executor(jobs, executor))
            passed = the_pass.run(lambda done, total: progress.update(task, completed=done, total=total))
            clock.lap("letters")
            data = edition_data(passed)
            result.letters = len(data.letters)
            result.rendered = sum(1 for o in passed.outcomes if o.meta.kind == "letter" and not o.cached)
            result.up_to_date = sum(1 for o in passed.outcomes if o.meta.kind == "letter" and o.cached)
            by_path = {o.path: o for o in passed.outcomes}
            keys = [by_path[i.letter.path].key for i in data.letters]

            diags = _validation_diagnostics(passed)
            if per_file:  # the settings' per-file-ignores/-select, after --select/--ignore: the step's status too
                diags = [d for d in diags if per_file.wants(d.path, d.code)]
            result.diagnostics.extend(diags)
            result.diagnostics.extend(d for d in data.diagnostics if d.code == "TT724")  # the edition, from the letters
            files = len(passed.files)
            result.steps.append(Step("validate", _status(diags), f"{count(files, 'file')}: {_count(diags)}"))
            result.steps.append(_link_step(passed))

            outputs = Outputs(out_path, store)
            if templates is None and data.root is not None and (data.root / "templates").is_dir():
                templates = data.root / "templates"
            site = Site(data, out_path / "site", mode, Templates(templates), articles=stored_articles(store, passed), lang=passed.run.lang,
                        sources=lambda info: store.part_bytes(info.letter.path, "source") or b"",
                        search=wants_search(search) and bool(data.letters))
            record_keys = [by_path[i.letter.path].meta.value_key("record") for i in data.letters]
            site.write(outputs, keys, prefix="site/", record_keys=record_keys, executor=the_pass.executor)
            clock.lap("site")
            # what the index reads of each page: its letter's results in this shell (the navigation is not indexed)
            search_key = key_of(site.shell_key, [(i.slug, k) for i, k in zip(data.letters, keys, strict=True)])
            search_step = _search_step(site, search, search_key)
            clock.lap("search")
            pages = _counts(outputs, "site/letters/", ".html")  # the TEI sources beside them are not pages
            site_files = sum(_counts(outputs, "site/"))
            site_warns = sorted({d for o in passed.outcomes for d in o.meta.diagnostics_of("site")})
            result.diagnostics.extend(site_warns)
            result.steps.append(Step("site", _status(site_warns), (
                f"{count(site_files, 'file')} ({_kept(pages, 'letter page')}), {_count(site_warns)}"
            )))
            result.steps.append(search_step)

            for info, key in zip(data.letters, keys, strict=True):
                outputs.write(f"text/{info.slug}.txt", key_of(key, info.slug), lambda info=info: store.part(info.letter.path, "text") or "")  # type: ignore[misc]
            clock.lap("text")
            texts = _counts(outputs, "text/")
            text_warns = [d for o in _in_order(passed, data) for d in o.meta.diagnostics_of("text")]
            result.diagnostics.extend(text_warns)
            result.steps.append(Step("text", _status(text_warns), (
                f"{count(sum(texts), 'file')} ({_kept(texts, 'letter')}), {_count(text_warns)}"
            )))

            name = epub_name(data)
            book_key = key_of(data.edition, data.registry.content_key(), [(i.slug, k) for i, k in zip(data.letters, keys, strict=True)])
            frame_key = key_of(data.edition, data.registry.content_key(), passed.run.lang,
                               [(i.slug, k) for i, k in zip(data.letters, record_keys, strict=True)])
            outputs.write_file(name, book_key, lambda tmp: _book(data, out_path / name, tmp, store, passed, outputs, keys, frame_key))
            chapters_of = chapter_names(data.letters)
            for info, key in zip(data.letters, keys, strict=True):  # what each chapter of the book was made from
                outputs.note(f"{name}#{chapters_of[info.slug]}", key)
            outputs.note(f"{name}#frame", frame_key)  # and its title page, contents, registers, colophon
            clock.lap("epub")
            # a chapter is made when its letter is processed; the book is zipped again when any chapter changed
            chapters = (result.rendered, result.up_to_date)
            epub_warns = sorted({d for o in passed.outcomes for d in o.meta.diagnostics_of("epub")})
            result.steps.append(Step("epub", _status(epub_warns), f"{name} ({_kept(chapters, 'chapter')}), {_count(epub_warns)}"))

            pdf_file = pdf_name(data)
            if with_pdf:
                pdf_key = key_of(book_key, pdf_options)
                typeset_warns: list[Diagnostic] = []
                shown = str(out_path / pdf_file)
                outputs.write_file(pdf_file, pdf_key, lambda tmp: typeset_warns.extend(
                    write_pdf(data, tmp, stored_letters(store, passed), pdf_options, shown_as=shown,
                                                       t=messages(passed.run.lang))))
                pdf_warns = sorted({*(d for o in passed.outcomes for d in o.meta.diagnostics_of("pdf")), *typeset_warns})
                result.diagnostics.extend(d for d in pdf_warns if d not in set(result.diagnostics))
                state = "typeset" if pdf_file in outputs.written else "up to date"
                result.steps.append(Step("pdf", _status(pdf_warns), f"{pdf_file} ({count(result.letters, 'letter')}, {state}), {_count(pdf_warns)}"))
            elif wanted:
                result.steps.append(Step("pdf", "skipped", f"not written: {PDF_HINT}"))
            else:
                result.steps.append(Step("pdf", "skipped", "not written (--no-pdf)"))
            clock.lap("pdf")

            cmif_options = CmifOptions(base_url=data.edition.url or None, licence=licence)
            cmif_diags = sorted({
                *(d for o in _in_order(passed, data) for d in o.meta.diagnostics_of("cmif")),
                *file_diagnostics(data.edition, cmif_options),
            })
            no_licence = refused(cmif_diags)
            cmif_diags = [d for d in cmif_diags if options.check.wants(d.code)]  # --select/--ignore: every code
            if no_licence:  # no licence to state: no file, and none of an earlier build left behind
                (out_path / "cmif.xml").unlink(missing_ok=True)
                if options.check.wants("TT721"):
                    result.steps.append(Step("cmif", "errors", f"not written: no Creative Commons licence (TT721), {_count(cmif_diags)}"))
                else:
                    result.steps.append(Step("cmif", "skipped", f"not written: no Creative Commons licence (TT721 ignored), {_count(cmif_diags)}"))
            else:
                cmif_key = key_of(data.edition, cmif_options, [o.meta.value_key("cmif") for o in _in_order(passed, data)])
                outputs.write("cmif.xml", cmif_key, lambda: cmif_pieces(  # each record decoded as it is written
                    ValuesOf(_in_order(passed, data), "cmif"), data.edition, cmif_options))
                result.steps.append(Step("cmif", _status(cmif_diags), f"cmif.xml, {_count(cmif_diags)}"))
            known = {(d.path, d.code, d.line) for d in result.diagnostics}
            result.diagnostics.extend(d for d in cmif_diags if (d.path, d.code, d.line) not in known)
            clock.lap("cmif")

            outputs.prune(["site", "text"])
            for rel in outputs.last:  # a book of an earlier title
                if rel.endswith((".epub", ".pdf")) and rel not in outputs.seen:
                    (out_path / rel).unlink(missing_ok=True)
            store.keep_letters(passed.files)
            result.outputs = sorted(outputs.seen)
            result.outputs_rendered = pages[0] + texts[0] + chapters[0]
            result.outputs_up_to_date = pages[1] + texts[1] + chapters[1]
    finally:
        store.close()
        lock.close()
    return result


def _lock(out: Path) -> IO[bytes]:
    """An exclusive lock on `out` (a lock file in its cache folder), or UsageError when another build holds it."""
    (out / CACHE).mkdir(parents=True, exist_ok=True)
    fh = open(out / CACHE / "lock", "ab")  # noqa: SIM115 - closed when the build ends
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not a POSIX system: no lock
        return fh
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise UsageError(f"another build is writing into {out} right now: wait for it to end, or build into another folder") from None
    return fh


def _remove_stale_temporaries(out: Path) -> None:
    """Temporary files an interrupted build left (`.NAME.XXXXXXXX.tmp`, ours: the output writer's names)."""
    for dirpath, _dirs, files in os.walk(out):
        for name in files:
            if name.startswith(".") and name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, name))


def _counts(outputs: Outputs, prefix: str, suffix: str = "") -> tuple[int, int]:
    """(written, kept) of the outputs under `prefix` (ending in `suffix`)."""
    def ours(r: str) -> bool:
        return r.startswith(prefix) and r.endswith(suffix)

    return sum(1 for r in outputs.written if ours(r)), sum(1 for r in outputs.kept if ours(r))


def _kept(counts: tuple[int, int], what: str) -> str:
    """'2 chapters: 1 rendered, 1 up to date'."""
    return f"{count(sum(counts), what)}: {counts[0]} rendered, {counts[1]} up to date"


def _in_order(passed: PassResult, data: EditionData) -> list[LetterOutcome]:
    by_path = {o.path: o for o in passed.outcomes}
    return [by_path[i.letter.path] for i in data.letters]


def _validation_diagnostics(passed: PassResult) -> list[Diagnostic]:
    """Reading and validation diagnostics, file by file (as `validate` reports them, schema errors capped)."""
    from .validate import DEFAULT_MAX_SCHEMA_ERRORS, _cap_schema, _order

    out: list[Diagnostic] = [*passed.lead]
    for outcome in passed.outcomes:
        diags = [*outcome.meta.read, *outcome.meta.diagnostics_of("validate"), *passed.corpus.get(outcome.path, ())]
        out.extend(_cap_schema(outcome.path, _order(diags), DEFAULT_MAX_SCHEMA_ERRORS)[0])
    out.extend(passed.extra)
    return out


SEARCH_STAMP = ".trotsky-tei-key"  # in pagefind/: what the index was made from (the letter pages' keys)


def _search_step(site: Site, search: bool | None, key: str) -> Step:
    """The search index of the site's letter pages: made again when a letter page changed, came or went."""
    from .render.search import BUNDLE_DIR, INSTALL_HINT, SearchError

    folder = site.out
    stamp = folder / BUNDLE_DIR / SEARCH_STAMP
    if search is False or not site.search:
        if (folder / BUNDLE_DIR / "pagefind-entry.json").is_file():
            shutil.rmtree(folder / BUNDLE_DIR)  # an index of an earlier build would find pages that are gone
        if search is False:
            return Step("search", "skipped", "not made (--no-search)")
        return Step("search", "skipped", "no letters" if not site.data.letters else f"not made: {INSTALL_HINT}")
    old, _why = read_bytes(stamp)
    if old == key.encode():
        return Step("search", "ok", f"pagefind/ (up to date, {count(len(site.data.letters), 'letter')})")
    try:
        made = site.index_search()
    except SearchError as exc:
        return Step("search", "errors", f"not made: {exc}")
    atomic_write(stamp, key.encode(), durable=False)
    return Step("search", "ok", f"pagefind/ ({count(len(made.pages), 'letter')} indexed, {count(len(made.files), 'file')})")


def _link_step(passed: PassResult) -> Step:
    counts: dict[str, int] = {}
    for outcome in passed.outcomes:
        for status, n in outcome.meta.value("link-counts") or ():
            counts[status] = counts.get(status, 0) + n
    kinds = ("unlinked", "ambiguous", "broken", "unknown")
    detail = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("linked", *kinds))
    # report only: nothing here changes the exit status, so an unresolved name is a warning at most
    status = "warnings" if any(counts.get(k, 0) for k in kinds) else "ok"
    return Step("link", status, f"{detail} (report only; `trotsky-tei link` for details)")


def _book(
    data: EditionData, path: Path, tmp: Path, store: Store, passed: PassResult, outputs: Outputs, keys: list[str],
    frame_key: str,
) -> None:
    """Write the EPUB to `tmp` (the output writer puts it in place of `path`).

    A chapter whose letter's key is the one it had when the book on disk was written is copied from that book as it
    is (the book is the last build's own: `outputs.fresh_file`); each chapter's key is recorded beside the book's.
    """
    rel = path.name
    names = chapter_names(data.letters)
    chapter_keys = {f"{rel}#{names[i.slug]}": k for i, k in zip(data.letters, keys, strict=True)}
    titles = {o.path: o.meta.title("epub") for o in passed.outcomes}

    def unchanged(info: LetterInfo) -> str | None:
        part = f"{rel}#{names[info.slug]}"
        last = outputs.last.get(part)
        return titles.get(info.letter.path) or info.letter.title if last is not None and last[0] == chapter_keys[part] else None

    previous = path if outputs.fresh_file(rel) else None
    frame = outputs.last.get(f"{rel}#frame")
    write_book(data, tmp, stored_chapters(store, passed), previous=previous, unchanged=unchanged,
               frame_unchanged=frame is not None and frame[0] == frame_key, language=passed.run.lang)


class _Clock:
    """Wall time per phase, written into a dict as each phase ends."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into, self.start = into, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = now - self.start
        self.start = now


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
