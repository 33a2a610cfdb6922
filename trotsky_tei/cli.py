"""The `trotsky-tei` command line: parses options, calls the library, prints. No logic of its own."""

from __future__ import annotations

import datetime
import sys

import click

from . import __version__
from .errors import TeiError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trotsky-tei")
def cli() -> None:
    """Validate, link and export TEI-XML critical editions of letters."""


# --- validate / rules -------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--schema", "schema_path", metavar="FILE", help="RELAX NG schema (.rng or .rnc) instead of the bundled letter schema.")
@click.option("--no-schema", is_flag=True, help="Skip the schema; run the editorial rules only.")
@click.option("--registry", "registry_dir", metavar="DIR", help="Registry folder (default: <corpus root>/registry for each file).")
@click.option("--select", multiple=True, metavar="CODES", help="Report only these codes or prefixes (TT2, TT301,TT302); repeatable.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these codes or prefixes; repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output for people (text) or for CI (json).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Check files in N processes (default: all cores).")
@click.option("--max-schema-errors", type=click.IntRange(min=0), default=20, show_default=True, metavar="N", help="Schema diagnostics shown per file (0: all).")
@click.option("--today", metavar="YYYY-MM-DD", hidden=True, help="Date the future-date rule compares with (for tests).")
@click.pass_context
def validate(
    ctx: click.Context,
    paths: tuple[str, ...],
    schema_path: str | None,
    no_schema: bool,
    registry_dir: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str,
    jobs: int | None,
    max_schema_errors: int,
    today: str | None,
) -> None:
    """Check TEI letters against the letter schema and the editorial rules.

    PATHS are files and folders (searched recursively for *.xml). Registry and edition files
    found there are checked too. Exit status: 0 clean (warnings allowed), 1 errors, 2 usage error.
    """
    from .console import diagnostics_json, make_console, print_diagnostics, print_json
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
    )
    result = validate_paths(paths, options)
    console = make_console()
    if fmt == "json":
        print_json(console, diagnostics_json(result.diagnostics, result.summary()))
    else:
        print_diagnostics(console, result.diagnostics, result.summary())
    ctx.exit(result.exit_code)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="A table for people or JSON.")
def rules(fmt: str) -> None:
    """List the editorial rules and built-in checks with their codes."""
    from .console import make_console, print_json, print_rule_table, rules_json
    from .validate import rule_table

    console = make_console()
    if fmt == "json":
        print_json(console, rules_json(rule_table()))
    else:
        print_rule_table(console, rule_table())


# --- link / index -----------------------------------------------------------------------------------


# --- export / build ---------------------------------------------------------------------------------


@cli.group()
def export() -> None:
    """Export letters to other formats (cmif, html, text, epub)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; a `TeiError` is shown as one line and becomes its exit code."""
    try:
        rc = cli.main(args=argv, prog_name="trotsky-tei", standalone_mode=False)
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
    return rc if isinstance(rc, int) else 0  # a command's `ctx.exit(n)` (or returned int) is the exit code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
