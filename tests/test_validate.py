"""`trotsky-tei validate` and `trotsky-tei rules`: exit codes, output formats, --select/--ignore, --jobs, caps."""

from __future__ import annotations

import json
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from trotsky_tei.cli import main
from trotsky_tei.console import print_diagnostics
from trotsky_tei.errors import SchemaError, UsageError
from trotsky_tei.validate import (
    ValidateOptions,
    parse_codes,
    rule_table,
    validate_paths,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = Path(__file__).parent / "data"
RULES = DATA / "rules"
GOOD = RULES / "letters" / "good.xml"
TODAY = "2026-06-30"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    rc, out, _err = run(capsys, "validate", "--format", "json", "--today", TODAY, *args)
    return rc, json.loads(out)


def test_the_corpus_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    corpus = REPO / "corpus"
    if not any(corpus.glob("letters/*.xml")):
        pytest.skip("no corpus letters yet")
    rc, out, err = run(capsys, "validate", str(corpus))
    assert (rc, err) == (0, ""), out
    assert " 0 errors" in out.strip().splitlines()[-1] or out.strip().endswith("checked: no problems"), out


def test_good_letter_is_clean_with_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, str(GOOD))
    assert rc == 0
    assert doc["diagnostics"] == []
    assert doc["summary"] == {"files": 1, "errors": 0, "warnings": 0, "infos": 0, "not_shown": 0}


def test_json_document_shape(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, "--no-schema", str(RULES))
    assert rc == 1
    assert list(doc) == ["version", "files", "summary", "diagnostics"]
    assert doc["version"] == 1
    assert doc["files"] == doc["summary"]["files"] == len(list(RULES.rglob("*.xml")))
    assert doc["summary"]["errors"] == len(doc["diagnostics"]) > 0
    for d in doc["diagnostics"]:
        assert list(d) == ["path", "line", "column", "severity", "code", "name", "message"]
        assert isinstance(d["line"], int) and isinstance(d["column"], int)
        assert d["severity"] in ("error", "warning", "info")
    paths = [d["path"] for d in doc["diagnostics"]]
    assert paths == sorted(paths), "diagnostics are grouped by file in input (sorted) order"


def test_text_output_is_compiler_style_and_not_wrapped(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = run(capsys, "validate", "--no-schema", "--today", TODAY, str(RULES / "letters" / "tt302-date-range.xml"))
    assert rc == 1
    lines = out.strip().splitlines()
    path = RULES / "letters" / "tt302-date-range.xml"
    assert lines[0] == f"{path}:57:1: error TT302 date-range: @notBefore='1930-01-01' is after @notAfter='1929-12-31'"
    # the line quoted under it, a caret under the column
    assert lines[1] == '   57 |         <p><date notBefore="1930-01-01" notAfter="1929-12-31">reversed</date>,</p> <!-- expect TT302 -->'
    assert lines[2] == "      | ^"
    assert lines[3] == f"{path}:58:1: error TT302 date-range: @from='1935' is after @to='1929'"
    assert lines[-1] == "1 file checked: 2 errors, 0 warnings"
    rc, plain, _err = run(capsys, "validate", "--no-source", "--no-schema", "--today", TODAY, str(path))
    assert plain.strip().splitlines()[:2] == [lines[0], lines[3]]  # --no-source: one line per diagnostic


def test_printer_on_an_injected_narrow_console() -> None:
    result = validate_paths([str(RULES)], ValidateOptions(use_schema=False, today=TODAY, jobs=1, select=("TT501",)))
    console = Console(file=StringIO(), width=40, color_system=None)
    print_diagnostics(console, result.diagnostics, result.summary())
    text = console.file.getvalue()  # type: ignore[attr-defined]
    path = RULES / "letters" / "tt501-incomplete-msidentifier.xml"
    assert f"{path}:16:1: error TT501 incomplete-msidentifier: msIdentifier lacks an idno (with text)\n" in text
    assert text.endswith("14 files checked: 1 error, 0 warnings\n")


@pytest.mark.parametrize(
    "args, codes",
    [
        (["--select", "TT3"], {"TT301", "TT302", "TT303"}),
        (["--select", "TT301,TT302"], {"TT301", "TT302"}),
        (["--select", "TT301", "--select", "tt401"], {"TT301", "TT401"}),
        (["--select", "TT3", "--ignore", "TT303"], {"TT301", "TT302"}),
        (["--ignore", "TT2,TT3,TT4"], {"TT501"}),
    ],
)
def test_select_and_ignore(capsys: pytest.CaptureFixture[str], args: list[str], codes: set[str]) -> None:
    rc, doc = run_json(capsys, "--no-schema", *args, str(RULES / "letters"))
    assert rc == 1
    assert {d["code"] for d in doc["diagnostics"]} == codes


def test_ignoring_every_problem_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, "--no-schema", "--ignore", "TT2,TT3,TT4,TT5", str(RULES / "letters"))
    assert (rc, doc["diagnostics"]) == (0, [])


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "TT9"],
        ["--ignore", "XX1"],
        ["--schema", "/nonexistent/schema.rng"],
        ["--jobs", "0"],
        ["--format", "yaml"],
        ["--no-such-option"],
        ["--today", "yesterday"],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    rc, out, err = run(capsys, "validate", *args, str(GOOD))
    assert rc == 2
    assert err.strip() and "Traceback" not in err
    assert out == ""


