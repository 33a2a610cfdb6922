"""Call numbers: the written forms, normalisation, finding-aid links, TT502/TT503 and the msIdentifier fix."""

from __future__ import annotations

import csv
import difflib
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from trotsky_tei import msident
from trotsky_tei.callnumbers import (
    find_references,
    fits_form,
    parse_reference,
    repository_forms,
    split_item,
    structured_call_numbers,
    written_collection,
)
from trotsky_tei.registry import load_registry
from trotsky_tei.rules import RuleContext, all_rules
from trotsky_tei.xmlfile import NS, parse_file

DATA = Path(__file__).parent / "data" / "callnumbers"
AID = "https://id.lib.harvard.edu/ead/hou00301/catalog"


@pytest.fixture(scope="module")
def registry():
    reg, diags = load_registry(DATA / "registry")
    assert diags == []
    return reg


@pytest.fixture(scope="module")
def forms(registry):
    return repository_forms(registry)


def test_registry_exposes_houghton(registry):
    h = registry.get("houghton")
    assert h is not None and h.kind == "repository"
    assert h.fact("institution") == "Harvard University"
    assert h.fact("settlement") == "Cambridge, MA"
    assert h.fact("callNumberPattern") == r"[0-9]+[a-z]?\*?(-[0-9]+[a-z]?\*?)?"
    [coll] = h.collections
    assert (coll.call_number, coll.variants, coll.title, coll.date, coll.finding_aid) == (
        "MS Russ 13.1", ("bMS Russ 13.1",), "Leon Trotsky exile papers", "1929–1940", AID,
    )


# text -> (repository id, collection, idno, item, item_end, asterisk, location)
FORMS = [
    ("(10708) Houghton Library", ("houghton", None, "10708", "10708", None, False, None)),
    ("Houghton 10708", ("houghton", None, "10708", "10708", None, False, None)),
    ("MS Russ 13.1 (10708)", ("houghton", "MS Russ 13.1", "10708", "10708", None, False, None)),
    ("bMS Russ 13.1 (10708)", ("houghton", "MS Russ 13.1", "10708", "10708", None, False, "bMS")),
    ("Houghton 780a", ("houghton", None, "780a", "780a", None, False, None)),
    ("MS Russ 13.1 (780a)", ("houghton", "MS Russ 13.1", "780a", "780a", None, False, None)),
    ("Houghton Library (7710*)", ("houghton", None, "7710*", "7710", None, True, None)),
    ("MS Russ 13.1 (7710-7740)", ("houghton", "MS Russ 13.1", "7710-7740", "7710", "7740", False, None)),
    ("bMS Russ 13.1 (7710–7740)", ("houghton", "MS Russ 13.1", "7710-7740", "7710", "7740", False, "bMS")),
    ("(7710-7740) Houghton Library", ("houghton", None, "7710-7740", "7710", "7740", False, None)),
    ("Houghton Library, bMS Russ 13.1 (10708).", ("houghton", "MS Russ 13.1", "10708", "10708", None, False, "bMS")),
    ("houghton  library (0780)", ("houghton", None, "0780", "0780", None, False, None)),
    ("IISG 123", ("iisg", None, "123", "123", None, False, None)),
]


@pytest.mark.parametrize("text,expected", FORMS, ids=[t for t, _ in FORMS])
def test_forms(forms, text, expected):
    cn = parse_reference(text, forms)
    assert cn is not None
    assert (cn.repository_id, cn.collection, cn.idno, cn.item, cn.item_end, cn.asterisk, cn.location) == expected
    assert isinstance(cn.item, str)


UNKNOWN = [
    "Bodleian 10708",  # a repository the registry does not know
    "MS Russ 13.1",  # no item
    "Houghton",
    "(abc) Houghton Library",
    "Houghton 10708x9",
    "Houghton (10708",  # unbalanced bracket
    "MS Russ 99 (10708)",  # a collection Houghton does not declare, and no repository named
    "10708",
    "",
    "Houghton 10708 and Houghton 10709",  # two references are not one
    "MS Russ 13.1 (1929–1940)",  # the collection's dates, not an item range
]


@pytest.mark.parametrize("text", UNKNOWN)
def test_unknown_forms_give_none(forms, text):
    assert parse_reference(text, forms) is None


def test_reference_inside_prose(forms):
    found = find_references("Letter to W. van Overstraeten dictated in French (10708) Houghton Library)", forms)
    assert [f.text for f in found] == ["(10708) Houghton Library"]
    assert found[0].call_number.url == AID


