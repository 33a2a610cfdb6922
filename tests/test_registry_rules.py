"""Registry rules TT602 (unused entry) and TT603 (authority id shape), on the link fixture corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from trotsky_tei.registry import load_registry
from trotsky_tei.rules import RuleContext, all_rules
from trotsky_tei.rules.registry import AUTHORITY_SHAPES
from trotsky_tei.validate import ValidateOptions, validate_paths
from trotsky_tei.xmlfile import parse_file

FIXTURE = Path(__file__).resolve().parent / "data" / "link" / "corpus"


def check(code: str, path: Path) -> list[tuple[int, str]]:
    registry, _ = load_registry(FIXTURE / "registry")
    parsed = parse_file(path)
    assert parsed.tree is not None
    ctx = RuleContext(str(path), parsed.tree, "registry", registry)
    (r,) = [r for r in all_rules() if r.code == code]
    return [(d.line, d.message) for d in r.check(ctx)]


def unused(corpus: Path, registry_file: str) -> list[tuple[int, str]]:
    """TT602 on one registry file, from a validation of the whole corpus (the letters' results say what is used)."""
    result = validate_paths([str(corpus)], ValidateOptions(use_schema=False, select=("TT602",), jobs=1))
    return [(d.line, d.message) for d in result.diagnostics if Path(d.path).name == registry_file]


def test_unused_registry_entries_are_warnings() -> None:
    found = unused(FIXTURE, "persons.xml")
    assert [line for line, _ in found] == [8, 9, 11]  # marx, eleanor-marx, unused-person; trotsky etc. are used
    assert "'unused-person'" in found[2][1]
    (r,) = [r for r in all_rules() if r.code == "TT602"]
    assert r.severity.value == "warning"


def test_unused_entries_are_not_reported_without_letters() -> None:
    """Checked alone, a registry file has no letters to say what is used: TT602 says nothing rather than guess."""
    assert check("TT602", FIXTURE / "registry" / "persons.xml") == []
    result = validate_paths([str(FIXTURE / "registry")], ValidateOptions(use_schema=False, select=("TT602",), jobs=1))
    assert result.diagnostics == []


def test_bad_authority_id() -> None:
    assert check("TT603", FIXTURE / "registry" / "persons.xml") == [(11, "VIAF id '12x4' is not VIAF digits")]
    assert check("TT603", FIXTURE / "registry" / "orgs.xml") == []


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("viaf", ["49228757", "https://viaf.org/viaf/49228757"], ["12x4", "0123", ""]),
        ("gnd", ["118578537", "2024379-3", "4027343-1", "https://d-nb.info/gnd/118578537"], ["11857853", "abc"]),
        ("wikidata", ["Q33391", "http://www.wikidata.org/entity/Q9061"], ["33391", "Q0", "q33391"]),
        ("geonames", ["2802361", "https://www.geonames.org/2802361/"], ["28a"]),
        ("isni", ["0000000121032683", "0000 0001 2103 2683", "000000012103268X"], ["000000012103268", "0000-0001-2103-2683"]),
    ],
)
def test_shapes(kind: str, good: list[str], bad: list[str]) -> None:
    pattern = AUTHORITY_SHAPES[kind][1]
    assert all(pattern.fullmatch(v) for v in good)
    assert not any(pattern.fullmatch(v) for v in bad)


def test_entry_reached_through_a_used_entry_counts_as_used() -> None:
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    found = [m for _, m in unused(corpus, "places.xml")]
    # Cambridge (MA) is named by no letter, but Houghton Library (used by the 1929 letter) points to it
    assert not any("cambridge-ma" in m for m in found)
