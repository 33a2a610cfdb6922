"""The settings file: [tool.trotsky-tei] in pyproject.toml or trotsky-tei.toml, found upwards from the current folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _sitekit import FIXTURE

from trotsky_tei.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "corpus")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")  # found in a folder above
    return tmp_path


def codes(capsys: pytest.CaptureFixture[str], *args: str) -> set[str]:
    main(["validate", "--no-cache", "--format", "json", *args])
    return {d["code"] for d in json.loads(capsys.readouterr().out)["diagnostics"]}


def test_settings_are_honoured_and_options_win(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = str(project / "corpus")
    everything = codes(capsys, corpus)
    assert any(c.startswith("TT2") for c in everything)
    (project / "pyproject.toml").write_text('[tool.trotsky-tei]\nignore = ["TT2"]\njobs = 1\n', encoding="utf-8")
    assert not any(c.startswith("TT2") for c in codes(capsys, corpus))
    assert any(c.startswith("TT2") for c in codes(capsys, "--ignore", "TT7", corpus))  # the option wins
    (project / "pyproject.toml").unlink()
    (project / "trotsky-tei.toml").write_text('select = ["TT2"]\n', encoding="utf-8")
    assert codes(capsys, corpus) and all(c.startswith("TT2") for c in codes(capsys, corpus))


def test_paths_are_relative_to_the_settings_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "trotsky-tei.toml").write_text('registry = "corpus/registry"\nselect = ["TT403"]\n', encoding="utf-8")
    letter = project / "corpus" / "letters" / "1929-04-30-trotsky-to-overstraeten.xml"
    lone = project / "lone.xml"
    shutil.copy(letter, lone)
    assert "TT403" not in codes(capsys, str(lone))  # the registry named in the settings resolves its correspondents


def test_an_unknown_setting_is_a_usage_error_and_config_shows_what_is_in_force(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "trotsky-tei.toml").write_text('selct = ["TT2"]\n', encoding="utf-8")
    assert main(["validate", str(project / "corpus")]) == 2
    assert "unknown setting selct" in capsys.readouterr().err
    (project / "trotsky-tei.toml").write_text('jobs = 1\n', encoding="utf-8")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "trotsky-tei.toml" in out and "jobs" in out