def test_finding_aid_and_display(forms):
    cn = parse_reference("bMS Russ 13.1 (10708)", forms)
    assert cn is not None and cn.url == AID
    assert written_collection(cn) == "bMS Russ 13.1"
    assert parse_reference("IISG 123", forms).url is None  # no template declared: no link


def test_split_item():
    assert split_item("7710*-7740") == ("7710", "7740", True)
    assert split_item("780a") == ("780a", None, False)
    assert split_item("7710 – 7740") == ("7710", "7740", False)


def test_fits_form(forms):
    houghton = next(f for f in forms if f.id == "houghton")
    assert all(fits_form(x, houghton) for x in ("10708", "780a", "7710*", "7710-7740", "7710–7740"))
    assert not any(fits_form(x, houghton) for x in ("folder 10708/3", "A12", "10708-", ""))
    iisg = next(f for f in forms if f.id == "iisg")
    assert fits_form("anything at all", iisg)  # no declared pattern, nothing to check


ITEMS = st.builds(
    lambda n, letter, star: f"{n}{letter}{'*' if star else ''}",
    st.integers(min_value=0, max_value=99999).map(str),
    st.sampled_from(["", "a", "b", "z"]),
    st.booleans(),
)
TEMPLATES = ["({}) Houghton Library", "Houghton {}", "MS Russ 13.1 ({})", "bMS Russ 13.1 ({})", "Houghton Library ({})"]


@settings(max_examples=150, deadline=None)
@given(item=ITEMS, end=st.none() | ITEMS, template=st.sampled_from(TEMPLATES))
def test_every_form_round_trips(forms, item, end, template):
    idno = f"{item}-{end}" if end else item
    cn = parse_reference(template.format(idno), forms)
    assert cn is not None
    assert cn.idno == idno  # item numbers stay strings, exactly as written
    assert cn.asterisk == ("*" in idno)
    assert (cn.item, cn.item_end) == (item.rstrip("*"), end.rstrip("*") if end else None)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ,.;()-"), max_size=60))
def test_prose_without_digits_has_no_reference(forms, text):
    assert find_references(text, forms) == []


def _rule_diags(registry, path: Path, code: str):
    rule = next(r for r in all_rules() if r.code == code)
    return rule.check(RuleContext(str(path), parse_file(path).tree, "letter", registry))


def test_tt502_call_number_form(registry):
    diags = _rule_diags(registry, DATA / "letters" / "bad-form.xml", "TT502")
    assert [(d.code, d.line) for d in diags] == [("TT502", 15), ("TT502", 16)]
    assert "MS Russ 99" in diags[0].message and "folder 10708/3" in diags[1].message
    assert _rule_diags(registry, DATA / "letters" / "structured.xml", "TT502") == []


def test_tt503_prose_only(registry):
    diags = _rule_diags(registry, DATA / "letters" / "prose-only.xml", "TT503")
    assert [(d.code, d.line, str(d.severity)) for d in diags] == [("TT503", 24, "warning")]
    # the structured letter cites the same item in its note: nothing to report
    assert _rule_diags(registry, DATA / "letters" / "structured.xml", "TT503") == []


def test_structured_call_number(registry):
    tree = parse_file(DATA / "letters" / "structured.xml").tree
    [(cn, _el)] = structured_call_numbers(tree, registry)
    assert (cn.repository_id, cn.collection, cn.idno, cn.url) == ("houghton", "MS Russ 13.1", "10708", AID)


def _added_lines(before: bytes, after: bytes) -> list[str]:
    diff = list(difflib.ndiff(before.decode().splitlines(), after.decode().splitlines()))
    assert not any(line.startswith("- ") for line in diff), "a line of the original changed"
    return [line[2:] for line in diff if line.startswith("+ ")]


def test_msidentifier_is_inserted_and_nothing_else_changes(registry, tmp_path):
    path = tmp_path / "prose-only.xml"
    shutil.copy(DATA / "letters" / "prose-only.xml", path)
    data = path.read_bytes()
    tree = parse_file(path).tree
    [fix] = msident.propose(tree, registry, data)
    assert fix.action == "add-msDesc" and fix.target_line == 12 and fix.line == 24
    out = msident.apply_fixes(data, tree, [fix])
    assert _added_lines(data, out) == [
        "        <msDesc>",
        "          <msIdentifier>",
        "            <settlement>Cambridge, MA</settlement>",
        "            <institution>Harvard University</institution>",
        '            <repository ref="arc:houghton">Houghton Library</repository>',
        "            <idno>10708</idno>",
        "          </msIdentifier>",
        "        </msDesc>",
    ]
    # byte for byte: removing the inserted block gives the original back
    assert out.replace(fix.edit.fragment.encode(), b"", 1) == data
    new = etree.fromstring(out)
    assert new.findtext(".//tei:msIdentifier/tei:idno", namespaces=NS) == "10708"
    # once inserted, nothing is left to do
    assert msident.propose(etree.ElementTree(new), registry, out) == []


