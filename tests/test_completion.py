"""Shell completion as docs/cli.md documents it: click's scripts for bash, zsh and fish, and answers to a Tab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "trotsky-tei"


def _run(env: dict[str, str]) -> str:
    proc = subprocess.run([str(BIN)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script(shell: str) -> None:
    if not BIN.is_file():
        pytest.skip(f"trotsky-tei is not installed in {BIN.parent}")
    assert "_TROTSKY_TEI_COMPLETE" in _run({"_TROTSKY_TEI_COMPLETE": f"{shell}_source"})


def test_completion_answers_commands_and_option_values() -> None:
    if not BIN.is_file():
        pytest.skip(f"trotsky-tei is not installed in {BIN.parent}")
    commands = _run({"_TROTSKY_TEI_COMPLETE": "bash_complete", "COMP_WORDS": "trotsky-tei va", "COMP_CWORD": "1"})
    assert commands.split() == ["plain,validate"]
    values = _run({"_TROTSKY_TEI_COMPLETE": "bash_complete", "COMP_WORDS": "trotsky-tei validate --format s", "COMP_CWORD": "3"})
    assert values.split() == ["plain,sarif"]
