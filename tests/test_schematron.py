"""validate --schematron: ISO Schematron rules (XPath 2+, evaluated by elementpath) in the one pass, TT110–TT112."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from trotsky_tei.cli import main
from trotsky_tei.validate import ValidateOptions, validate_paths

DATA = Path(__file__).parent / "data" / "schematron"
SCH = DATA / "letters.sch"
BAD = DATA / "bad-letter.xml"
CLEAN = DATA / "clean-letter.xml"

EXPECTED = [
    (4, 7, "error", "TT110", "actions", "only sent and received actions here, not recieved"),
    (11, 11, "error", "TT110", "when-iso", "<date> @when='1929-4-30' is not YYYY, YYYY-MM or YYYY-MM-DD"),
    (11, 111, "warning", "TT111", "notes", "a note without @resp: who wrote it?"),
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[tuple[object, ...]]]:
    select = [] if "--select" in args else ["--select", "TT11"]  # only the Schematron codes, unless said otherwise
    rc = main(["validate", "--no-cache", "--format", "json", *select, *args])
    doc = json.loads(capsys.readouterr().out)
    return rc, [(d["line"], d["column"], d["severity"], d["code"], d["name"], d["message"]) for d in doc["diagnostics"]]


def test_a_letter_that_breaks_the_rules_gets_exactly_their_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = run(capsys, "--schematron", str(SCH), str(BAD))
    assert rc == 1
    assert found == EXPECTED


def test_the_text_output_and_a_clean_letter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--no-cache", "--schematron", str(SCH), str(BAD)]) == 1
    out = capsys.readouterr().out
    assert f"{BAD}:11:11: error TT110 when-iso: <date> @when='1929-4-30' is not YYYY, YYYY-MM or YYYY-MM-DD" in out
    rc, found = run(capsys, "--schematron", str(SCH), str(CLEAN))
    assert (rc, found) == (0, [])


def test_without_the_option_no_schematron_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, str(BAD)) == (0, [])


@pytest.mark.parametrize(
    ("args", "codes"),
    [(["--select", "TT110"], {"TT110"}), (["--ignore", "TT110"], {"TT111"}), (["--ignore", "TT11"], set())],
)
def test_select_and_ignore_apply_to_the_schematron_codes(
    capsys: pytest.CaptureFixture[str], args: list[str], codes: set[str]
) -> None:
    _, found = run(capsys, "--schematron", str(SCH), *args, str(BAD))
    assert {f[3] for f in found} == codes


def test_sarif_and_github_carry_them(capsys: pytest.CaptureFixture[str]) -> None:
    main(["validate", "--no-cache", "--select", "TT11", "--format", "github", "--schematron", str(SCH), str(BAD)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("::error file=") and ",line=11,col=11,title=TT110 when-iso::<date> @when=" in lines[1]
    assert lines[2].startswith("::warning ") and "title=TT111 notes" in lines[2]
    main(["validate", "--no-cache", "--select", "TT11", "--format", "sarif", "--schematron", str(SCH), str(BAD)])
    log = json.loads(capsys.readouterr().out)
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["TT110", "TT110", "TT111"]
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["TT110"]["name"] == "schematron-assert"
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 11, "startColumn": 11}


def _sch(tmp_path: Path, body: str, binding: str = "xslt2", name: str = "r.sch") -> Path:
    path = tmp_path / name
    path.write_text(f'<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="{binding}">'
                    f'<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>{body}</schema>', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("this is <not xml", "not well-formed XML"),
        ('<grammar xmlns="http://relaxng.org/ns/structure/1.0"/>', "not an ISO Schematron <schema>"),
        (None, "is not a valid XPath"),
        ("binding", "queryBinding 'exslt' is not supported"),
        ('<pattern><rule context="tei:p"><assert test="(((">x</assert></rule></pattern>', "is not a valid XPath"),
        ('<pattern><rule context="tei:p["><assert test="true()">x</assert></rule></pattern>', "is not a valid XPath"),
        ('<include href="other.sch"/>', "<include> is not supported"),
        ('<pattern abstract="true" id="a"/>', "abstract patterns"),
        ('<pattern><rule context="tei:p"><assert test="nofunction(.)">x</assert></rule></pattern>', "unknown function"),
        ('<pattern><rule context="tei:p"><assert test="undeclared:x">x</assert></rule></pattern>', "prefix 'undeclared' is not declared"),
        ('<xsl:key xmlns:xsl="http://www.w3.org/1999/XSL/Transform" name="k" match="x" use="y"/>', "<xsl:key> is not supported"),
        ('<pattern><rule context="tei:p"><let name="x"/></rule></pattern>', "<let> without @value"),
    ],
)
def test_an_unusable_schematron_is_a_usage_error_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, said: str
) -> None:
    if content is None:
        path = _sch(tmp_path, '<pattern><rule context="tei:date"><assert test="@when = ">x</assert></rule></pattern>')
    elif content == "binding":
        path = _sch(tmp_path, "", binding="exslt")
    elif content.startswith("<pattern") or content.startswith("<include") or content.startswith("<xsl"):
        path = _sch(tmp_path, content)
    else:
        path = tmp_path / "r.sch"
        path.write_text(content, encoding="utf-8")
    for jobs in ("1", "2"):
        assert main(["validate", "--no-cache", "--jobs", jobs, "--schematron", str(path), str(BAD), str(CLEAN)]) == 2
        captured = capsys.readouterr()
        assert said in captured.err and str(path) in captured.err, captured.err
        assert "Traceback" not in captured.err and captured.out == ""


def test_a_missing_schematron_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", "--schematron", str(tmp_path / "nope.sch"), str(BAD)]) == 2
    assert "schematron file not found" in capsys.readouterr().err


def test_an_expression_that_fails_on_a_document_is_tt112_and_reads_no_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _sch(tmp_path, '<pattern id="p"><rule context="tei:date[@when]">'
                          '<assert test="xs:date(@when) le current-date()">future</assert></rule>'
                          '<rule context="tei:note"><report test="doc(string(.))">read</report></rule></pattern>')
    letter = tmp_path / "l.xml"
    letter.write_text(BAD.read_text(encoding="utf-8").replace("<note>unattributed", "<note>/etc/passwd"), encoding="utf-8")
    rc, found = run(capsys, "--schematron", str(path), str(letter))
    assert rc == 1
    errors = [f for f in found if f[3] == "TT112"]
    # the cast fails on 1929-4-30 and on 1929 (not xs:date); the two doc() calls fail: no document is available
    assert [(f[0], f[4]) for f in errors] == [(11, "schematron-error")] * 4
    assert f"{path}:1: 'xs:date(@when) le current-date()' cannot be evaluated here" in errors[0][5]
    assert any("doc(string(.))" in f[5] for f in errors) and not any(f[3] == "TT111" for f in found)


def test_xpath1_binding_and_phases(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = ('<phase id="only-dates"><active pattern="d"/></phase>'
            '<pattern id="d"><rule context="tei:date"><assert test="string-length(@when) &gt;= 10">short</assert></rule></pattern>'
            '<pattern id="n"><rule context="tei:note"><report test="true()">note</report></rule></pattern>')
    path = _sch(tmp_path, body, binding="xslt")
    _, found = run(capsys, "--schematron", str(path), str(BAD))
    assert {f[4] for f in found} == {"d", "n"} and len(found) == 4  # two short dates, two notes
    path.write_text(path.read_text(encoding="utf-8").replace('queryBinding="xslt"', 'queryBinding="xslt" defaultPhase="only-dates"'))
    _, found = run(capsys, "--schematron", str(path), str(BAD))
    assert [(f[0], f[4], f[5]) for f in found] == [(11, "d", "short")] * 2


def test_the_cache_is_invalidated_when_the_schematron_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TROTSKY_TEI_CACHE_DIR", str(tmp_path / "cache"))
    sch = tmp_path / "rules.sch"
    shutil.copy(SCH, sch)
    options = ValidateOptions(jobs=1, cache=True, select=("TT11",), schematron_path=str(sch))
    first = validate_paths([str(BAD)], options)
    again = validate_paths([str(BAD)], options)
    assert (first.checked, again.checked) == (1, 0)
    assert again.diagnostics == first.diagnostics
    sch.write_text(sch.read_text(encoding="utf-8").replace("who wrote it?", "who wrote this note?"), encoding="utf-8")
    edited = validate_paths([str(BAD)], options)
    assert edited.checked == 1
    assert [d.message for d in edited.diagnostics][-1] == "a note without @resp: who wrote this note?"


def test_the_settings_key_is_relative_to_its_file_and_the_option_wins(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(SCH, tmp_path / "rules.sch")
    (tmp_path / "trotsky-tei.toml").write_text('schematron = "rules.sch"\n', encoding="utf-8")
    (tmp_path / "deep").mkdir()
    monkeypatch.chdir(tmp_path / "deep")
    _, found = run(capsys, str(BAD))
    assert found == EXPECTED
    other = _sch(tmp_path, '<pattern id="other"><rule context="tei:TEI"><report test="true()">seen</report></rule></pattern>', name="o.sch")
    _, found = run(capsys, "--schematron", str(other), str(BAD))
    assert [(f[0], f[4], f[5]) for f in found] == [(1, "other", "seen")]


def test_parallel_runs_give_the_same_diagnostics(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for i in range(12):
        shutil.copy(BAD if i % 3 else CLEAN, tmp_path / f"letter-{i:02}.xml")
    outputs = []
    for jobs in ("1", "2"):
        rc = main(["validate", "--no-cache", "--format", "json", "--jobs", jobs, "--select", "TT11", "--schematron", str(SCH), str(tmp_path)])
        outputs.append((rc, capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][1])["summary"]["errors"] == 16


def test_build_takes_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "letters").mkdir(parents=True)
    shutil.copy(BAD, corpus / "letters" / "bad.xml")
    rc = main(["build", str(corpus), "-o", str(tmp_path / "out"), "--no-pdf", "--no-search", "--jobs", "1",
               "--select", "TT11", "--schematron", str(SCH)])
    err = capsys.readouterr().err
    assert rc == 1 and "TT110 when-iso" in err and "TT111 notes" in err
