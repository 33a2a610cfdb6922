"""per-file-ignores and per-file-select in the settings: globs relative to the settings file's folder, applied after
--select/--ignore, by validate and build; patterns are data (bounded, matched without a regular expression)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from _sitekit import FIXTURE

from trotsky_tei.cli import main
from trotsky_tei.pathrules import PathRule, PathRules, glob_match

LETTER = "1929-04-30-trotsky-to-overstraeten.xml"  # the fixture's letter with a TT203


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "corpus")
    drafts = tmp_path / "corpus" / "letters" / "drafts"
    drafts.mkdir()
    shutil.copy(tmp_path / "corpus" / "letters" / LETTER, drafts / "draft.xml")  # the same TT203, and a TT204
    (tmp_path / "deep").mkdir()
    monkeypatch.chdir(tmp_path / "deep")  # the settings are found above, and patterns are relative to them
    return tmp_path


def found(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, set[tuple[str, str]]]:
    rc = main(["validate", "--no-cache", "--jobs", "1", "--format", "json", *args])
    doc = json.loads(capsys.readouterr().out)
    return rc, {(Path(d["path"]).name, d["code"]) for d in doc["diagnostics"]}


def settings(project: Path, text: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.trotsky-tei]\n{text}", encoding="utf-8")


def test_per_file_ignores_apply_to_the_files_the_pattern_matches(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = str(project / "corpus")
    _rc, everything = found(capsys, corpus)
    assert {(LETTER, "TT203"), ("draft.xml", "TT203"), ("draft.xml", "TT204")} <= everything
    settings(project, '[tool.trotsky-tei.per-file-ignores]\n"corpus/letters/drafts/*.xml" = ["TT2"]\n')
    rc, some = found(capsys, corpus)
    assert some == everything - {("draft.xml", "TT203"), ("draft.xml", "TT204")}
    assert rc == 1  # the other letter's error is still there
    settings(project, '[tool.trotsky-tei.per-file-ignores]\n"**/letters/**" = ["TT203", "TT204"]\n')
    assert found(capsys, corpus) == (0, everything - {(LETTER, "TT203"), ("draft.xml", "TT203"), ("draft.xml", "TT204")})
    settings(project, '[tool.trotsky-tei.per-file-ignores]\n"draft.xml" = ["TT2"]\n')  # no "/": the name, anywhere
    assert found(capsys, corpus)[1] == some
    settings(project, '[tool.trotsky-tei.per-file-ignores]\n"letters/drafts/*.xml" = ["TT2"]\n')  # not below the settings
    assert found(capsys, corpus)[1] == everything


def test_per_file_select_and_the_order_with_the_options(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = str(project / "corpus")
    _rc, everything = found(capsys, corpus)
    settings(project, '[tool.trotsky-tei.per-file-select]\n"corpus/letters/drafts/**" = ["TT204"]\n')
    assert found(capsys, corpus)[1] == everything - {("draft.xml", "TT203")}
    # after --select/--ignore: what the options drop stays dropped, and a per-file ignore drops more
    assert found(capsys, "--ignore", "TT204", corpus)[1] == everything - {("draft.xml", "TT203"), ("draft.xml", "TT204")}
    settings(project, '[tool.trotsky-tei.per-file-ignores]\n"corpus/letters/drafts/*" = ["TT203"]\n')
    assert found(capsys, "--select", "TT203", corpus)[1] == {(LETTER, "TT203")}


def test_bad_per_file_settings_are_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = str(project / "corpus")
    for text, says in [
        ('per-file-ignores = ["TT2"]\n', "must be a table"),
        ('[tool.trotsky-tei.per-file-ignores]\n"*.xml" = "TT9"\n', "unknown code 'TT9'"),
        ('[tool.trotsky-tei.per-file-ignores]\n"*.xml" = [1]\n', "must name a list of codes"),
        (f'[tool.trotsky-tei.per-file-ignores]\n"{"*" * 400}" = ["TT2"]\n', "1 to 300 characters"),
    ]:
        settings(project, text)
        assert main(["validate", "--no-cache", corpus]) == 2, text
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, err


def test_config_shows_the_patterns(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table is not folded
    settings(project, '[tool.trotsky-tei.per-file-ignores]\n"corpus/letters/drafts/*.xml" = ["TT3", "TT204"]\n')
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "per-file-ignores" in out and "'corpus/letters/drafts/*.xml' = TT3, TT204" in out
    assert "per-file-select" in out


def test_build_applies_them(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = project / "corpus"
    settings(project, '[tool.trotsky-tei.per-file-ignores]\n"corpus/letters/**" = ["TT203", "TT204"]\n')
    status = main(["build", str(corpus), "-o", str(project / "edition"), "--jobs", "1", "--no-pdf", "--no-search"])
    err = capsys.readouterr().err
    assert "TT203" not in err and "TT204" not in err
    validate_row = next(line for line in err.splitlines() if "validate" in line)
    assert "errors" not in validate_row.split("│")[2], validate_row  # the step's status leaves them out too
    assert status == 0
    (project / "pyproject.toml").unlink()
    main(["build", str(corpus), "-o", str(project / "edition"), "--jobs", "1", "--no-pdf", "--no-search"])
    err = capsys.readouterr().err
    assert "TT203" in err and "TT204" in err


@pytest.mark.parametrize(
    "pattern, path, matches",
    [
        ("*.xml", "letters/a.xml", True),  # no "/": the name
        ("letters/*.xml", "letters/a.xml", True),
        ("letters/*.xml", "letters/drafts/a.xml", False),  # * stays within a folder
        ("letters/**/*.xml", "letters/a.xml", True),  # ** is any number of folders, none too
        ("letters/**/*.xml", "letters/x/y/a.xml", True),
        ("**", "letters/a.xml", True),
        ("**/drafts/*", "corpus/letters/drafts/a.xml", True),
        ("letters/?.xml", "letters/a.xml", True),
        ("letters/?.xml", "letters/ab.xml", False),
        ("letters/[ab].xml", "letters/b.xml", True),
        ("letters/[!ab].xml", "letters/b.xml", False),
        ("letters/[a-c]*.xml", "letters/c1.xml", True),
        ("./letters/a.xml", "letters/a.xml", True),
        ("letters/a.xml", "letters/a.xmlx", False),
        ("letters/[.xml", "letters/[.xml", True),  # an unclosed class is a character
    ],
)
def test_glob_match(pattern: str, path: str, matches: bool) -> None:
    assert glob_match(pattern, path) is matches


def test_hostile_patterns_take_linear_time() -> None:
    start = time.perf_counter()
    assert not glob_match("/".join(["**"] * 100 + ["*a*a*a*a*a*a*a*a*a*a*b"]), "/".join(["x"] * 100 + ["a" * 200]))
    assert not glob_match("*" * 150 + "b", "a" * 5000)
    assert time.perf_counter() - start < 2


def test_a_path_outside_the_base_matches_nothing(tmp_path: Path) -> None:
    rules = PathRules((PathRule(str(tmp_path / "a"), "**", ("TT2",)),))
    assert not rules.wants(str(tmp_path / "a" / "x.xml"), "TT203")
    assert rules.wants(str(tmp_path / "b" / "x.xml"), "TT203")
    assert rules.wants(str(tmp_path / "a" / "x.xml"), "TT301")