def test_no_paths_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _out, err = run(capsys, "validate")
    assert rc == 2 and "PATHS" in err


def test_a_schema_that_is_not_relax_ng_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.rng"
    bad.write_text("<grammar xmlns='http://relaxng.org/ns/structure/1.0'><start><nonsense/></start></grammar>")
    rc, out, err = run(capsys, "validate", "--schema", str(bad), str(GOOD))
    assert rc == 2 and str(bad) in err and out == ""
    with pytest.raises(SchemaError):
        validate_paths([str(GOOD)], ValidateOptions(schema_path=str(bad)))


def test_another_schema_is_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    only_tei = tmp_path / "only-tei.rng"
    only_tei.write_text(
        "<grammar xmlns='http://relaxng.org/ns/structure/1.0' ns='http://www.tei-c.org/ns/1.0'>"
        "<start><element name='TEI'><empty/></element></start></grammar>"
    )
    rc, doc = run_json(capsys, "--schema", str(only_tei), "--select", "TT1", str(GOOD))
    assert rc == 1
    assert {d["code"] for d in doc["diagnostics"]} == {"TT100"}


def test_parse_codes() -> None:
    assert parse_codes(["tt3, TT201", "TT3"]) == ("TT3", "TT201")
    assert parse_codes([]) == ()
    with pytest.raises(UsageError):
        parse_codes(["TT2,TT999"])


def test_parallel_output_equals_serial(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(DATA / "bad"), str(RULES), str(DATA / "nope.xml")]
    serial = run_json(capsys, "--jobs", "1", *paths)
    parallel = run_json(capsys, "--jobs", "2", *paths)
    assert serial == parallel
    assert serial[1]["files"] > 10


def test_schema_diagnostics_are_capped_per_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    bad_paras = "\n".join(f'        <p><biblScope unit="page">{i}</biblScope></p>' for i in range(30))
    letter = tmp_path / "letters" / "many.xml"
    letter.parent.mkdir()
    letter.write_text(text.replace("      </div>\n    </body>", bad_paras + "\n      </div>\n    </body>"), encoding="utf-8")
    rc, doc = run_json(capsys, "--select", "TT1", "--max-schema-errors", "0", str(letter))
    total = len(doc["diagnostics"])
    assert total >= 30 and doc["summary"]["not_shown"] == 0
    rc, doc = run_json(capsys, "--select", "TT1", "--max-schema-errors", "5", str(letter))
    assert rc == 1
    diags = doc["diagnostics"]
    assert len(diags) == 6
    assert [d["severity"] for d in diags[:5]] == ["error"] * 5
    assert diags[-1]["severity"] == "info" and diags[-1]["message"].startswith(f"{total - 5} more schema diagnostics")
    assert doc["summary"]["errors"] == total and doc["summary"]["not_shown"] == total - 5


