"""CLI basics for every command (whoever added it): help text, --version, and docs/cli.md matching --help.

After changing a command, regenerate the reference: `.venv/bin/python tests/test_cli.py --update`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from trotsky_tei import __version__
from trotsky_tei.cli import cli, main

REPO = Path(__file__).resolve().parents[1]
CLI_DOC = REPO / "docs" / "cli.md"
BEGIN = "<!-- BEGIN GENERATED: `python tests/test_cli.py --update` rewrites everything up to END -->"
END = "<!-- END GENERATED -->"
WIDTH = 80


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under `group` (itself first), depth-first in name order; hidden ones left out."""
    out: list[tuple[tuple[str, ...], click.Command]] = [(prefix, group)]
    ctx = click.Context(group, info_name="trotsky-tei")
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, (*prefix, name)))
        else:
            out.append(((*prefix, name), cmd))
    return out


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="trotsky-tei", terminal_width=WIDTH)
    assert result.exit_code == 0, result.output
    return result.output


def generated_reference() -> str:
    """The generated part of docs/cli.md: one section per command with its exact --help output."""
    parts = [BEGIN, ""]
    for path, _cmd in commands():
        title = " ".join(("trotsky-tei", *path))
        parts += [f"## `{title}`", "", "```text", help_text(path).rstrip("\n"), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def current_reference() -> str:
    text = CLI_DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return ""
    return text[text.index(BEGIN) : text.index(END) + len(END)]


ALL = commands()


@pytest.mark.parametrize("path, cmd", ALL, ids=[" ".join(p) or "trotsky-tei" for p, _ in ALL])
def test_every_command_and_option_has_help(path: tuple[str, ...], cmd: click.Command) -> None:
    assert (cmd.help or cmd.short_help or "").strip(), f"{' '.join(path)} has no help text"
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help text"
    assert help_text(path).startswith(f"Usage: trotsky-tei {' '.join(path)}".rstrip())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"trotsky-tei, version {__version__}\n"


def test_python_dash_m_and_unknown_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "trotsky_tei", "no-such-command"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "No such command" in proc.stderr and "Traceback" not in proc.stderr


def test_docs_cli_reference_matches_help() -> None:
    assert CLI_DOC.is_file(), "docs/cli.md is missing"
    assert current_reference() == generated_reference(), (
        "docs/cli.md is out of date with --help; run: .venv/bin/python tests/test_cli.py --update"
    )


def _update() -> None:
    text = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.is_file() else "# Command-line reference\n\n"
    old = current_reference()
    new = generated_reference()
    text = text.replace(old, new) if old else text.rstrip("\n") + "\n\n" + new + "\n"
    CLI_DOC.write_text(text, encoding="utf-8")
    print(f"updated {CLI_DOC}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        _update()
    else:
        print(__doc__)
