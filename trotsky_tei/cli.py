"""The `trotsky-tei` command line: parses options, calls the library, prints. No logic of its own."""

from __future__ import annotations

import contextlib
import datetime
import errno
import gc
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from . import __version__
from .errors import TeiError

if TYPE_CHECKING:  # imported where used, so that `trotsky-tei --help` stays quick
    from rich.console import Console

    from .errors import Diagnostic
    from .render.collect import EditionData


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trotsky-tei")
def cli() -> None:
    """Validate, link and export TEI-XML critical editions of letters."""


# --- validate / rules -------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--schema", "schema_path", metavar="FILE", help="RELAX NG schema (.rng or .rnc) instead of the bundled letter schema; tei_all: all of TEI P5 (bundled).")
@click.option("--no-schema", is_flag=True, help="Skip the schema; run the editorial rules only.")
@click.option("--schematron", "schematron_path", metavar="FILE", help="Also run the ISO Schematron rules of FILE (.sch; XPath 1 to 3.1) on each file: TT110 failed assert, TT111 report, TT112 expression error.")
@click.option("--registry", "registry_dir", metavar="DIR", help="Registry folder (default: <corpus root>/registry for each file).")
@click.option("--select", multiple=True, metavar="CODES", help="Report only these codes or prefixes (TT2, TT301,TT302); repeatable.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these codes or prefixes; repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text", show_default=True, help="Output for people (text), for CI (json), code-scanning dashboards (sarif: SARIF 2.1.0) or GitHub Actions annotations (github).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Check files in N processes (default: all cores).")
@click.option("--no-cache", is_flag=True, help="Check every file again, even those unchanged since the last run (results are cached in .trotsky-tei-cache/ by content).")
@click.option("--executor", metavar="URL", help="Where the files are checked: local (the default) or a Dask cluster, dask://HOST:PORT (needs trotsky-tei[dask]).")
@click.option("--max-schema-errors", type=click.IntRange(min=0), default=20, show_default=True, metavar="N", help="Schema diagnostics shown per file (0: all).")
@click.option("--no-source", is_flag=True, help="Text output: do not quote the line under each diagnostic (with a caret under its column).")
@click.option("--today", metavar="YYYY-MM-DD", hidden=True, help="Date the future-date rule compares with (for tests).")
@click.pass_context
def validate(
    ctx: click.Context,
    paths: tuple[str, ...],
    schema_path: str | None,
    no_schema: bool,
    schematron_path: str | None,
    registry_dir: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str,
    jobs: int | None,
    no_cache: bool,
    executor: str | None,
    max_schema_errors: int,
    no_source: bool,
    today: str | None,
) -> None:
    """Check TEI letters against the letter schema and the editorial rules.

    PATHS are files and folders (searched recursively for *.xml). Registry and edition files
    found there are checked too. Exit status: 0 clean (warnings allowed), 1 errors, 2 usage error.
    """
    from .console import diagnostics_json, file_progress, make_console, print_diagnostics, print_json
    from .validate import ValidateOptions, parse_codes, validate_paths

    if today is not None:
        try:
            datetime.date.fromisoformat(today)
        except ValueError:
            raise click.BadParameter("expected YYYY-MM-DD", param_hint="--today") from None
    options = ValidateOptions(
        schema_path=schema_path,
        use_schema=not no_schema,
        registry_dir=registry_dir,
        select=parse_codes(select),
        ignore=parse_codes(ignore),
        today=today or "",
        jobs=jobs,
        max_schema_errors=max_schema_errors,
        cache=not no_cache,
        executor=executor,
        schematron_path=schematron_path,
    )
    from .config import path_rules
    from .source import SourceLines

    sources = SourceLines() if fmt == "text" and not no_source else None
    console = make_console()
    with file_progress(make_console(stderr=True), fmt == "text") as progress:
        result = validate_paths(paths, options, sources=sources, progress=progress, per_file=path_rules(ctx.default_map))
    if fmt == "json":
        print_json(console, diagnostics_json(result.diagnostics, result.summary()))
    elif fmt == "sarif":
        from . import __version__
        from .ci_formats import sarif_log
        from .validate import rule_table

        print_json(console, sarif_log(result.diagnostics, rule_table(), __version__))
    elif fmt == "github":
        from .ci_formats import github_annotations

        console.out(github_annotations(result.diagnostics), highlight=False, end="")
    else:
        print_diagnostics(console, result.diagnostics, result.summary(), sources)
    ctx.exit(result.exit_code)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="A table for people or JSON.")
