""".pre-commit-hooks.yaml: its command, run the way pre-commit runs it (the changed files appended), fails on a bad
letter and passes on a good one. (pre-commit itself is not run here: it would install the package from the network.)"""

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