def test_registry_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    letter = tmp_path / "good.xml"
    letter.write_bytes(GOOD.read_bytes())
    rc, doc = run_json(capsys, "--no-schema", "--select", "TT202,TT403", str(letter))
    assert rc == 1
    assert {d["code"] for d in doc["diagnostics"]} == {"TT202"}  # TT403 stays silent where TT202 already spoke
    assert all("use --registry DIR" in d["message"] for d in doc["diagnostics"])
    rc, doc = run_json(capsys, "--no-schema", "--select", "TT202,TT403", "--registry", str(RULES / "registry"), str(letter))
    assert (rc, doc["diagnostics"]) == (0, [])


def test_real_letters_from_other_editions(capsys: pytest.CaptureFixture[str]) -> None:
    letters = SHARED / "data" / "letters"
    if not letters.is_dir():
        pytest.skip("../shared/data/letters is not here")
    rc, doc = run_json(capsys, str(letters))
    assert rc == 1
    assert doc["files"] == len(list(letters.rglob("*.xml")))
    codes = {d["code"] for d in doc["diagnostics"]}
    assert "TT099" not in codes, "a check crashed"
    assert "TT100" in codes
    per_file: dict[str, int] = {}
    for d in doc["diagnostics"]:
        if d["code"] == "TT100" and d["severity"] == "error":
            per_file[d["path"]] = per_file.get(d["path"], 0) + 1
    assert max(per_file.values()) <= 20
    assert doc["summary"]["not_shown"] > 0


def test_rules_command_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = run(capsys, "rules")
    assert rc == 0
    for row in rule_table():
        assert row["code"] in out
    rc, out, _err = run(capsys, "rules", "--format", "json")
    doc = json.loads(out)
    assert doc["version"] == 1
    codes = [r["code"] for r in doc["rules"]]
    assert codes == sorted(codes)
    assert {"TT000", "TT100", "TT201", "TT202", "TT203", "TT301", "TT302", "TT303", "TT401", "TT402", "TT403", "TT501"} <= set(codes)
    for r in doc["rules"]:
        assert set(r) == {"code", "name", "source", "applies_to", "doc"} and r["doc"]


# --- checks across files, registry paths, --registry, codes of other commands ------------------------------


def _corpus_copy(tmp_path: Path) -> Path:
    corpus = REPO / "corpus"
    if not any(corpus.glob("letters/*.xml")):
        pytest.skip("no corpus letters yet")
    shutil.copytree(corpus, tmp_path / "c")
    return tmp_path / "c"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_two_letters_with_one_id_are_tt204_on_the_later_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    corpus = _corpus_copy(tmp_path)
    letter = sorted((corpus / "letters").glob("*.xml"))[0]
    shutil.copy(letter, corpus / "letters" / "zz-copy.xml")
    shutil.copy(letter, corpus / "letters" / "zzz-copy.xml")
    monkeypatch.chdir(tmp_path)
    rc, doc = run_json(capsys, "--jobs", jobs, "c")
    assert rc == 1
    dups = [d for d in doc["diagnostics"] if d["code"] == "TT204"]
    first = f"c/letters/{letter.name}"
    assert [(d["path"], d["line"], d["severity"], d["name"]) for d in dups] == [
        ("c/letters/zz-copy.xml", 2, "error", "duplicate-letter-id"),
        ("c/letters/zzz-copy.xml", 2, "error", "duplicate-letter-id"),
    ]
    assert all(f"already the id of {first}:2" in d["message"] for d in dups)
    assert {d["code"] for d in doc["diagnostics"]} == {"TT204"}
    rc, doc = run_json(capsys, "--jobs", jobs, "--ignore", "TT204", "c")
    assert (rc, doc["diagnostics"]) == (0, [])


def test_a_letter_named_twice_is_not_a_duplicate(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, "--select", "TT204", str(GOOD), str(GOOD), str(RULES / "letters"))
    assert (rc, doc["diagnostics"]) == (0, [])