def rules(fmt: str) -> None:
    """List every diagnostic code: the checks and rules of validate, and the codes export and link report."""
    from .console import make_console, print_json, print_rule_table, rules_json
    from .validate import rule_table

    console = make_console()
    if fmt == "json":
        print_json(console, rules_json(rule_table()))
    else:
        print_rule_table(console, rule_table())


@cli.command("config")
def config_cmd() -> None:
    """Print the settings in force: the file found ([tool.trotsky-tei] in pyproject.toml, or trotsky-tei.toml, in this
    folder or the nearest above it) and each setting's value and origin. Options on the command line win over them."""
    from rich.table import Table
    from rich.text import Text

    from .config import describe, find_config
    from .console import make_console

    found = find_config()
    console = make_console()
    console.print(Text(f"settings from {found[0]}" if found else "no settings file (pyproject.toml [tool.trotsky-tei] or trotsky-tei.toml)"))
    table = Table(show_header=True)
    for col in ("setting", "value", "from"):
        table.add_column(col, overflow="fold")
    for key, value, where in describe(found):
        table.add_row(Text(key), Text(value), Text(where))
    console.print(table)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Tables for people or JSON.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, metavar="N", help="Correspondents and unlinked names shown.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Read the letters in N processes (default: all cores).")
def stats(paths: tuple[str, ...], fmt: str, top: int, jobs: int | None) -> None:
    """What the letters hold: letters per year and per correspondent, the share of names linked and of letters
    with a call number, the names most often left unlinked."""
    import json

    from .console import diagnostic_text, make_console, print_json
    from .stats import corpus_stats, stats_tables

    result = corpus_stats(list(paths), jobs=jobs, top=top)
    console = make_console()
    if fmt == "json":
        print_json(console, json.dumps(result.as_dict(), indent=2, ensure_ascii=True))
    else:
        for table in stats_tables(result):
            console.print(table)
    errors = make_console(stderr=True)
    for d in result.diagnostics:
        errors.print(diagnostic_text(d), soft_wrap=True)


@cli.command("new")
@click.option("--date", required=True, metavar="YYYY-MM-DD", help="The letter's date (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--from", "sender", required=True, metavar="ID", help="The sender: a person's (or organisation's) registry id.")
@click.option("--to", "recipient", required=True, metavar="ID", help="The addressee: a registry id.")
@click.option("--place", default="", metavar="ID", help="Where it was written: a place's registry id.")
@click.option("--archive", default="", metavar="ID", help="The repository that holds it: its registry id.")
@click.option("--collection", default="", metavar="CALLNUMBER", help="The collection (default: the repository's only one).")
@click.option("--item", default="", metavar="N", help="The item number in the collection.")
@click.option("--lang", default="", metavar="TAG", help="The letter's language (default: the edition's).")
@click.option("--corpus", "corpus_dir", default="corpus", show_default=True, type=click.Path(file_okay=False), help="The corpus folder (with registry/ and edition.xml).")
@click.option("-o", "--output", "out", metavar="FILE", help="Where to write it (default: CORPUS/letters/DATE-FROM-to-TO.xml); never over an existing file.")
def new_cmd(date: str, sender: str, recipient: str, place: str, archive: str, collection: str, item: str, lang: str,
            corpus_dir: str, out: str | None) -> None:
    """Write a letter skeleton that validates clean: correspondents, place and archive from the registry, publisher
    and licence from edition.xml, comments where the text and the credits go."""
    from pathlib import Path

    from .new import NewLetter, write_new

    path = write_new(Path(corpus_dir), NewLetter(date, sender, recipient, place, archive, collection, item, lang),
                     Path(out) if out else None)
    click.echo(f"wrote {path}; check it with: trotsky-tei validate {path}", err=True)


