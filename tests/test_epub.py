"""The EPUB 3 book: epubcheck clean, reproducible bytes, package layout, metadata, footnotes, credits as the files say."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from _sitekit import CORPUS, FIXTURE, SHARED_LETTERS, epubcheck_messages, needs_java
from lxml import etree

from trotsky_tei.cli import main
from trotsky_tei.render.collect import collect
from trotsky_tei.render.epub import FIXED_ZIP_TIME, export_epub


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("epub") / "edition.epub"
    export_epub(collect([str(FIXTURE)]), out)
    return out


def member(book: Path, name: str) -> str:
    with zipfile.ZipFile(book) as zf:
        return zf.read(name).decode("utf-8")


@needs_java
def test_epubcheck_zero_errors_zero_warnings(book: Path) -> None:
    assert epubcheck_messages(book) == []


@needs_java
def test_epubcheck_api_does_catch_a_broken_book(tmp_path: Path, book: Path) -> None:
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "OEBPS/content.opf":
                data = data.replace(b"<dc:language>en</dc:language>", b"")
            dst.writestr(info, data)
    assert epubcheck_messages(broken) != []


def test_reproducible_bytes(tmp_path: Path, book: Path) -> None:
    again = tmp_path / "again.epub"
    export_epub(collect([str(FIXTURE)]), again)
    assert again.read_bytes() == book.read_bytes()


def test_package_layout(book: Path) -> None:
    with zipfile.ZipFile(book) as zf:
        infos = zf.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert book.read_bytes()[30:38] == b"mimetype"  # the first local header's name, no extra field before it
    assert infos[1].filename == "META-INF/container.xml"
    rest = [i.filename for i in infos[2:]]
    assert rest == sorted(rest)
    assert {i.date_time for i in infos} == {FIXED_ZIP_TIME}


def test_opf_metadata_from_the_edition(book: Path) -> None:
    opf = member(book, "OEBPS/content.opf")
    assert "<dc:language>en</dc:language>" in opf
    assert '<dc:identifier id="pub-id">https://example.org/fixture-edition</dc:identifier>' in opf
    assert '<meta property="dcterms:modified">2024-05-01T00:00:00Z</meta>' in opf
    assert "<dc:title>Test Letters &amp; Papers</dc:title>" in opf
    assert "<dc:rights>CC BY 4.0</dc:rights>" in opf


def test_nav_lists_every_letter(book: Path) -> None:
    nav = member(book, "OEBPS/nav.xhtml")
    for slug in ("l1", "l2", "l3"):
        assert f'href="letter-{slug}.xhtml"' in nav
    assert 'epub:type="toc"' in nav and 'href="persons.xhtml"' in nav and 'href="colophon.xhtml"' in nav


def test_footnotes_are_epub3_notes(book: Path) -> None:
    chapter = member(book, "OEBPS/letter-l1.xhtml")
    assert re.search(r'<a [^>]*href="#note-1"[^>]*epub:type="noteref"', chapter)
    assert '<aside epub:type="footnote" role="doc-footnote" id="note-1"><span class="note-number">1.</span>' in chapter
    assert 'href="#noteref-1"' in chapter  # and back
    assert "<ol class=\"notes\"" not in chapter


def test_chapter_has_metadata_block_language_and_register_links(book: Path) -> None:
    chapter = member(book, "OEBPS/letter-l3.xhtml")
    assert '<dl class="letter-metadata">' in chapter
    assert 'lang="de"' in chapter
    assert 'href="persons.xhtml#trotsky"' in chapter
    persons = member(book, "OEBPS/persons.xhtml")
    assert 'id="trotsky"' in persons and 'href="letter-l1.xhtml"' in persons


def test_register_page_written_in_pieces_is_one_whole_page(book: Path) -> None:
    """The registers are zipped as they are made, an entry at a time: the page is still one well-formed document,
    every entry in it once, in the register's order, each on lines of its own."""
    persons = member(book, "OEBPS/persons.xhtml")
    assert persons.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n') and persons.endswith("</html>\n")
    root = etree.fromstring(persons.encode("utf-8"))
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    ids = root.xpath("//h:section[@class='register-entry']/@id", namespaces=ns)
    labels = root.xpath("//h:section[@class='register-entry']/h:h2/text()", namespaces=ns)
    data = collect([str(FIXTURE)])
    people = sorted(data.registry.by_kind("person"), key=lambda e: (e.label.casefold(), e.id))
    assert ids == [e.id for e in people] and labels == [e.label for e in people] and len(ids) >= 2
    assert persons.count("</section>\n<section class=\"register-entry\"") == len(ids) - 1
    assert "</section>\n</section>\n</body>" in persons


def test_title_page_and_colophon_say_what_the_files_say(book: Path) -> None:
    title = member(book, "OEBPS/title.xhtml")
    assert "Test Letters &amp; Papers" in title and "A fixture edition for the site tests" in title
    colophon = member(book, "OEBPS/colophon.xhtml")
    assert "translated by Ted Crawford" in colophon
    assert "Rights: Free to use for testing." in colophon
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in colophon


