"""A letter encoded as other editions encode theirs (`tests/data/any_edition.xml`), in every format.

Its back holds the closer, the postscript and the address (text, rendered after the letter) and its own lists of
people and places (data: the letter's registry); notes inside notes, a table with a head, address and verse lines,
a nested apparatus with a witness detail, a conjecture's source and a group of readings, a graph's arc.
Goldens (text, HTML, EPUB chapter) are regenerated on purpose with `UPDATE_GOLDENS=1` and read before committing.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from _kit import body_texts, check_golden
from lxml import etree

from trotsky_tei.reader import read
from trotsky_tei.render.collect import collect
from trotsky_tei.render.core import RenderContext
from trotsky_tei.render.epub import export_book
from trotsky_tei.render.html import render_letter_html
from trotsky_tei.render.text import render_letter_text
from trotsky_tei.validate import validate_paths

FIXTURE = Path(__file__).resolve().parent / "data" / "any_edition.xml"
UNKNOWN = {"graph", "node", "arc"}  # no handler: their text is rendered, with TT701


def _parsed() -> tuple[etree._ElementTree, object]:
    lf = read(str(FIXTURE))
    assert lf.parsed.tree is not None and lf.letter is not None
    return lf.parsed.tree, lf.letter


def _ctx() -> RenderContext:
    from trotsky_tei.registry import Registry

    return RenderContext(registry=Registry(), path=str(FIXTURE), link_for=lambda i: f"register/{i}.html")


def test_the_letters_own_title_not_the_series() -> None:
    _tree, letter = _parsed()
    assert letter.title == "Arthur Schnitzler an Richard Beer-Hofmann, 7. 2. 1899"  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["reading", "diplomatic"])
def test_text_golden(mode: str) -> None:
    tree, letter = _parsed()
    text, warnings = render_letter_text(tree, letter, _ctx(), 72, mode)  # type: ignore[arg-type]
    assert {w.message.split("<")[1].split(">")[0] for w in warnings} == UNKNOWN
    check_golden(f"any-edition.{mode}.txt", text)
    for node in body_texts(tree):
        assert " ".join(node.split()) in " ".join(text.split()), node


def test_html_golden() -> None:
    tree, letter = _parsed()
    r = render_letter_html(tree, letter, _ctx(), "reading")  # type: ignore[arg-type]
    assert {w.message.split("<")[1].split(">")[0] for w in r.warnings if w.code == "TT701"} == UNKNOWN
    check_golden("any-edition.html", "\n".join([r.metadata_html, r.body_html, r.notes_html, r.apparatus_html]) + "\n")
    # the back after the body; the table's head is its caption; lines one to a line; the letter's own entries linked
    assert r.body_html.index('class="body"') < r.body_html.index('class="back"')
    assert '<table class="table"><caption class="head">Die Termine</caption>' in r.body_html
    assert '<span class="addrLine">Richard Beer-Hofmann</span><br>' in r.body_html
    assert 'href="register/p-beer-hofmann.html"' in r.metadata_html
    assert "Papagei" not in r.apparatus_html.split("</a>")[0]  # the outer lemma is not run together with the inner readings
    assert "witDetail" not in r.apparatus_html and "wit. detail:" in r.apparatus_html
    assert '<span class="siglum">editor-conj</span>' in r.apparatus_html  # whose conjecture (@source)


def test_epub_chapter_golden_keeps_the_note_inside_the_note(tmp_path: Path) -> None:
    export_book([str(FIXTURE)], tmp_path / "b.epub")
    with zipfile.ZipFile(tmp_path / "b.epub") as zf:
        chapter = zf.read("OEBPS/letter-any-edition.xhtml").decode("utf-8")
        persons = zf.read("OEBPS/persons.xhtml").decode("utf-8")
    check_golden("any-edition.epub.xhtml", chapter)
    assert chapter.count('epub:type="footnote"') == 2
    assert 'id="p-beer-hofmann"' in persons and "Beer-Hofmann" in persons  # the letter's own list, in the register


def test_the_arcs_from_is_no_date_and_the_lists_are_not_unknown_names() -> None:
    result = validate_paths([str(FIXTURE)])
    codes = {d.code for d in result.diagnostics}
    assert "TT301" not in codes and "TT302" not in codes  # arc/@from="#n1" is a pointer, not a date


def test_the_letters_own_entries_are_its_records_people() -> None:
    data = collect([str(FIXTURE)])
    info = data.letters[0]
    assert [e.id if e else None for _n, e in info.senders] == ["p-schnitzler"]
    assert info.place_sent is not None and info.place_sent[1] is not None and info.place_sent[1].id == "pl-wien"
    assert {e.id for e in info.mentioned} == {"p-beer-hofmann", "pl-wien"}
    assert data.registry.get("p-schnitzler") is not None  # in the registry the registers show


def test_pdf_prints_every_text_node(tmp_path: Path) -> None:
    pytest.importorskip("pypdf", reason="pypdf reads the PDF back")
    from test_pdf import in_book, norm, page_texts

    from trotsky_tei.render.pdf import available, export_pdf

    if not available():
        pytest.skip("Typst is not installed (pip install 'trotsky-tei[pdf]')")
    export_pdf([str(FIXTURE)], tmp_path / "a.pdf")
    pages = page_texts(tmp_path / "a.pdf")
    tree, _letter = _parsed()
    assert [t for t in body_texts(tree) if not in_book(norm(t), pages)] == []
    assert any("BeerHofmann" in stream for page in pages for stream in page)  # and the register names him


def test_valid_tei_the_schema_leaves_out_is_told_apart_from_an_unknown_name(tmp_path: Path) -> None:
    letter = tmp_path / "x.xml"
    letter.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>x</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>"
        "<text><body><lg><l>a</l></lg><persname>y</persname></body></text></TEI>",
        encoding="utf-8",
    )
    messages = [d.message for d in validate_paths([str(letter)]).diagnostics if d.code == "TT100"]
    assert any("<lg> is a TEI element that this schema leaves out" in m for m in messages), messages
    assert any("unknown element <persname>: not a TEI element; did you mean <persName>" in m for m in messages), messages