# --- link / index -----------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--registry", "registry_dir", metavar="DIR", help="Registry folder (default: <corpus root>/registry for each file).")
@click.option("--write", is_flag=True, help="Add @ref where the match is unambiguous; every other byte stays as it was.")
@click.option("--dry-run", is_flag=True, help="Show what --write would change as a unified diff; write nothing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Tables for people or JSON.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Link in N processes (default: all cores).")
@click.option("-v", "--verbose", is_flag=True, help="A table of every name of every letter (by default only the problems and the summary).")
@click.option("--no-source", is_flag=True, help="Table output: do not quote the line under each problem (with a caret under its column).")
@click.pass_context
def link(
    ctx: click.Context, paths: tuple[str, ...], registry_dir: str | None, write: bool, dry_run: bool, fmt: str, jobs: int | None,
    verbose: bool, no_source: bool,
) -> None:
    """Link every name in letters (persName, placeName, orgName, typed rs) to the registry.

    PATHS are files and folders (searched recursively for *.xml; registry and edition files are skipped).
    Exit status: 0 every name resolves, 1 unlinked, ambiguous, unknown or broken names remain (or an
    unresolved correspondent), 2 usage error.
    """
    from pathlib import Path

    from .console import file_progress, make_console, print_json
    from .errors import UsageError, has_errors
    from .link import link_paths, summary
    from .link_output import link_json, print_link_report
    from .source import SourceLines

    if registry_dir is not None and not Path(registry_dir).is_dir():
        raise UsageError(f"--registry {registry_dir}: not a folder")
    sources = SourceLines() if fmt == "table" and not no_source else None
    with file_progress(make_console(stderr=True), fmt == "table") as progress:
        reports, diags = link_paths(paths, registry=registry_dir, write=write and not dry_run, dry_run=dry_run, jobs=jobs,
                                    sources=sources, progress=progress)
    if sources is not None and write and not dry_run:
        for report in reports:
            if report.changed:  # written: its lines are no longer those the pass read
                sources.drop(report.path)
    all_diags = [*diags, *(d for r in reports for d in r.diagnostics)]
    counts = summary(reports)
    counts["errors"] += sum(1 for d in diags if d.severity.value == "error")
    console = make_console()
    if fmt == "json":
        print_json(console, link_json(reports, all_diags, counts))
    else:
        print_link_report(console, reports, all_diags, counts, show_diff=dry_run, verbose=verbose, sources=sources)
    ctx.exit(1 if has_errors(all_diags) else 0)


@cli.command("index")
@click.argument("paths", nargs=-1, required=True)
@click.option("--registry", "registry_dir", metavar="DIR", help="Registry folder (default: <corpus root>/registry of the first path).")
@click.option("--what", type=click.Choice(["all", "correspondents", "concordance"]), default="all", show_default=True, help="Which register to show (csv needs one).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Rich tables, JSON or CSV.")
@click.pass_context
def index_cmd(ctx: click.Context, paths: tuple[str, ...], registry_dir: str | None, what: str, fmt: str) -> None:
    """The register of correspondents (letters sent, received, mentioned) and the call-number concordance.

    Exit status: 0, or 1 when a file could not be read (it is reported and the others are indexed).
    """
    from pathlib import Path

    from .console import diagnostic_text, make_console, print_json
    from .errors import UsageError, has_errors
    from .index import index_paths, print_index, to_csv, to_json

    if registry_dir is not None and not Path(registry_dir).is_dir():
        raise UsageError(f"--registry {registry_dir}: not a folder")
    if fmt == "csv" and what == "all":
        raise UsageError("--format csv writes one table: add --what correspondents or --what concordance")
    index = index_paths(paths, registry_dir)
    err = make_console(stderr=True)
    for d in index.diagnostics:
        err.print(diagnostic_text(d), soft_wrap=True)
    console = make_console()
    if fmt == "json":
        print_json(console, to_json(index, what))
    elif fmt == "csv":
        click.echo(to_csv(index, what), nl=False)
    else:
        print_index(console, index, what)
    ctx.exit(1 if has_errors(index.diagnostics) else 0)


# --- export / build ---------------------------------------------------------------------------------


@cli.group()
def export() -> None:
    """Export letters to other formats (cmif, html, text, epub)."""


