""".pre-commit-hooks.yaml: its command, run the way pre-commit runs it (the changed files appended), fails on a bad
letter and passes on a good one; and pre-commit itself, on commits in a corpus repository (it builds the hook's
virtualenv and pip-installs this checkout with its dependencies from PyPI: skipped without git or network)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from _sitekit import FIXTURE

from trotsky_tei.cli import main

HOOKS = Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml"


def _field(name: str) -> str:
    match = re.search(rf"^\s+{name}: (.+)$", HOOKS.read_text(encoding="utf-8"), flags=re.M)
    assert match, name
    return match.group(1).strip()


def test_the_hook_fails_on_a_bad_letter_and_passes_on_a_good_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = shlex.split(_field("entry"))
    assert entry[0] == "trotsky-tei" and _field("files") == r"\.xml$" and _field("pass_filenames") == "true"
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    monkeypatch.chdir(corpus)
    good = "letters/1929-05-10-overstraeten-to-trotsky.xml"
    assert main([*entry[1:], good]) == 0
    bad = Path("letters/1929-05-10-overstraeten-to-trotsky.xml")
    bad.write_text(bad.read_text(encoding="utf-8").replace('when="1929-05-10"', 'when="1929-05-32"', 1), encoding="utf-8")
    assert main([*entry[1:], str(bad)]) == 1


# --- pre-commit itself --------------------------------------------------------------------------------------------

REPO = HOOKS.parent


def _git(*args: str, cwd: Path) -> str:
    import subprocess

    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip()


def _needs() -> str:
    """Why the pre-commit test cannot run here ("" if it can): it needs git, pre-commit (the test extra) and PyPI."""
    import importlib.util
    import socket

    if shutil.which("git") is None:
        return "git is not installed"
    if importlib.util.find_spec("pre_commit") is None:
        return "pre-commit is not installed (pip install -e '.[test]')"
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        return "no network: pre-commit installs the hook's package and its dependencies from PyPI"
    return ""


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PRE_COMMIT_HOME for the module: the hook's virtualenv is built once (pip install of this checkout and its
    dependencies), and each `git commit` after that reuses it, as on an editor's machine."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.timeout(600)
def test_pre_commit_runs_the_hook_on_commits(tmp_path: Path, pre_commit_home: Path) -> None:
    """A corpus repository whose .pre-commit-config.yaml points at this checkout (repo: its path, rev: its HEAD
    commit, so what is tested is what is committed): `git commit` of a good letter passes the hook, of a bad one
    fails with the diagnostic in pre-commit's output, and the bad letter is not committed."""
    import os
    import subprocess
    import sys
    import time

    why = _needs()
    if why:
        pytest.skip(why)
    head = _git("rev-parse", "HEAD", cwd=REPO)
    if not _git("ls-tree", "HEAD", ".pre-commit-hooks.yaml", cwd=REPO):
        pytest.skip("HEAD has no .pre-commit-hooks.yaml (pre-commit takes the hook from the commit)")
    repo = tmp_path / "edition"
    shutil.copytree(FIXTURE, repo / "corpus")
    (repo / "corpus" / "letters" / "1929-04-30-trotsky-to-overstraeten.xml").unlink()  # its deliberate hostile link
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: trotsky-tei-validate\n", encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "GIT_AUTHOR_NAME": "Editor",
           "GIT_AUTHOR_EMAIL": "editor@example.org", "GIT_COMMITTER_NAME": "Editor",
           "GIT_COMMITTER_EMAIL": "editor@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "TROTSKY_TEI_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=repo, env=env, capture_output=True, text=True, timeout=540)

    assert run("git", "init", "-q", "-b", "main").returncode == 0
    assert run(sys.executable, "-m", "pre_commit", "install").returncode == 0
    assert run("git", "add", ".pre-commit-config.yaml").returncode == 0
    start = time.monotonic()
    first = run("git", "add", "corpus")
    good = run("git", "commit", "-q", "-m", "the letters")  # the hook's environment is built here (first use)
    took = time.monotonic() - start
    assert first.returncode == 0
    assert good.returncode == 0, good.stdout + good.stderr
    assert "trotsky-tei validate" in good.stdout + good.stderr and "Passed" in good.stdout + good.stderr
    print(f"pre-commit: first commit (the hook's virtualenv built, this checkout pip-installed) took {took:.0f} s")

    letter = repo / "corpus" / "letters" / "1929-05-10-overstraeten-to-trotsky.xml"
    letter.write_text(letter.read_text(encoding="utf-8").replace('when="1929-05-10"', 'when="1929-05-32"', 1), encoding="utf-8")
    assert run("git", "add", str(letter)).returncode == 0
    start = time.monotonic()
    bad = run("git", "commit", "-q", "-m", "a bad date")
    again = time.monotonic() - start
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert "Failed" in output
    assert re.search(r"corpus/letters/1929-05-10-overstraeten-to-trotsky\.xml:\d+:\d+: error TT301 invalid-date", output), output
    assert len(run("git", "log", "--oneline").stdout.splitlines()) == 1  # one commit: the bad letter was not committed
    print(f"pre-commit: the second commit (environment reused) took {again:.1f} s")