def test_incomplete_msidentifier_is_completed(registry):
    path = DATA / "letters" / "incomplete.xml"
    data = path.read_bytes()
    tree = parse_file(path).tree
    [fix] = msident.propose(tree, registry, data)
    assert fix.action == "complete-msIdentifier"
    out = msident.apply_fixes(data, tree, [fix])
    assert _added_lines(data, out) == [
        "            <collection>bMS Russ 13.1</collection>",
        "            <idno>7710*</idno>",
    ]


def test_no_fix_where_structured(registry):
    path = DATA / "letters" / "structured.xml"
    assert msident.propose(parse_file(path).tree, registry, path.read_bytes()) == []


def test_link_write_adds_msidentifier(tmp_path, capsys):
    """`link --write` inserts the msIdentifier losslessly; a second run finds nothing to do and changes nothing."""
    from trotsky_tei.cli import main

    (tmp_path / "letters").mkdir()
    shutil.copytree(DATA / "registry", tmp_path / "registry")
    path = tmp_path / "letters" / "prose-only.xml"
    shutil.copy(DATA / "letters" / "prose-only.xml", path)
    before = path.read_bytes()
    assert main(["link", str(path), "--dry-run"]) == 0
    assert "warning TT503" in capsys.readouterr().out and path.read_bytes() == before
    assert main(["link", str(path), "--write"]) == 0
    after = path.read_bytes()
    assert len(_added_lines(before, after)) == 8
    capsys.readouterr()
    assert main(["link", str(path), "--write"]) == 0
    assert path.read_bytes() == after
    assert "TT503" not in capsys.readouterr().out


LETTER_1929 = Path(__file__).resolve().parents[1] / "corpus" / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"


def test_inferred_parts_are_carried_and_said(registry):
    """`<collection cert="medium">` (the editors infer the collection) is never shown as plain fact."""
    from trotsky_tei.callnumbers import certainty_note, with_certainty
    from trotsky_tei.model import CallNumber

    tree = parse_file(LETTER_1929).tree
    [(cn, _el)] = structured_call_numbers(tree, registry)
    assert cn.collection == "MS Russ 13.1" and cn.certainty == (("collection", "medium"),) and cn.cert is None
    assert certainty_note(cn) == "collection inferred, certainty: medium"
    plain = CallNumber("Houghton Library", "10708", "MS Russ 13.1")  # as a reader without the registry gives it
    assert with_certainty((plain,), tree)[0].certainty == (("collection", "medium"),)
    assert certainty_note(replace(cn, certainty=(("collection", "low"), ("idno", "low"), ("repository", "high")))) == (
        "collection and item number inferred, certainty: low; repository inferred, certainty: high")
    assert certainty_note(replace(cn, certainty=())) is None
    # the structured fixture states everything as fact: nothing to say
    [(sure, _el)] = structured_call_numbers(parse_file(DATA / "letters" / "structured.xml").tree, registry)
    assert sure.certainty == () and certainty_note(sure) is None


def test_inferred_collection_in_text_html_and_index(tmp_path, capsys):
    from trotsky_tei.cli import main

    assert main(["export", "text", str(LETTER_1929), "-o", "-"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Call number: Houghton Library, MS Russ 13.1 (10708) (collection inferred, certainty: medium)" in out
    assert main(["export", "html", str(LETTER_1929), "-o", str(tmp_path / "site"), "--jobs", "1"]) == 0
    page = (tmp_path / "site" / "letters" / "letter-1929-04-30-trotsky-to-van-overstraeten.html").read_text(encoding="utf-8")
    assert '(10708)</a> <span class="certainty">(collection inferred, certainty: medium)</span>' in page
    capsys.readouterr()
    assert main(["index", str(LETTER_1929), "--format", "json", "--what", "concordance"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["concordance"]
    assert entry["certainty"] == {"collection": "medium"}
    assert main(["index", str(LETTER_1929), "--format", "csv", "--what", "concordance"]) == 0
    [row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["certainty"] == "collection inferred, certainty: medium"
    assert main(["index", str(LETTER_1929), "--what", "concordance"]) == 0
    table = capsys.readouterr().out  # the cell is folded over lines
    assert "inferred" in table and "certainty:" in table and "medium" in table