@export.command("cmif")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, metavar="FILE", help="The CMIF file to write.")
@click.option("--registry", "registry_dir", metavar="DIR", help="Registry folder (default: <corpus root>/registry of the first path).")
@click.option("--base-url", metavar="URL", help="The web edition's base URL; each correspDesc/@ref is <URL>letters/<id>.html (default: edition.xml's idno type=\"URL\"; none: no @ref).")
@click.option("--url", "file_url", metavar="URL", help="Where the CMIF file is published (idno type=\"url\"; default: <base URL><file name>, else the file name).")
@click.option("--date", metavar="YYYY-MM-DD", help="The file's date (default: the edition's date, else SOURCE_DATE_EPOCH, else today).")
@click.option("--licence", metavar="URL", help="The CMIF file's Creative Commons licence, e.g. https://creativecommons.org/licenses/by/4.0/ (default: edition.xml's licence if it is a CC URL; without either nothing is written, exit 1).")
@click.pass_context
def export_cmif_cmd(
    ctx: click.Context, paths: tuple[str, ...], out: str, registry_dir: str | None, base_url: str | None,
    file_url: str | None, date: str | None, licence: str | None,
) -> None:
    """Write a CMIF 1.1 file (correspSearch): one correspDesc per letter, authority URIs, W3C dates.

    CMIF requires a Creative Commons licence: the edition's (edition.xml) or --licence; none is ever assumed.
    """
    import re
    from pathlib import Path

    from .console import diagnostic_text, make_console
    from .errors import UsageError, has_errors
    from .render.cmif import CmifOptions, cc_licence, export_cmif, refused

    if registry_dir is not None and not Path(registry_dir).is_dir():
        raise UsageError(f"--registry {registry_dir}: not a folder")
    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise UsageError(f"--base-url {base_url}: not an http(s) URL")
    if date is not None and not re.fullmatch(r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?", date):
        raise UsageError(f"--date {date}: not a W3C date (YYYY, YYYY-MM or YYYY-MM-DD)")
    if licence is not None and cc_licence(licence) is None:
        raise UsageError(f"--licence {licence}: not a Creative Commons licence URL (CMIF requires one), "
                         "e.g. https://creativecommons.org/licenses/by/4.0/")
    diags = export_cmif(list(paths), out, registry_dir=registry_dir, options=CmifOptions(base_url, file_url, date, licence))
    console = make_console(stderr=True)
    for d in diags:
        console.print(diagnostic_text(d), soft_wrap=True)
    if refused(diags):
        console.print("no CMIF file written: it needs a Creative Commons licence (TT721)")
    else:
        console.print(f"CMIF written to {out}")
    ctx.exit(1 if has_errors(diags) else 0)


def _check_lang(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    from .i18n import LANGUAGES, choose

    if not value:
        return ""
    if choose(value).code != value.strip().lower()[:2] or value.strip().lower()[:2] not in LANGUAGES:
        raise click.BadParameter(f"{value!r}: labels are provided in {', '.join(LANGUAGES)} (a region may follow: de-AT)")
    return value


_LANG_OPTION = click.option(
    "--lang", default=None, metavar="TAG", callback=_check_lang,
    help="The language of the labels and dates: en, de or fr (a region may follow, e.g. de-AT); default: edition.xml's language, else English.",
)

# export text (plain text, one file per letter)


@export.command("text")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, metavar="DIR", help="Folder for one .txt per letter, or - for standard output.")
@click.option("--width", type=click.IntRange(min=20), default=72, show_default=True, help="Wrap the text at this many characters.")
@click.option("--mode", type=click.Choice(["reading", "diplomatic"]), default="reading", show_default=True, help="Reading text (corrections, expansions) or the original readings.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Render in N processes (default: all cores).")
@_LANG_OPTION
@click.pass_context
def export_text_cmd(ctx: click.Context, paths: tuple[str, ...], out: str, width: int, mode: str, jobs: int | None, lang: str) -> None:
    """Write each letter as plain text: header, wrapped text with [n] note markers, notes, apparatus."""
    from .console import count, make_console
    from .errors import has_errors
    from .render.text import export_text

    written, stdout_text, diags = export_text(paths, out, width=width, mode=mode, jobs=jobs, lang=lang)  # type: ignore[arg-type]
    if out == "-":
        click.echo(stdout_text, nl=False)
    console = make_console(stderr=True)
    _print_render_diagnostics(console, list(diags))
    if out != "-":
        console.print(f"{count(len(written), 'letter')} written to {out}")
    ctx.exit(1 if has_errors(diags) else 0)


# export html / export epub / build (the web edition, the book, the whole pipeline)

_MODE_OPTION = click.option(
    "--mode", type=click.Choice(["reading", "diplomatic", "both"]), default="both", show_default=True,
    help="Reading text, diplomatic transcription, or both on each page with a switch that needs no JavaScript.",
)


def _print_render_diagnostics(console: Console, diags: Iterable[Diagnostic]) -> None:
    from .console import diagnostic_text

    for d in diags:
        console.print(diagnostic_text(d), soft_wrap=True)


def _finish_export(ctx: click.Context, data: EditionData, warns: Iterable[Diagnostic], done: str) -> None:
    """Print a whole-edition export's diagnostics and its one-line result on stderr; exit 1 if any is an error."""
    from .console import make_console
    from .errors import has_errors

    console = make_console(stderr=True)
    diags = [*data.diagnostics, *warns]
    _print_render_diagnostics(console, diags)
    console.print(done)
    ctx.exit(1 if has_errors(diags) else 0)


@export.command("html")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, metavar="DIR", help="Folder for the site (created; see --force).")
@_MODE_OPTION
@click.option("--templates", metavar="DIR", help="Folder with page templates (base.html, letter.html, …) or style.css / print.css overriding the bundled ones, file by file (default: <corpus root>/templates if present).")
@click.option("--force", is_flag=True, help="Write into a non-empty folder that trotsky-tei did not make.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Render letter pages in N processes (default: all cores).")
@_LANG_OPTION
@click.option("--no-search", is_flag=True, help="Leave out the search page and its index (made where trotsky-tei[search], Pagefind, is installed).")
@click.pass_context
def export_html(
    ctx: click.Context, paths: tuple[str, ...], out: str, mode: str, templates: str | None, force: bool, jobs: int | None, lang: str,
    no_search: bool,
) -> None:
    """Write a static HTML edition: index, letter pages, registers, concordance, about page."""
    from .console import count
    from .render.site import export_html as write_site

    data, written, warns = write_site(list(paths), out, mode=mode, templates=templates, force=force, jobs=jobs, lang=lang,
                                     search=False if no_search else None)
    _finish_export(ctx, data, warns, f"{count(len(data.letters), 'letter')}, {count(len(written), 'file')} written to {out}")


