"""The `trotsky-tei` command line: parses options, calls the library, prints. No logic of its own."""

from __future__ import annotations

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
def validate(paths: tuple[str, ...]) -> None:
    """Check TEI letters against the letter schema and the editorial rules."""
    raise click.ClickException("not implemented yet")


# --- link / index -----------------------------------------------------------------------------------


# --- export / build ---------------------------------------------------------------------------------


@cli.group()
def export() -> None:
    """Export letters to other formats (cmif, html, text, epub)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; a `TeiError` is shown as one line and becomes its exit code."""
    try:
        cli.main(args=argv, prog_name="trotsky-tei", standalone_mode=False)
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
    ctx_rc = 0
    return ctx_rc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
