"""CMIF export: valid against the CMIF RELAX NG schema, passes the four CMIF rules, deterministic bytes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree, isoschematron

from trotsky_tei.cli import main
from trotsky_tei.model import Edition
from trotsky_tei.render.cmif import source_id

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CMIF_DIR = SHARED / "data" / "schemas" / "cmif"
FIXTURE = Path(__file__).parent / "data" / "cmif"
CORPUS = ROOT / "corpus"
NS = {"t": "http://www.tei-c.org/ns/1.0"}
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def cmif_rule_violations(tree: etree._ElementTree) -> list[str]:
    """The four CMIF rules of cmif.sch, in Python (its queryBinding is xslt2, which lxml cannot run)."""
    root = tree.getroot()
    ids = {b.get("{http://www.w3.org/XML/1998/namespace}id") for b in root.iterfind(".//t:bibl", NS)}
    out: list[str] = []
    for cd in root.iterfind(".//t:correspDesc", NS):
        for kind in ("sent", "received"):
            if cd.find(f"t:correspAction[@type='{kind}']", NS) is None:
                out.append(f"line {cd.sourceline}: no {kind} action")
        source = cd.get("source")
        if source is not None and source.partition("#")[2] not in ids:
            out.append(f"line {cd.sourceline}: @source {source} does not resolve")
    for date in root.iterfind(".//t:date", NS):
        if not any(date.get(a) for a in ("when", "from", "to", "notBefore", "notAfter")):
            out.append(f"line {date.sourceline}: date without a dating attribute")
    for bid in ids:
        if bid is None or not UUID.fullmatch(bid):
            out.append(f"bibl id {bid!r} is not a UUID")
    return out


@pytest.fixture(scope="module")
def cmif_rng():
    rng = CMIF_DIR / "cmi-customization.rng"
    if not rng.is_file():
        pytest.skip("the CMIF schema (../shared/data/schemas/cmif) is not here")
    return etree.RelaxNG(etree.parse(str(rng)))


@pytest.fixture(scope="module")
def cmif_schematron():
    """cmif.sch with its XPath-1 patterns (correspDesc, date) run by lxml; the uuid pattern uses XPath 2 `matches`."""
    sch = CMIF_DIR / "cmif.sch"
    if not sch.is_file():
        pytest.skip("the CMIF Schematron is not here")
    tree = etree.parse(str(sch))
    tree.getroot().set("queryBinding", "xslt")
    for pattern in tree.getroot().iterfind("{http://purl.oclc.org/dsdl/schematron}pattern"):
        if pattern.get("id") == "uuid":
            tree.getroot().remove(pattern)
    return isoschematron.Schematron(tree)


def _export(tmp_path: Path, src: Path, *args: str) -> tuple[etree._ElementTree, bytes, int]:
    out = tmp_path / "cmif.xml"
    rc = main(["export", "cmif", str(src), "-o", str(out), *args])
    data = out.read_bytes()
    return etree.ElementTree(etree.fromstring(data)), data, rc


def _check_valid(tree, rng, sch) -> None:
    assert rng.validate(tree), rng.error_log
    assert sch.validate(tree), sch.error_log
    assert cmif_rule_violations(tree) == []


def test_fixture_corpus(tmp_path, cmif_rng, cmif_schematron):
    tree, _data, rc = _export(tmp_path, FIXTURE)
    assert rc == 0
    _check_valid(tree, cmif_rng, cmif_schematron)
    root = tree.getroot()
    assert [e.text for e in root.iterfind(".//t:titleStmt/t:editor", NS)] == ["Erika Editor", "Max Mustermann"]
    assert root.find(".//t:licence", NS).get("target") == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert root.find(".//t:publicationStmt/t:date", NS).get("when") == "2026-01-15"
    assert root.findtext(".//t:publicationStmt/t:idno[@type='url']", namespaces=NS) == "https://example.org/edition/cmif.xml"
    descs = root.findall(".//t:correspDesc", NS)
    # d-nosent has no sent action: it is left out (with a warning), the others are in date order, undated last
    assert [d.get("ref") for d in descs] == [f"https://example.org/edition/letters/{x}.html" for x in ("a-1929", "b-1930", "c-undated")]
    a, b, c = descs
    assert a.get("source") == f"#{source_id('a-1929')}"
    assert [(p.text, p.get("ref")) for p in a.iterfind(".//t:persName", NS)] == [
        ("Trotsky", "http://viaf.org/viaf/100905627"),  # VIAF is preferred to Wikidata
        ("A. Nobody", None),  # no authority id: no @ref
        ("N. Sedova", "http://d-nb.info/gnd/1234567-8"),
    ]
    assert a.find(".//t:placeName", NS).get("ref") == "http://www.geonames.org/750268"
    sent_date = b.find("t:correspAction[@type='sent']/t:date", NS)
    assert dict(sent_date.attrib) == {"notBefore": "1930-01", "notAfter": "1930-03-15"}  # cert="medium" is not CMIF
    assert b.find(".//t:persName", NS).get("cert") == "low"
    assert b.find(".//t:orgName", NS).text == "International Left Opposition"
    assert b.find(".//t:placeName", NS).get("ref") == "http://www.wikidata.org/entity/Q90"
    assert c.find(".//t:date", NS) is None  # a date with no W3C attribute is left out


def test_warning_for_left_out_letter(tmp_path, capsys):
    _tree, _data, rc = _export(tmp_path, FIXTURE)
    err = capsys.readouterr().err
    assert rc == 0
    assert "d-nosent.xml:10:0: warning TT720 cmif-incomplete-letter" in err


def test_deterministic_bytes(tmp_path):
    first = _export(tmp_path, FIXTURE)[1]
    second = _export(tmp_path, FIXTURE)[1]
    assert first == second
    assert first.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')


def test_source_ids_are_uuids_starting_with_a_letter():
    for letter_id in ("a", "b", "letter-1929-04-30-trotsky-to-van-overstraeten", "x" * 200, "ü"):
        sid = source_id(letter_id)
        assert UUID.fullmatch(sid) and sid[0].isalpha()
        assert source_id(letter_id) == sid  # stable


def test_bundled_corpus(tmp_path, cmif_rng, cmif_schematron):
    if not (CORPUS / "letters").is_dir():
        pytest.skip("no corpus")
    tree, _data, rc = _export(tmp_path, CORPUS, "--base-url", "https://example.org/trotsky")
    assert rc == 0
    _check_valid(tree, cmif_rng, cmif_schematron)
    sent = tree.getroot().find(".//t:correspAction[@type='sent']", NS)
    assert sent.find("t:persName", NS).get("ref") == "http://www.wikidata.org/entity/Q33391"
    assert sent.find("t:date", NS).get("when") == "1929-04-30"


def test_rules_catch_broken_files(cmif_schematron):
    """The Python rules and the Schematron both fail a file that breaks each rule (so they can fail)."""
    broken = etree.ElementTree(etree.fromstring(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><sourceDesc>'
        b'<bibl type="online" xml:id="b1">x</bibl></sourceDesc></fileDesc><profileDesc>'
        b'<correspDesc source="#nope"><correspAction type="sent"><date/></correspAction></correspDesc>'
        b"</profileDesc></teiHeader></TEI>"
    ))
    problems = cmif_rule_violations(broken)
    assert len(problems) == 4 and any("received" in p for p in problems) and any("UUID" in p for p in problems)
    assert not cmif_schematron.validate(broken)


def test_real_letters(tmp_path, cmif_rng, cmif_schematron):
    letters = SHARED / "data" / "letters"
    if not letters.is_dir():
        pytest.skip("../shared/data/letters is not here")
    tree, _data, rc = _export(tmp_path, letters, "--date", "2026-01-01", "--licence", CC_BY)
    assert rc == 0
    _check_valid(tree, cmif_rng, cmif_schematron)
    assert len(tree.getroot().findall(".//t:correspDesc", NS)) > 50


def _copy_fixture(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    return corpus


def _set_licence(corpus: Path, element: str) -> None:
    edition = corpus / "edition.xml"
    text = re.sub(r"<licence[^>]*>.*?</licence>", element, edition.read_text(encoding="utf-8"), flags=re.S)
    edition.write_text(text, encoding="utf-8")


def test_invalid_dates_are_left_out_with_a_warning(tmp_path, cmif_rng, cmif_schematron, capsys):
    """An impossible date never reaches the file (CMIF's RNG rejects it); a date left with no attribute goes."""
    corpus = _copy_fixture(tmp_path)
    a = corpus / "letters" / "a-1929.xml"
    a.write_text(a.read_text(encoding="utf-8").replace('when="1929-04-30"', 'when="1929-04-31"'), encoding="utf-8")
    b = corpus / "letters" / "b-1930.xml"
    b.write_text(b.read_text(encoding="utf-8").replace('to="1930-04-03"', 'to="1930-02-30"'), encoding="utf-8")
    tree, data, rc = _export(tmp_path, corpus)
    err = capsys.readouterr().err
    assert rc == 0
    assert b"1929-04-31" not in data and b"1930-02-30" not in data
    _check_valid(tree, cmif_rng, cmif_schematron)
    first, second = tree.getroot().findall(".//t:correspDesc", NS)[:2]
    assert first.find("t:correspAction[@type='sent']/t:date", NS) is None  # nothing valid left: no date element
    assert first.find("t:correspAction[@type='sent']/t:persName", NS) is not None  # the rest of the action stays
    assert dict(second.find("t:correspAction[@type='received']/t:date", NS).attrib) == {"from": "1930-04-01"}
    assert "a-1929.xml:11:0: warning TT723 cmif-invalid-date: @when='1929-04-31' is not a valid W3C date (day 31 does not exist in April 1929)" in err
    assert "b-1930.xml:12:0: warning TT723 cmif-invalid-date: @to='1930-02-30'" in err


def test_no_licence_is_an_error_and_nothing_is_written(tmp_path, capsys):
    corpus = _copy_fixture(tmp_path)
    _set_licence(corpus, "<licence>All rights reserved.</licence>")
    out = tmp_path / "cmif.xml"
    rc = main(["export", "cmif", str(corpus), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists()
    assert "error TT721 cmif-licence: the edition states no licence URL" in err and "--licence URL" in err
    assert "creativecommons.org/licenses/by/4.0/\">" not in err and "no CMIF file written" in err


def test_licence_option_sets_the_licence(tmp_path, cmif_rng, cmif_schematron):
    corpus = _copy_fixture(tmp_path)
    _set_licence(corpus, "")
    tree, _data, rc = _export(tmp_path, corpus, "--licence", CC_BY)
    assert rc == 0
    _check_valid(tree, cmif_rng, cmif_schematron)
    licence = tree.getroot().find(".//t:licence", NS)
    assert licence.get("target") == CC_BY and "CC BY 4.0" in licence.text


def test_a_non_cc_licence_is_not_replaced_silently(tmp_path, capsys):
    corpus = _copy_fixture(tmp_path)
    _set_licence(corpus, '<licence target="https://example.org/terms">Our terms</licence>')
    out = tmp_path / "cmif.xml"
    rc = main(["export", "cmif", str(corpus), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists()
    assert "error TT721 cmif-licence: the edition's licence (https://example.org/terms) is not a Creative Commons" in err
    # --licence states the CMIF file's own licence; a URL that is not a CC licence is a usage error
    assert main(["export", "cmif", str(corpus), "-o", str(out), "--licence", CC_BY]) == 0 and out.exists()
    assert main(["export", "cmif", str(corpus), "-o", str(tmp_path / "x.xml"), "--licence", "https://example.org/terms"]) == 2
    assert not (tmp_path / "x.xml").exists()


@pytest.mark.parametrize("base_url", [None, "https://example.org/ed"])
@pytest.mark.parametrize("letters", [0, 1, 3])
def test_pieces_are_the_bytes_of_the_tree(base_url, letters):
    """build writes the CMIF file in pieces (one letter's elements at a time): the same text as the whole tree."""
    from trotsky_tei.render.cmif import CmifOptions, CmifRecord, build_cmif, cmif_pieces, serialise

    edition = Edition(title="Letters & <Papers>", editors=("A. Editor",), licence_url=CC_BY, identifier="ed")
    options = CmifOptions(base_url=base_url, date="2026-12-02")
    sent = ("sent", (("persName", "Trotsky, Leon", (("ref", "http://viaf.org/viaf/1"),)), ("date", "", (("when", "1929-04-30"),))))
    received = ("received", (("persName", "Overstraeten", ()),))
    records = [CmifRecord(f"l{i % 2}", f"Letter “{i}” <b>", f"letters/l{i}.xml", (sent, received), ("print",), (f"1929-0{i + 1}", ""))
               for i in range(letters)]  # l0 twice with three letters: the second source id is told apart by its path
    whole = serialise(build_cmif(records, edition, options)[0]).decode("utf-8")
    assert "".join(cmif_pieces(records, edition, options)) == whole
    assert whole.count("<correspDesc") == letters
    assert "".join(cmif_pieces(iter(records), edition, options)) == whole  # an iterator: gone through once, listed


def test_pieces_of_records_kept_as_json_decode_one_at_a_time():
    """build hands cmif_pieces a view of the letters' records, kept as JSON text: each is decoded as it is reached,
    and the file is the same as from the records themselves."""
    from trotsky_tei import codec
    from trotsky_tei.letter_pass import LetterMeta, LetterOutcome, ValuesOf, meta_from_json, meta_to_json
    from trotsky_tei.registry import Registry
    from trotsky_tei.render.cmif import CmifOptions, CmifRecord, cmif_pieces

    edition = Edition(title="Letters", licence_url=CC_BY, identifier="ed")
    options = CmifOptions(date="2026-12-02")
    sent = ("sent", (("persName", "Trotsky, Leon", ()),))
    received = ("received", (("persName", "Overstraeten", ()),))
    records = [CmifRecord(f"l{i}", f"Letter {i}", f"letters/l{i}.xml", (sent, received)) for i in range(3)]
    values = [records[0], None, records[1], records[2]]  # a letter without a record (TT720) is left out
    outcomes = [LetterOutcome(f"l{i}.xml", "", "", (), meta_from_json(meta_to_json(LetterMeta(kind="letter", values=(("cmif", v),))),
                                                                  Registry()))
                for i, v in enumerate(values)]  # as the pass keeps them: read back from their JSON
    assert all(isinstance(dict(o.meta.values)["cmif"], codec.Late) for o in outcomes)
    view = ValuesOf(outcomes, "cmif")
    assert list(view) == records and list(view) == records  # as often as wanted
    assert "".join(cmif_pieces(view, edition, options)) == "".join(cmif_pieces(records, edition, options))
    assert "".join(cmif_pieces(ValuesOf(outcomes[1:2], "cmif"), edition, options)) == "".join(cmif_pieces([], edition, options))


def test_export_writes_in_pieces_the_bytes_of_the_whole_tree(tmp_path):
    """`export cmif` writes the file a letter at a time from records it keeps as JSON text: the same bytes as the
    whole tree of the same records, in date order."""
    from trotsky_tei.letter_pass import CorpusPass, PassOptions
    from trotsky_tei.render.cmif import CmifOptions, build_cmif, export_cmif, records_in_order, serialise

    options = CmifOptions(date="2026-12-02")
    out = tmp_path / "cmif.xml"
    export_cmif([str(FIXTURE)], out, options=options)
    result = CorpusPass([str(FIXTURE)], PassOptions(consumers=("cmif",))).run()
    records = records_in_order(result)
    assert [r.letter_id for r in records] == ["a-1929", "b-1930", "c-undated"]  # d-nosent has none
    full = CmifOptions(base_url=result.run.edition.url or None, date="2026-12-02")
    assert out.read_bytes() == serialise(build_cmif(list(records), result.run.edition, full)[0])
