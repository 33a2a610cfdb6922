"""Editorial rules: each fixture marks the lines where a rule must fire with `<!-- expect CODE -->`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trotsky_tei.errors import Severity
from trotsky_tei.reader import read
from trotsky_tei.registry import load_registry
from trotsky_tei.rules import RuleContext, all_rules
from trotsky_tei.rules.dates import bounds, check_w3c
from trotsky_tei.rules.pointers import (
    EXTERNAL,
    LOCAL,
    REGISTRY,
    UNDECLARED,
    UNRESOLVED,
    resolve,
)
from trotsky_tei.validate import ValidateOptions, validate_paths

DATA = Path(__file__).parent / "data" / "rules"
LETTERS = DATA / "letters"
TODAY = "2026-06-30"
# the codes of the rules in ids, pointers, dates, correspondence and archive (other engineers add more)
OUR_CODES = {"TT201", "TT202", "TT203", "TT301", "TT302", "TT303", "TT401", "TT402", "TT403", "TT501"}
FIXTURES = sorted(LETTERS.glob("*.xml"))


def expected(path: Path) -> set[tuple[str, int]]:
    """(code, line) for every `<!-- expect CODE -->` marker in a fixture."""
    out: set[tuple[str, int]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for code in re.findall(r"<!-- expect (TT\d{3}) -->", line):
            out.add((code, number))
    return out


def found(path: Path) -> list[tuple[str, int]]:
    result = validate_paths([str(path)], ValidateOptions(use_schema=False, today=TODAY, jobs=1))
    return [(d.code, d.line) for d in result.diagnostics if d.code in OUR_CODES]


def test_every_rule_has_a_failing_fixture() -> None:
    marked = {code for f in FIXTURES for code, _ in expected(f)}
    assert marked == OUR_CODES
    assert {r.code for r in all_rules()} >= OUR_CODES


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_rule_fires_exactly_on_marked_lines(fixture: Path) -> None:
    got = found(fixture)
    assert sorted(set(got)) == sorted(expected(fixture))
    assert len(got) == len(set(got)), f"a rule reported the same line twice: {got}"


def test_good_fixture_and_registry_are_clean() -> None:
    result = validate_paths([str(DATA)], ValidateOptions(use_schema=False, today=TODAY, jobs=1))
    clean = [str(DATA / "letters" / "good.xml")] + [str(p) for p in sorted((DATA / "registry").glob("*.xml"))]
    for path in clean:
        assert path in result.files
        assert [d for d in result.diagnostics if d.path == path] == []


def test_rule_metadata_is_complete() -> None:
    rules = all_rules()
    assert [r.code for r in rules] == sorted(r.code for r in rules)
    for r in rules:
        assert re.fullmatch(r"TT\d{3}", r.code)
        assert re.fullmatch(r"[a-z][a-z0-9-]+", r.name)
        assert r.doc and r.doc != r.name
        assert r.severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)


def test_messages_say_what_is_wrong() -> None:
    result = validate_paths([str(LETTERS)], ValidateOptions(use_schema=False, today=TODAY, jobs=1))
    messages = {d.message for d in result.diagnostics}
    assert "xml:id 'p1' is already used on line 54" in messages
    assert "@ref 'psn:prinkipo' (= ../registry/persons.xml#prinkipo): 'prinkipo' is in the registry's places.xml, not in persons.xml" in messages
    assert "@when='1929-02-30' is not a valid date: day 30 does not exist in February 1929" in messages
    assert "@notBefore='1930-01-01' is after @notAfter='1929-12-31'" in messages
    assert "@when='2999-01-01' is in the future (today is 2026-06-30)" in messages
    assert "msIdentifier lacks an idno (with text)" in messages


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["1929", "1929-04", "1929-04-30", "1928-02-29", "2000-02-29", "1929-04-30T10:15:00", "1929-04-30T10:15:00.5+02:00",
     "1929-04-30Z", "-0044-03-15", "12345", "--04-30", "--04", "---30", "10:15:00"],
)
def test_valid_w3c_dates(value: str) -> None:
    assert check_w3c(value) is None


@pytest.mark.parametrize(
    "value, why",
    [
        ("1929-02-29", "day 29 does not exist in February 1929"),
        ("1900-02-29", "day 29 does not exist in February 1900"),
        ("1929-04-31", "day 31 does not exist in April 1929"),
        ("1929-00", "month 00 does not exist"),
        ("0000", "year 0000 does not exist"),
        ("29", "expected a W3C date"),
        ("1929/04/30", "expected a W3C date"),
        ("1929-4-30", "expected a W3C date"),
        ("1929-04-30 ", "expected a W3C date"),
        ("1929-04-30T25:00:00", "expected a W3C date"),
        ("", "expected a W3C date"),
    ],
)
def test_invalid_w3c_dates(value: str, why: str) -> None:
    problem = check_w3c(value)
    assert problem is not None and problem.startswith(why)


def test_bounds_cover_the_period() -> None:
    assert bounds("1929") == ((1929, 1, 1), (1929, 12, 31))
    assert bounds("1928-02") == ((1928, 2, 1), (1928, 2, 29))
    assert bounds("1929-04-30T10:00:00") == ((1929, 4, 30), (1929, 4, 30))
    assert bounds("--04-30") is None


# --- pointer resolution ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_ctx() -> RuleContext:
    path = str(LETTERS / "good.xml")
    lf = read(path)
    assert lf.parsed.tree is not None
    registry, diags = load_registry(DATA / "registry")
    assert diags == []
    return RuleContext(path, lf.parsed.tree, "letter", registry, lf.letter, TODAY)


@pytest.mark.parametrize(
    "token, status",
    [
        ("#p1", LOCAL),
        ("#nothing", UNRESOLVED),
        ("psn:trotsky", REGISTRY),
        ("psn:nobody", UNRESOLVED),
        ("psn:", UNRESOLVED),
        ("plc:prinkipo", REGISTRY),
        ("psn:prinkipo", UNRESOLVED),
        ("wikidata:Q33391", EXTERNAL),
        ("viaf:123", UNDECLARED),
        ("https://example.org/x#y", EXTERNAL),
        ("mailto:a@example.org", EXTERNAL),
        ("urn:isbn:0451450523", EXTERNAL),
        ("good.xml#p1", LOCAL),
        ("../registry/persons.xml#trotsky", REGISTRY),
        ("../registry/persons.xml", "file"),
        ("../registry/nope.xml", UNRESOLVED),
    ],
)
def test_resolve(good_ctx: RuleContext, token: str, status: str) -> None:
    assert resolve(good_ctx, token).status == status


def test_authority_prefix_finds_the_registry_entry(good_ctx: RuleContext) -> None:
    res = resolve(good_ctx, "wikidata:Q33391")
    assert res.entity is not None and res.entity.id == "trotsky"


def test_no_registry_is_said_in_the_message(tmp_path: Path) -> None:
    letter = tmp_path / "letter.xml"
    letter.write_bytes((LETTERS / "good.xml").read_bytes())
    result = validate_paths([str(letter)], ValidateOptions(use_schema=False, today=TODAY, jobs=1, select=("TT202", "TT403")))
    messages = [d.message for d in result.diagnostics]
    assert messages and all("does not exist" in m or "use --registry" in m for m in messages)
    with_registry = validate_paths(
        [str(letter)],
        ValidateOptions(use_schema=False, today=TODAY, jobs=1, registry_dir=str(DATA / "registry"), select=("TT403",)),
    )
    assert with_registry.diagnostics == []
