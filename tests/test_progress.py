"""Per-file progress bars of validate and link: on an interactive terminal they advance as each letter's results
come back from the pass (on stderr, gone at the end); nothing on a non-terminal or with a machine format."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from trotsky_tei import console as console_module
from trotsky_tei.cli import main

FIXTURE = Path(__file__).parent / "data" / "site_corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(FIXTURE, dst)
    return dst


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich's own switches: a terminal (TTY_COMPATIBLE) that is interactive (TTY_INTERACTIVE); every advance drawn."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    monkeypatch.setattr(console_module, "PROGRESS_INTERVAL", 0.0)


def _counts(err: str) -> list[tuple[int, int]]:
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
    return [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+)", plain)]


@pytest.mark.parametrize("command", [["validate", "--no-cache"], ["link"]])
def test_the_bar_advances_per_file_on_a_terminal(command: list[str], corpus: Path, terminal: None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    main([*command, "--jobs", "1", str(corpus)])
    out, err = capsys.readouterr()
    seen = _counts(err)
    total = 8  # every file found: 3 letters, and the registry and edition files (done at once: no task of their own)
    assert seen and all(t == total for _, t in seen), seen
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == total and len(set(done)) >= 3, done  # it advanced, one file at a time
    assert "files" in err
    assert "/8" not in out  # the bar is on stderr, never in the report


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_no_bar_with_a_machine_format(fmt: str, corpus: Path, terminal: None, capsys: pytest.CaptureFixture[str]) -> None:
    main(["validate", "--no-cache", "--jobs", "1", "--format", fmt, str(corpus)])
    assert capsys.readouterr().err == ""
    main(["link", "--jobs", "1", "--format", "json", str(corpus)])
    assert capsys.readouterr().err == ""


def test_no_bar_on_a_non_terminal(corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setattr(console_module, "PROGRESS_INTERVAL", 0.0)
    for command in (["validate", "--no-cache"], ["link"]):
        main([*command, "--jobs", "1", str(corpus)])
        out, err = capsys.readouterr()
        assert err == "" and "\x1b" not in out


def test_a_terminal_that_is_not_interactive_gets_no_bar(corpus: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # e.g. FORCE_COLOR in a CI log: colours, but no animation
    monkeypatch.setenv("TTY_INTERACTIVE", "0")
    main(["validate", "--no-cache", "--jobs", "1", str(corpus)])
    assert capsys.readouterr().err == ""