def test_a_repeated_registry_id_is_reported_once_with_the_path_as_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus_copy(tmp_path)
    persons = corpus / "registry" / "persons.xml"
    ids = re.findall(r'<person xml:id="([^"]+)"', persons.read_text(encoding="utf-8"))
    persons.write_text(persons.read_text(encoding="utf-8").replace(f'xml:id="{ids[-1]}"', f'xml:id="{ids[-2]}"'), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rc, doc = run_json(capsys, "--select", "TT2,TT6", "c")
    assert rc == 1
    repeats = [d for d in doc["diagnostics"] if ids[-2] in d["message"] and d["code"] in ("TT201", "TT601")]
    assert [(d["code"], d["path"]) for d in repeats] == [("TT201", "c/registry/persons.xml")]
    # with only the letters checked, the registry is still loaded: TT601 reports the repeat, with a relative path
    rc, doc = run_json(capsys, "--select", "TT601", "c/letters")
    assert [(d["code"], d["path"]) for d in doc["diagnostics"]] == [("TT601", "c/registry/persons.xml")]
    assert "already used at c/registry/persons.xml:" in doc["diagnostics"][0]["message"]


def test_an_id_in_two_registry_files_is_tt601_with_relative_paths(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus_copy(tmp_path)
    persons, places = corpus / "registry" / "persons.xml", corpus / "registry" / "places.xml"
    person = re.findall(r'<person xml:id="([^"]+)"', persons.read_text(encoding="utf-8"))[0]
    text = places.read_text(encoding="utf-8")
    place = re.findall(r'<place xml:id="([^"]+)"', text)[0]
    places.write_text(text.replace(f'xml:id="{place}"', f'xml:id="{person}"', 1), encoding="utf-8")
    monkeypatch.chdir(corpus / "letters")
    rc, doc = run_json(capsys, "--select", "TT201,TT601", "..")
    assert rc == 1
    assert [(d["code"], d["path"]) for d in doc["diagnostics"]] == [("TT601", "../registry/places.xml")]
    assert f"'{person}' is already used at ../registry/persons.xml:" in doc["diagnostics"][0]["message"]


def test_a_registry_option_that_is_not_a_folder_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc, out, err = run(capsys, "validate", "--registry", str(tmp_path / "nope"), str(GOOD))
    assert (rc, out) == (2, "")
    assert f"--registry {tmp_path / 'nope'}: not a folder" in err
    with pytest.raises(UsageError):
        validate_paths([str(GOOD)], ValidateOptions(registry_dir=str(GOOD)))


def test_rules_lists_the_codes_of_other_commands(capsys: pytest.CaptureFixture[str]) -> None:
    rows = {r["code"]: r for r in rule_table()}
    assert {"TT204", "TT701", "TT702", "TT720", "TT721", "TT722", *(f"TT80{i}" for i in range(1, 9))} <= set(rows)
    assert rows["TT805"]["source"] == "link" and rows["TT805"]["name"] == "unlinked-name"
    assert rows["TT701"]["source"] == "export" and rows["TT720"]["source"] == "cmif"
    assert rows["TT204"]["source"] == "corpus" and rows["TT204"]["applies_to"] == ["letter"]
    rc, doc = run_json(capsys, "--select", "TT805", str(GOOD))
    assert (rc, doc["diagnostics"]) == (0, [])


def test_every_code_the_package_prints_is_listed_by_rules() -> None:
    """A code literal anywhere in trotsky_tei/ ("TT805") must be in `trotsky-tei rules` (with the name used there)."""
    rows = {r["code"]: r["name"] for r in rule_table()}
    for source in sorted((REPO / "trotsky_tei").rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        for code in re.findall(r'"(TT\d{3})"', text):
            assert code in rows, f"{source.relative_to(REPO)} uses {code}, which `trotsky-tei rules` does not list"
        for code, name in re.findall(r'"(TT\d{3})",\s*"([a-z-]+)"', text):
            assert name in (rows[code], "more-schema-errors"), f"{source.relative_to(REPO)}: {code} is named {name!r}, rules says {rows[code]!r}"