@export.command("epub")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, metavar="FILE", help="The .epub file to write.")
@click.option("--mode", type=click.Choice(["reading", "diplomatic"]), default="reading", show_default=True, help="Which text the chapters give.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Render chapters in N processes (default: all cores).")
@_LANG_OPTION
@click.pass_context
def export_epub_cmd(ctx: click.Context, paths: tuple[str, ...], out: str, mode: str, jobs: int | None, lang: str) -> None:
    """Write the letters as one EPUB 3 book (title page, contents, a chapter per letter, registers, colophon)."""
    from .console import count
    from .parallel import LocalExecutor
    from .render.epub import export_book

    data, warns = export_book(list(paths), out, mode=mode, executor=LocalExecutor(jobs), lang=lang)
    _finish_export(ctx, data, warns, f"{count(len(data.letters), 'letter')} written to {out}")


@export.command("pdf")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, metavar="FILE", help="The .pdf file to write.")
@click.option("--mode", type=click.Choice(["reading", "diplomatic"]), default="reading", show_default=True, help="Which text the book gives.")
@click.option("--paper", type=click.Choice(["a5", "a4", "letter"]), default="a5", show_default=True, help="The page size (A5: a trade book).")
@click.option("--font-size", type=click.FloatRange(6, 24), default=10.0, show_default=True, metavar="PT", help="The body text size in points (6 to 24).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Prepare the letters in N processes (default: all cores).")
@_LANG_OPTION
@click.pass_context
def export_pdf_cmd(ctx: click.Context, paths: tuple[str, ...], out: str, mode: str, paper: str, font_size: float, jobs: int | None,
                   lang: str) -> None:
    """Write the letters as one typeset PDF book (needs trotsky-tei[pdf]): title pages, contents with page numbers,
    the letters in date order with footnotes at the foot of the page and their apparatus, registers with page numbers."""
    from .console import count
    from .parallel import LocalExecutor
    from .render.pdf import PdfOptions, export_pdf

    data, warns = export_pdf(list(paths), out, options=PdfOptions(paper, font_size, mode), executor=LocalExecutor(jobs), lang=lang)
    _finish_export(ctx, data, warns, f"{count(len(data.letters), 'letter')} typeset in {out}")


