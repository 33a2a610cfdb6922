"""The typeset PDF book (`export pdf`, and `build`'s DIR/<title>.pdf), read back with pypdf.

What a reader of the printed book relies on: every paragraph in the text layer, footnotes on the page of their marker,
the contents and the registers giving the right pages, fonts embedded, the same bytes twice, and a letter's text
printed as text, never run as the typesetter's code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _kit import body_texts
from _sitekit import CORPUS, FIXTURE, SHARED_LETTERS
from lxml import etree

from trotsky_tei.cli import main
from trotsky_tei.render.core import fold
from trotsky_tei.render.pdf import PdfOptions, available, export_pdf

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF back (it is in the [test] extra)")
pytestmark = pytest.mark.skipif(not available(), reason="Typst is not installed (pip install 'trotsky-tei[pdf]')")

LETTER_1929 = CORPUS / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TEI = "{http://www.tei-c.org/ns/1.0}"
_LEADER = re.compile(r"(?:\.\xa0){3,}\.?\s*([0-9][0-9–, ]*)")


def norm(text: str) -> str:
    """Text compared without white space and hyphens: the typesetter breaks lines and words where it likes."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text)


def pages_of(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def streams(path: Path) -> dict[float, str]:
    """The book's text by font size, page after page: the body text (running on from page to page, without the running
    heads and footnotes set smaller between), the footnotes and apparatus, the running heads…"""
    pieces: dict[float, list[str]] = {}

    def visit(text: str, _cm: object, _tm: object, _font: object, font_size: float) -> None:
        pieces.setdefault(round(font_size, 1), []).append(text)

    for page in pypdf.PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return {size: "".join(parts) for size, parts in pieces.items()}


def running_text(path: Path, size: float = 10.0) -> str:
    """The text set in the body size, page after page."""
    return streams(path).get(size, "")


def page_texts(path: Path) -> list[list[str]]:
    """Each page's text by font size, normalised (body, footnotes and apparatus, running head…)."""
    out: list[list[str]] = []
    for page in pypdf.PdfReader(path).pages:
        pieces: dict[float, list[str]] = {}

        def visit(text: str, _cm: object, _tm: object, _font: object, font_size: float, into=pieces) -> None:  # type: ignore[no-untyped-def]
            into.setdefault(round(font_size, 1), []).append(text)

        page.extract_text(visitor_text=visit)
        out.append([norm("".join(p)) for p in pieces.values()])
    return out


def in_book(text: str, pages: list[list[str]]) -> bool:
    """Whether `text` is printed: whole on one page in one size, or begun at the end of a page's text in some size
    (a paragraph or footnote the page break cut) and the rest printed on the next page (or cut again there)."""
    if any(text in stream for page in pages for stream in page):
        return True
    for i in range(len(pages) - 1):
        for stream in pages[i]:
            if not stream:
                continue
            for k in range(len(text) - 1, 0, -1):
                if text[k - 1] == stream[-1] and stream.endswith(text[:k]) and in_book(text[k:], pages[i + 1 : i + 3]):
                    return True
    return False


def missing_texts(path: Path, tree: etree._ElementTree) -> list[str]:
    pages = page_texts(path)
    return [t for t in body_texts(tree) if not in_book(norm(t), pages)]


def with_markers(el: etree._Element, numbers: dict[etree._Element, int]) -> str:
    """An element's text with each note replaced by its marker (the note's number): the note is a footnote."""
    parts = [el.text or ""]
    for child in el:
        parts.append(str(numbers[child]) if child.tag == f"{TEI}note" else with_markers(child, numbers))
        parts.append(child.tail or "")
    return "".join(parts)


@pytest.fixture(scope="module")
def corpus_1929(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The edition with only the 1929 letter (whatever else an editor has added to corpus/)."""
    if not LETTER_1929.is_file():
        pytest.skip("the 1929 letter is not in this checkout's corpus")
    root = tmp_path_factory.mktemp("c1929")
    shutil.copy(CORPUS / "edition.xml", root / "edition.xml")
    shutil.copytree(CORPUS / "registry", root / "registry")
    (root / "letters").mkdir()
    shutil.copy(LETTER_1929, root / "letters" / LETTER_1929.name)
    return root


@pytest.fixture(scope="module")
def book_1929(corpus_1929: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    data, warnings = export_pdf([str(corpus_1929)], out)
    assert len(data.letters) == 1
    assert warnings == []
    return out


def test_page_count_is_sane(book_1929: Path) -> None:
    pages = pages_of(book_1929)
    # front matter (4), contents, the letter (a few pages), three registers, the concordance, the colophon
    assert 10 <= len(pages) <= 40


def test_every_paragraph_of_the_letter_is_in_the_text_layer(book_1929: Path) -> None:
    text = norm(running_text(book_1929))
    tree = etree.parse(str(LETTER_1929))
    body = tree.find(f"{TEI}text/{TEI}body")
    numbers = {note: n for n, note in enumerate(body.iter(f"{TEI}note"), 1)}  # numbered per letter, in text order
    paragraphs = [fold(with_markers(p, numbers)) for p in body.iter(f"{TEI}p")]
    assert len(paragraphs) >= 5
    for para in paragraphs:
        assert norm(para) in text, para[:80]


def test_footnote_2_stands_on_the_page_of_its_marker(book_1929: Path) -> None:
    pages = [norm(p) for p in pages_of(book_1929)]
    note = norm("had been for some years General Secretary")
    with_note = [i for i, p in enumerate(pages) if note in p]
    assert len(with_note) == 1, "note 2 is printed once"
    assert norm("My dear friend2,") in pages[with_note[0]], "its marker (2 after the salute) is on the same page"


def test_the_contents_give_the_pages_where_the_letters_begin(book_1929: Path) -> None:
    reader = pypdf.PdfReader(book_1929)
    pages = [p.extract_text() or "" for p in reader.pages]
    contents = next(i for i, p in enumerate(pages) if "Contents" in p and "Colophon" in p)
    title = "Leon Trotsky to W. van Overstraeten, 30 April 1929"
    line = next(x for x in pages[contents].splitlines() if x.startswith(title))
    number = int(line.split()[-1])
    assert number > contents + 1
    assert norm(title) in norm(pages[number - 1]), "the letter's heading is on the page the contents give"
    assert all(norm(title) not in norm(p) for p in pages[contents + 1 : number - 1]), "and on no page before it"
    # the PDF's own bookmarks agree
    marks = {o.title: reader.get_destination_page_number(o) + 1 for o in reader.outline if not isinstance(o, list)}
    assert marks[title] == number


def _register_pages(pages: list[str], heading: str) -> dict[str, list[int]]:
    """Each register entry's text (as printed) and the page numbers after its dot leader."""
    start = next(i for i, p in enumerate(pages) if p.startswith(f"{heading}\n"))  # its opening page: no running head
    out: dict[str, list[int]] = {}
    text = pages[start].split("\n", 1)[1]
    last = 0
    for m in _LEADER.finditer(text):
        numbers: list[int] = []
        for part in m.group(1).replace(" ", "").split(","):
            if not part:
                continue
            a, _, b = part.partition("–")
            numbers.extend(range(int(a), int(b or a) + 1))
        out[fold(text[last : m.start()])] = numbers
        last = m.end()
    return out


def test_the_register_gives_pages_that_name_the_person(book_1929: Path) -> None:
    pages = pages_of(book_1929)
    entries = _register_pages(pages, "People")
    found = [pp for entry, pp in entries.items() if "van Overstraeten" in entry]
    assert len(found) == 1 and found[0], entries
    for page in found[0]:
        assert "Overstraeten" in norm(pages[page - 1]), f"page {page} does not name him"


def test_every_font_is_embedded(book_1929: Path) -> None:
    reader = pypdf.PdfReader(book_1929)
    seen = 0
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for desc in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                fd = desc.get("/FontDescriptor")
                if fd is None:
                    continue
                fd = fd.get_object()
                seen += 1
                assert any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{desc.get('/BaseFont')} is not embedded"
    assert seen > 0


def test_two_runs_give_the_same_bytes(corpus_1929: Path, book_1929: Path, tmp_path: Path) -> None:
    export_pdf([str(corpus_1929)], tmp_path / "again.pdf")
    assert (tmp_path / "again.pdf").read_bytes() == book_1929.read_bytes()


def test_first_pages_as_png(book_1929: Path) -> None:
    """The first pages of the letter rendered by poppler, kept in tests/artifacts/ for a person to look at."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian's poppler-utils) is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("pdf-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "8", str(book_1929), str(ARTIFACTS / "pdf-page")],
                   check=True, timeout=120)
    made = sorted(ARTIFACTS.glob("pdf-page-*.png"))
    assert len(made) == 8
    texts = pages_of(book_1929)[:8]
    for png, text in zip(made, texts, strict=True):
        if text.strip():  # a page with text is not rendered blank (the verso pages of the front matter are)
            assert png.stat().st_size > 5000, png.name


HOSTILE = (
    '#read("/etc/passwd") #eval("1+1") ] [ * _ $x$ <label> @ref // /* `raw` \\ #let x = 1 '
    '#image("/etc/hostname") = heading - item'
)


def test_a_letters_text_is_printed_never_run(tmp_path: Path) -> None:
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    for extra in (root / "letters").glob("*.xml"):
        if extra.name != "1930-01-01-trotsky-to-odd.xml":
            extra.unlink()
    letter = root / "letters" / "1930-01-01-trotsky-to-odd.xml"
    src = letter.read_text(encoding="utf-8")
    body = (f"<p>{HOSTILE.replace('<', '&lt;')}<note>{HOSTILE.replace('<', '&lt;')}</note></p>"
            f"<p><hi rend=\"italic\">*{HOSTILE.replace('<', '&lt;')}*</hi></p>")
    src = re.sub(r"<body>.*</body>", f"<body>{body}</body>", src, flags=re.S)
    src = src.replace("Trotsky to an &lt;odd&gt; correspondent, 1930", "#read(\"/etc/passwd\") $ ] &lt;x&gt;")
    letter.write_text(src, encoding="utf-8")
    export_pdf([str(root)], tmp_path / "h.pdf")
    text = "".join(pages_of(tmp_path / "h.pdf"))
    assert norm(text).count(norm(HOSTILE)) >= 3, "the text, the note and the italic paragraph print every character"
    assert norm('#read("/etc/passwd")$]<x>') in norm(text), "the title too"
    assert "root:" not in text and "/bin/" not in text, "no file was read"


def test_every_text_node_of_the_feature_fixture_is_in_the_pdf(tmp_path: Path) -> None:
    features = Path(__file__).resolve().parent / "data" / "features.xml"
    export_pdf([str(features)], tmp_path / "f.pdf")
    missing = missing_texts(tmp_path / "f.pdf", etree.parse(str(features)))
    assert missing == []


@pytest.mark.skipif(not SHARED_LETTERS.is_dir(), reason="../shared/data/letters is absent")
@pytest.mark.parametrize("edition", ["calvin-lettres", "schnitzler-briefe", "tei-sig-correspdesc"])
def test_real_letters_typeset_with_every_body_text_node(tmp_path: Path, edition: str) -> None:
    src = SHARED_LETTERS / edition
    if not src.is_dir():
        pytest.skip(f"{edition} is absent")
    data, _warnings = export_pdf([str(src)], tmp_path / "r.pdf")
    assert data.letters
    pages = page_texts(tmp_path / "r.pdf")
    for info in data.letters:
        missing = [t for t in body_texts(etree.parse(info.letter.path)) if not in_book(norm(t), pages)]
        assert missing == [], f"{info.letter.path}: {missing[:3]}"


def test_paper_and_font_size(corpus_1929: Path, book_1929: Path, tmp_path: Path) -> None:
    export_pdf([str(corpus_1929)], tmp_path / "a4.pdf", options=PdfOptions(paper="a4", font_size=12))
    a5 = pypdf.PdfReader(book_1929).pages[0].mediabox
    a4 = pypdf.PdfReader(tmp_path / "a4.pdf").pages[0].mediabox
    assert round(float(a5.width) / 72 * 25.4) == 148 and round(float(a5.height) / 72 * 25.4) == 210
    assert round(float(a4.width) / 72 * 25.4) == 210 and round(float(a4.height) / 72 * 25.4) == 297


def test_diplomatic_mode_prints_the_original_readings(tmp_path: Path) -> None:
    features = Path(__file__).resolve().parent / "data" / "features.xml"
    export_pdf([str(features)], tmp_path / "d.pdf", options=PdfOptions(mode="diplomatic"))
    export_pdf([str(features)], tmp_path / "r.pdf")
    assert (tmp_path / "d.pdf").read_bytes() != (tmp_path / "r.pdf").read_bytes()


def test_cli_export_pdf(corpus_1929: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.pdf"
    assert main(["export", "pdf", str(corpus_1929), "-o", str(out), "--paper", "a4"]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert "1 letter typeset" in capsys.readouterr().err
    assert main(["export", "pdf", str(corpus_1929), "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["export", "pdf", str(corpus_1929), "-o", str(out), "--font-size", "99"]) == 2


def test_without_typst_the_command_says_what_to_install(
    corpus_1929: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    import trotsky_tei.render.pdf as pdf

    monkeypatch.setattr(pdf, "available", lambda: False)
    assert main(["export", "pdf", str(corpus_1929), "-o", str(tmp_path / "x.pdf")]) == 2
    assert "pip install 'trotsky-tei[pdf]'" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_an_unknown_element_prints_its_text_with_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    letter = root / "letters" / "1930-01-01-trotsky-to-odd.xml"
    src = letter.read_text(encoding="utf-8").replace("bleibt Text.", "bleibt <fancyThing>unbekanntes Element</fancyThing> Text.")
    letter.write_text(src, encoding="utf-8")
    _data, warnings = export_pdf([str(root)], tmp_path / "u.pdf")
    assert any(d.code == "TT701" and "no PDF handler for <fancyThing>" in d.message for d in warnings), warnings
    assert norm("bleibt unbekanntes Element Text.") in norm(running_text(tmp_path / "u.pdf"))


def test_bad_input_is_a_diagnostic_and_the_others_are_typeset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    (root / "letters" / "broken.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><unclosed>", encoding="utf-8")
    (root / "letters" / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><TEI xmlns="http://www.tei-c.org/ns/1.0">&c;</TEI>', encoding="utf-8")
    out = tmp_path / "b.pdf"
    assert main(["export", "pdf", str(root), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "broken.xml:1:" in err and "bomb.xml" in err
    assert "3 letters typeset" in err
    assert "Traceback" not in err
    assert out.read_bytes().startswith(b"%PDF-")
