"""`trotsky-tei index`: the register of correspondents and the call-number concordance, as table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from trotsky_tei.cli import main
from trotsky_tei.index import index_paths, print_index

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).parent / "data"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """The CMIF fixture corpus plus the call-number letters and Houghton in its registry."""
    root = tmp_path / "corpus"
    shutil.copytree(DATA / "cmif", root)
    shutil.copy(DATA / "callnumbers" / "registry" / "archives.xml", root / "registry" / "archives.xml")
    for name in ("prose-only.xml", "structured.xml"):
        shutil.copy(DATA / "callnumbers" / "letters" / name, root / "letters" / name)
    return root


def test_correspondents(corpus):
    index = index_paths([str(corpus)])
    by_key = {c.key: c for c in index.correspondents}
    trotsky = by_key["trotsky"]
    assert trotsky.link == "registry" and trotsky.label == "Leon Trotsky"
    assert [r.id for r in trotsky.letters["sent"]] == ["a-1929"]
    assert [r.id for r in trotsky.letters["received"]] == ["c-undated", "d-nosent"]  # undated letters sort last, by id
    assert [r.id for r in by_key["sedova"].letters["sent"]] == ["b-1930"]
    assert [r.id for r in by_key["sedova"].letters["received"]] == ["a-1929"]
    assert by_key["name:someone"].link == "none"
    assert by_key["ilo"].kind == "org"
    labels = [c.label for c in index.correspondents]
    assert labels == sorted(labels, key=str.casefold)


def test_mentions(tmp_path):
    """A correspondent named in another letter's text is listed as mentioned there."""
    root = tmp_path / "c"
    shutil.copytree(DATA / "cmif", root)
    letter = root / "letters" / "b-1930.xml"
    letter.write_text(
        letter.read_text().replace("<p>Text.</p>", '<p>Greetings from <persName ref="../registry/persons.xml#trotsky">L. T.</persName>.</p>')
    )
    index = index_paths([str(root)])
    trotsky = next(c for c in index.correspondents if c.key == "trotsky")
    assert [r.id for r in trotsky.letters["mentioned"]] == ["b-1930"]


def test_concordance(corpus):
    index = index_paths([str(corpus)])
    rows = [(e.letter.id, e.call_number.idno, e.call_number.collection, e.source, e.call_number.url) for e in index.concordance]
    aid = "https://id.lib.harvard.edu/ead/hou00301/catalog"
    assert rows == [
        ("prose-only", "10708", None, "prose", aid),
        ("structured", "10708", "MS Russ 13.1", "msIdentifier", aid),
    ]


def test_cli_json_and_csv(corpus, capsys):
    assert main(["index", str(corpus), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {
        "letters": 6, "correspondents": 5, "in_registry": 4, "unresolved_pointer": 0, "no_pointer": 1, "call_numbers": 2,
    }
    assert doc["concordance"][1]["call_number"] == "Houghton Library, MS Russ 13.1 (10708)"
    assert main(["index", str(corpus), "--format", "csv", "--what", "concordance"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["letter_id"], r["source"]) for r in rows] == [("prose-only", "prose"), ("structured", "msIdentifier")]
    assert main(["index", str(corpus), "--format", "csv", "--what", "correspondents"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert ("trotsky", "sent", "a-1929") in {(r["key"], r["role"], r["letter_id"]) for r in rows}


def test_cli_usage_errors(corpus, capsys):
    assert main(["index", str(corpus), "--format", "csv"]) == 2
    assert main(["index", str(corpus), "--registry", str(corpus / "nope")]) == 2
    capsys.readouterr()


def test_unreadable_file_is_reported_and_others_indexed(corpus, capsys):
    (corpus / "letters" / "broken.xml").write_text("<TEI")
    assert main(["index", str(corpus), "--format", "json", "--what", "concordance"]) == 1
    captured = capsys.readouterr()
    assert "broken.xml:1" in captured.err and "TT002" in captured.err
    assert len(json.loads(captured.out)["concordance"]) == 2


def test_table_is_deterministic(corpus):
    def render() -> str:
        console = Console(file=io.StringIO(), width=120, color_system=None)
        print_index(console, index_paths([str(corpus)]))
        return console.file.getvalue()

    text = render()
    assert text == render()
    assert "Correspondents" in text and "Concordance of call numbers" in text
    assert "6 letters, 5 correspondents (4 in the registry" in text


def test_real_letters():
    letters = SHARED / "data" / "letters"
    if not letters.is_dir():
        pytest.skip("../shared/data/letters is not here")
    index = index_paths([str(letters)])
    s = index.summary()
    assert s["letters"] == 88 and index.diagnostics == []
    # their pointers go to their own registries, which are not here: reported as unresolved, never as errors
    assert s["in_registry"] == 0 and s["unresolved_pointer"] > 30
    schnitzler = next(c for c in index.correspondents if c.key == "#pmb2121")
    assert len(schnitzler.letters["received"]) > 10
    assert any(e.call_number.idno == "Schnitzler, B 68" for e in index.concordance)


def test_json_and_csv_give_iso_dates_and_the_date_as_shown(corpus, capsys):
    """Each letter's date as ISO (`@when`; a range's notBefore/notAfter), the text shown beside it as `date_text`."""
    assert main(["index", str(corpus), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == 2  # "date" was the text shown in version 1
    letters = {r["id"]: r for c in doc["correspondents"] for role in ("sent", "received", "mentioned") for r in c[role]}
    assert letters["a-1929"] == {
        "id": "a-1929", "path": letters["a-1929"]["path"], "date": "1929-04-30", "not_before": None, "not_after": None,
        "date_text": "30 April 1929", "title": letters["a-1929"]["title"],
    }
    assert (letters["b-1930"]["date"], letters["b-1930"]["not_before"], letters["b-1930"]["not_after"]) == (None, "1930-01", "1930-03-15")
    assert letters["b-1930"]["date_text"] == "early 1930"
    assert (letters["c-undated"]["date"], letters["c-undated"]["date_text"]) == (None, "some day")  # no @when
    assert list(doc["concordance"][1]["letter"]) == ["id", "path", "date", "not_before", "not_after", "date_text", "title"]
    assert main(["index", str(corpus), "--format", "csv", "--what", "correspondents"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "key,label,kind,link,role,letter_id,date,title,path,date_text,not_before,not_after"
    rows = {r["letter_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows["a-1929"]["date"], rows["a-1929"]["date_text"]) == ("1929-04-30", "30 April 1929")
    assert (rows["b-1930"]["date"], rows["b-1930"]["not_before"], rows["b-1930"]["not_after"]) == ("", "1930-01", "1930-03-15")
    assert main(["index", str(corpus), "--format", "csv", "--what", "concordance"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert header[9] == "date" and header[-4:] == ["certainty", "date_text", "not_before", "not_after"]


def test_index_date_is_a_real_date_only(tmp_path):
    """A @when that is no date (TT301) is not given as an ISO date: the text shown is still there."""
    root = tmp_path / "c"
    shutil.copytree(DATA / "cmif", root)
    letter = root / "letters" / "a-1929.xml"
    letter.write_text(letter.read_text().replace('when="1929-04-30"', 'when="1929-04-31"'))
    ref = next(r for c in index_paths([str(root)]).correspondents for r in c.letters["sent"] if r.id == "a-1929")
    assert (ref.when, ref.date) == (None, "30 April 1929")