@cli.command("build")
@click.argument("corpus", type=click.Path(file_okay=False))
@click.option("-o", "--output", "out", default="edition", show_default=True, metavar="DIR", help="Output folder.")
@click.option("--force", is_flag=True, help="Write into a non-empty folder that trotsky-tei did not make.")
@_MODE_OPTION
@click.option("--templates", metavar="DIR", help="Page templates overriding the bundled ones, file by file (default: <corpus>/templates if present).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Validate and render in N processes (default: all cores; 1: no worker processes).")
@click.option("--no-cache", "--full", "no_cache", is_flag=True, help="Render every letter again, even those unchanged since the last build into DIR.")
@click.option("--licence", metavar="URL", help="The CMIF file's Creative Commons licence when edition.xml states none (as export cmif --licence).")
@click.option("--executor", metavar="URL", help="Where the letters are processed: local (the default) or a Dask cluster, dask://HOST:PORT (needs trotsky-tei[dask]); the output is the same bytes.")
@click.option("--paper", type=click.Choice(["a5", "a4", "letter"]), default="a5", show_default=True, help="The PDF book's page size.")
@click.option("--font-size", type=click.FloatRange(6, 24), default=10.0, show_default=True, metavar="PT", help="The PDF book's body text size in points.")
@click.option("--no-pdf", is_flag=True, help="Leave the PDF book out (typesetting it is the slowest step; a PDF of an earlier build is removed).")
@click.option("--schema", "schema_path", metavar="FILE", help="Validate against this RELAX NG schema (.rng or .rnc) instead of the letter schema; tei_all: all of TEI P5 (bundled).")
@click.option("--no-schema", is_flag=True, help="Skip the schema; run the editorial rules only.")
@click.option("--schematron", "schematron_path", metavar="FILE", help="Also run the ISO Schematron rules of FILE on each file (as validate --schematron).")
@click.option("--select", multiple=True, metavar="CODES", help="Report only these validation codes or prefixes (as validate --select); repeatable.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these validation codes or prefixes (as validate --ignore); repeatable.")
@click.option("--watch", is_flag=True, help="After the build, build again whenever a file of the corpus changes (Ctrl-C ends it).")
@_LANG_OPTION
@click.option("--no-search", is_flag=True, help="Leave out the site's search page and index (made where trotsky-tei[search], Pagefind, is installed).")
@click.pass_context
def build_cmd(
    ctx: click.Context, corpus: str, out: str, force: bool, mode: str, templates: str | None, jobs: int | None,
    no_cache: bool, licence: str | None, executor: str | None, paper: str, font_size: float, no_pdf: bool,
    schema_path: str | None, no_schema: bool, schematron_path: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
    watch: bool, lang: str, no_search: bool,
) -> None:
    """Validate and link CORPUS, then write DIR/site/, DIR/text/, DIR/<title>.epub, DIR/<title>.pdf and DIR/cmif.xml.

    The edition is written even when there are errors; the exit status is then 1: an error in validation or in
    reading a letter, or no Creative Commons licence for the CMIF file (which is then not written). Warnings leave
    it at 0. A rebuild into the same DIR processes only the letters whose file or context changed
    (DIR/.trotsky-tei-cache/ records them).
    """
    from .build import build, summary_table
    from .console import make_console
    from .errors import UsageError
    from .letter_pass import CheckOptions
    from .render.cmif import cc_licence
    from .render.pdf import PdfOptions
    from .validate import parse_codes

    if licence is not None and cc_licence(licence) is None:
        raise UsageError(f"--licence {licence}: not a Creative Commons licence URL (CMIF requires one), "
                         "e.g. https://creativecommons.org/licenses/by/4.0/")
    from .config import path_rules

    console = make_console(stderr=True)
    per_file = path_rules(ctx.default_map)  # the settings' per-file-ignores/-select, after --select/--ignore

    def once(*, cache: bool = not no_cache, force: bool = force) -> int:
        result = build(
            corpus, out, console=console, force=force, jobs=jobs, mode=mode, templates=templates, cache=cache,
            licence=licence, executor=executor, pdf=None if no_pdf else PdfOptions(paper, font_size), lang=lang,
            search=False if no_search else None, per_file=per_file,
            check=CheckOptions(schema_path=schema_path, use_schema=not no_schema, select=parse_codes(select), ignore=parse_codes(ignore),
                               schematron_path=schematron_path),
        )
        if per_file:  # and the other steps' codes (render warnings)
            result.diagnostics = [d for d in result.diagnostics if per_file.wants(d.path, d.code)]
        _print_render_diagnostics(console, list(result.diagnostics))
        console.print(summary_table(result))
        return result.exit_code

    status = once()
    if watch:
        from pathlib import Path

        from .serve import interruptible
        from .serve import watch as watch_corpus

        console.print(f"watching {corpus} for changes (Ctrl-C ends it)")
        with contextlib.suppress(KeyboardInterrupt), interruptible():
            watch_corpus(Path(corpus), lambda: once(cache=True, force=True))
    ctx.exit(status)