def test_no_translator_is_invented(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    for f in (corpus / "letters").glob("*.xml"):
        text = f.read_text(encoding="utf-8")
        f.write_text(re.sub(r"<respStmt>.*?</respStmt>", "", text), encoding="utf-8")
    export_epub(collect([str(corpus)]), tmp_path / "b.epub")
    colophon = member(tmp_path / "b.epub", "OEBPS/colophon.xhtml")
    assert "Crawford" not in colophon and "ranslat" not in colophon


def test_cli_export_epub(tmp_path: Path) -> None:
    out = tmp_path / "x.epub"
    assert main(["export", "epub", str(FIXTURE), "-o", str(out)]) == 0
    assert zipfile.is_zipfile(out)


@needs_java
@pytest.mark.skipif(not (CORPUS / "letters").is_dir(), reason="the project corpus is not in this checkout")
def test_corpus_epub_is_clean(tmp_path: Path) -> None:
    export_epub(collect([str(CORPUS)]), tmp_path / "c.epub")
    assert epubcheck_messages(tmp_path / "c.epub") == []


@needs_java
@pytest.mark.skipif(not SHARED_LETTERS.is_dir(), reason="../shared/data/letters is absent")
@pytest.mark.parametrize("edition", ["calvin-lettres", "schnitzler-briefe", "tei-sig-correspdesc"])
def test_real_letters_make_a_clean_epub(tmp_path: Path, edition: str) -> None:
    src = SHARED_LETTERS / edition
    if not src.is_dir():
        pytest.skip(f"{edition} is absent")
    export_epub(collect([str(src)]), tmp_path / "r.epub")
    assert epubcheck_messages(tmp_path / "r.epub") == []


def test_headings_never_skip_a_level(book: Path) -> None:
    with zipfile.ZipFile(book) as zf:
        for name in zf.namelist():
            if not name.endswith(".xhtml"):
                continue
            levels = [int(n) for n in re.findall(r"<h([1-6])\b", zf.read(name).decode("utf-8"))]
            for before, after in zip(levels, levels[1:]):
                assert after <= before + 1, f"{name}: <h{before}> is followed by <h{after}>"



def _css_rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """(selectors, declarations) of each plain rule of a stylesheet, in order (at-rules left out)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@[^{;]*;", "", css)  # @namespace, @import
    rules = []
    for block in css.split("}"):
        head, _, body = block.partition("{")
        if body and not head.strip().startswith("@"):
            decls = {k.strip(): v.strip() for k, _, v in (d.partition(":") for d in body.split(";")) if k.strip()}
            rules.append(([s.strip() for s in head.split(",")], decls))
    return rules


def _selects(selector: str, el: etree._Element) -> bool:
    """Whether a selector of tag names, classes and descendant combinators (`dl.x dt`) selects `el`; any other kind
    of selector selects nothing here."""
    if not re.fullmatch(r"[a-z0-9.\- ]+", selector):
        return False
    steps = []
    for part in selector.split():
        tag, *classes = part.split(".")
        steps.append((tag or "*") + "".join(f"[contains(concat(' ', @class, ' '), ' {c} ')]" for c in classes))
    return el in el.getroottree().xpath("//" + "//".join(steps))


def _left_margin(decls: dict[str, str]) -> str:
    parts = decls.get("margin", "").split() or ["0"]
    return {1: parts[0], 2: parts[-1], 3: parts[1], 4: parts[3]}[len(parts)]


def test_epub_metadata_block_is_neither_bold_nor_over_indented(book: Path) -> None:
    """The chapter's metadata block as the book's stylesheet styles it: only the terms are set apart (small capitals,
    normal weight), each value indented once under its term; the block itself is neither bold nor indented (a
    selector group once gave the whole `dl` the terms' bold and the values' indent)."""
    rules = _css_rules(member(book, "OEBPS/style.css"))
    root = etree.fromstring(member(book, "OEBPS/letter-l3.xhtml").encode("utf-8"))
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = etree.QName(el).localname  # the selectors name elements without their namespace

    def style(el: etree._Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for selectors, decls in rules:
            if any(_selects(s, el) for s in selectors):
                out.update(decls)
        return out

    for cls in ("letter-metadata", "letter-credits"):
        dl = root.find(f".//dl[@class='{cls}']")
        assert dl is not None and len(dl) >= 2
        block = style(dl)
        assert "font-weight" not in block and _left_margin(block) in ("0", "0em")
        for dt in dl.iterfind("dt"):
            assert style(dt).get("font-weight") == "normal" and style(dt).get("font-variant") == "small-caps"
        for dd in dl.iterfind("dd"):
            assert "font-weight" not in style(dd) and _left_margin(style(dd)) == "1em"


def test_chapter_names_do_not_say_letter_twice(tmp_path: Path) -> None:
    """A letter whose id begins with "letter-" (as `trotsky-tei new` makes them) has a chapter of that name, not
    `letter-letter-…`; the site's page and the text file keep the id as their name (permalinks), unprefixed."""
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    for path in (root / "letters").glob("*.xml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('xml:id="l1"', 'xml:id="letter-1929-04-30-trotsky"').replace('xml:id="l2"', 'xml:id="letter-l3"'),
                        encoding="utf-8")
    assert main(["build", str(root), "-o", str(tmp_path / "out"), "--jobs", "1"]) in (0, 1)
    out = tmp_path / "out"
    with zipfile.ZipFile(next(out.glob("*.epub"))) as zf:
        chapters = sorted(n for n in zf.namelist() if n.startswith("OEBPS/letter"))
        nav = zf.read("OEBPS/nav.xhtml").decode("utf-8")
    # "letter-l3" keeps the prefix: its rest, "l3", is another letter's slug, whose chapter is letter-l3.xhtml
    assert chapters == ["OEBPS/letter-1929-04-30-trotsky.xhtml", "OEBPS/letter-l3.xhtml", "OEBPS/letter-letter-l3.xhtml"]
    assert 'href="letter-1929-04-30-trotsky.xhtml"' in nav
    pages = sorted(p.name for p in (out / "site" / "letters").glob("*.html"))
    assert pages == ["l3.html", "letter-1929-04-30-trotsky.html", "letter-l3.html"]
    assert sorted(p.name for p in (out / "text").iterdir()) == ["l3.txt", "letter-1929-04-30-trotsky.txt", "letter-l3.txt"]
    assert not [p for p in out.rglob("*letter-letter-*") if "cache" not in str(p)]