@cli.command("serve")
@click.argument("corpus", type=click.Path(file_okay=False))
@click.option("-o", "--output", "out", metavar="DIR", help="Where to build (default: a temporary folder, removed at the end).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="The port on 127.0.0.1 (0: any free one).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Build in N processes (default: all cores).")
@_LANG_OPTION
def serve_cmd(corpus: str, out: str | None, port: int, jobs: int | None, lang: str) -> None:
    """Build CORPUS (without the PDF) and preview its site on http://127.0.0.1:PORT/ (this machine only), building
    again whenever a letter, the registry or the edition file changes; Ctrl-C ends it."""
    import tempfile
    from pathlib import Path

    from .build import build
    from .console import make_console
    from .serve import interruptible, serve_site, watch

    console = make_console(stderr=True)
    with interruptible(), tempfile.TemporaryDirectory(prefix="trotsky-tei-serve-") as tmp:
        target = Path(out) if out else Path(tmp) / "edition"

        def once() -> None:
            result = build(corpus, target, console=console, jobs=jobs, pdf=None, force=True, lang=lang)
            console.print(f"built: {len(result.outputs)} files, {result.errors} errors, {result.warnings} warnings")

        once()
        server = serve_site(target / "site", port)
        console.print(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C ends it)")
        try:
            watch(Path(corpus), once)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()


IO_ERROR = 3  # exit status of an I/O failure (disk full, permission denied, …), beside 0 clean, 1 problems, 2 usage
# an output path that names no usable place (a file where a folder must be, a folder where a file must be): usage
PATH_ERRORS = frozenset({errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ENOENT, errno.EEXIST})


# the cyclic garbage collector's thresholds for a run of the command: a pass keeps every letter's small results, and
# with CPython's defaults (700, 10, 10) the collector walks that whole heap again and again (at 10,000 letters a
# third of the CPU time of a rebuild, a tenth with these); what the letters' work leaves is freed by
# reference counting, not by the collector, so it still runs, seldom
GC_THRESHOLDS = (50_000, 20, 20)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; a `TeiError` is shown as one line and becomes its exit code."""
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        from .config import default_map, find_config

        settings = default_map(find_config())  # [tool.trotsky-tei] / trotsky-tei.toml; options on the line win
        rc = cli.main(args=argv, prog_name="trotsky-tei", standalone_mode=False, default_map=settings)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except TeiError as exc:
        click.echo(f"trotsky-tei: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a path that cannot be used (exit 2), or an I/O failure: a full disk, … (exit 3)
        where = f" {exc.filename}:" if exc.filename else ""
        if exc.errno in PATH_ERRORS:
            click.echo(f"trotsky-tei: error:{where} {exc.strerror or exc}", err=True)
            return 2
        click.echo(f"trotsky-tei: error: I/O error:{where} {exc.strerror or exc}", err=True)
        return IO_ERROR
    except Exception as exc:  # a bug of ours: one clear line, never a traceback (TROTSKY_TEI_DEBUG=1 shows it)
        if os.environ.get("TROTSKY_TEI_DEBUG"):
            raise
        click.echo(
            f"trotsky-tei: internal error: {type(exc).__name__}: {exc} (set TROTSKY_TEI_DEBUG=1 for details; "
            "please report it with the input that caused it)",
            err=True,
        )
        return 1
    return rc if isinstance(rc, int) else 0  # a command's `ctx.exit(n)` (or returned int) is the exit code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
