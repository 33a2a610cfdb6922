"""Every export on the feature fixture (text, site page, EPUB chapter), the EPUB chapter golden, HTML `lang` tags.

The Nu checker runs once for the whole module (Java starts slowly): one folder holds the feature fixture's site,
a page with every language tag `langtags` can produce, and the sites of the real letters in ../shared.
Goldens are regenerated on purpose with `UPDATE_GOLDENS=1 pytest tests/test_export_features.py` and read before
committing.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import lxml.html
import pytest
from _kit import body_texts, check_golden
from _sitekit import (
    CORPUS,
    REPO,
    SHARED_LETTERS,
    epubcheck_messages,
    needs_java,
    vnu_errors,
)
from lxml import etree

from trotsky_tei.errors import Diagnostic
from trotsky_tei.reader import read
from trotsky_tei.render.collect import collect
from trotsky_tei.render.core import RenderContext, fold
from trotsky_tei.render.epub import export_epub
from trotsky_tei.render.langtags import (
    LANGUAGES,
    REGIONS,
    SCRIPTS,
    SUPPRESS_SCRIPT,
    TO_TWO,
    html_lang,
)
from trotsky_tei.render.site import export_site
from trotsky_tei.render.text import render_letter_text

FEATURES = REPO / "tests" / "data" / "features.xml"
LETTER_1929 = CORPUS / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"
EDITIONS = ("calvin-lettres", "schnitzler-briefe", "tei-sig-correspdesc")
XHTML = "{http://www.w3.org/1999/xhtml}"


# --- helpers ---------------------------------------------------------------------------------------


def body_texts_of(path: Path) -> list[str]:
    """Every text node (text and tail) inside the letter's front and body, white space folded."""
    lf = read(str(path))
    assert lf.parsed.tree is not None
    return body_texts(lf.parsed.tree)


def missing_from(path: Path, output_text: str) -> list[str]:
    """The body text nodes that do not reach `output_text` (the definition of tests/test_render_core.py)."""
    exported = fold(output_text)
    return [t for t in body_texts_of(path) if t not in exported]


def tt701(warnings: list[Diagnostic]) -> list[Diagnostic]:
    return [w for w in warnings if w.code == "TT701"]


def feature_corpus(root: Path) -> Path:
    """A corpus of features.xml with the project's registry and edition file, laid out so that its pointers
    (`../../corpus/registry/…`, relative to the letter) resolve."""
    corpus = root / "corpus"
    (corpus / "letters").mkdir(parents=True)
    shutil.copy(FEATURES, corpus / "letters" / "features.xml")
    shutil.copytree(CORPUS / "registry", corpus / "registry")
    shutil.copy(CORPUS / "edition.xml", corpus / "edition.xml")
    return corpus


def html_text(el: etree._Element) -> str:
    """Text content with a space at element boundaries (a `<br>` joins nothing)."""
    return " ".join(el.itertext())


def section_text(page: lxml.html.HtmlElement, xpath: str) -> str:
    found = page.xpath(xpath)
    assert found, xpath
    return " ".join(html_text(el) for el in found)


# --- one Nu checker run for the module ------------------------------------------------------------


def every_tag_page() -> str:
    """One HTML page using every tag html_lang can produce: each language, mapped code, script and region."""
    values = sorted(LANGUAGES) + sorted(TO_TWO)
    values += [f"zh-{s}" for s in sorted(SCRIPTS)] + [f"en-{r}" for r in sorted(REGIONS)]
    values += [f"{lang}-{script}" for lang, script in sorted(SUPPRESS_SCRIPT.items())]
    values += ["x-latinq", "la-x-latinq", "de-Latn-AT-x-wien"]
    tags = sorted({html_lang(v)[0] for v in values})
    assert "" not in tags
    spans = "\n".join(f'<span lang="{t}">x</span>' for t in tags)
    return f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>tags</title></head><body><p>{spans}</p></body></html>\n'


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """(the folder, the Nu checker's errors for everything in it)."""
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (the Nu checker needs it)")
    base = tmp_path_factory.mktemp("nu")
    export_site(collect([str(feature_corpus(base / "src"))]), base / "features")
    (base / "tags").mkdir()
    (base / "tags" / "every-tag.html").write_text(every_tag_page(), encoding="utf-8")
    for edition in EDITIONS:
        if (SHARED_LETTERS / edition).is_dir():
            export_site(collect([str(SHARED_LETTERS / edition)]), base / edition, mode="both")
    return base, vnu_errors(base)


def error_path(message: dict[str, object]) -> Path:
    """The file a Nu checker message is about (its url is "file:/…" or "file:///…")."""
    url = str(message.get("url", ""))
    return Path("/" + url.removeprefix("file:").lstrip("/"))


def errors_under(checked: tuple[Path, list[dict[str, object]]], sub: str) -> list[str]:
    base, errors = checked
    return [
        f"{error_path(m)}:{m.get('lastLine')}: {m.get('message')}" for m in errors if error_path(m).is_relative_to(base / sub)
    ]


def test_every_nu_message_is_about_a_file_of_ours(checked: tuple[Path, list[dict[str, object]]]) -> None:
    subs = ("features", "tags", *EDITIONS)
    assert sum(len(errors_under(checked, s)) for s in subs) == len(checked[1])


# --- language tags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, tag, lost",
    [
        ("en", "en", ""),
        ("fra", "fr", ""),
        ("fre", "fr", ""),
        ("deu", "de", ""),
        ("ger", "de", ""),
        ("lat", "la", ""),
        ("LAT", "la", ""),
        ("rus", "ru", ""),
        ("grc", "grc", ""),  # no two-letter equivalent: valid as it is
        ("de-AT", "de-AT", ""),
        ("de_at", "de-AT", ""),
        ("de-Latn-AT", "de-AT", ""),  # the default script is redundant
        ("sr-Cyrl", "sr-Cyrl", ""),
        ("la-x-latinq", "la-x-latinq", ""),
        ("de-AT-1996", "de-AT", "1996"),  # a variant we cannot check is cut off
        ("latinq", "", "latinq"),
        ("trad", "", "trad"),
        ("xx", "", "xx"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_html_lang(value: str | None, tag: str, lost: str) -> None:
    assert html_lang(value) == (tag, lost)


def test_every_tag_the_tables_produce_passes_the_nu_checker(checked: tuple[Path, list[dict[str, object]]]) -> None:
    assert errors_under(checked, "tags") == []


@pytest.mark.skipif(not SHARED_LETTERS.is_dir(), reason="../shared/data/letters is absent")
@pytest.mark.parametrize("edition", EDITIONS)
def test_real_letters_sites_have_no_nu_errors(checked: tuple[Path, list[dict[str, object]]], edition: str) -> None:
    if not (SHARED_LETTERS / edition).is_dir():
        pytest.skip(f"{edition} is absent")
    assert (checked[0] / edition / "index.html").is_file()
    assert errors_under(checked, edition) == []


@pytest.mark.skipif(not (SHARED_LETTERS / "calvin-lettres").is_dir(), reason="../shared/data/letters/calvin-lettres is absent")
def test_unusable_lang_values_are_dropped_with_one_warning_per_letter_and_value(tmp_path: Path) -> None:
    written, warnings = export_site(collect([str(SHARED_LETTERS / "calvin-lettres")]), tmp_path / "s")
    tt702 = [w for w in warnings if w.code == "TT702"]
    assert tt702 and all(w.severity.value == "warning" and w.line > 0 for w in tt702)
    keys = [(w.path, w.message.split('"')[1]) for w in tt702]
    assert len(keys) == len(set(keys))  # once per letter and value
    assert {v for _, v in keys} == {"latinq", "trad"}  # "lat" maps to "la" without a warning
    pages = "".join((tmp_path / "s" / p).read_text(encoding="utf-8") for p in written if p.startswith("letters/") and p.endswith(".html"))
    assert 'lang="latinq"' not in pages and 'lang="trad"' not in pages and 'lang="lat"' not in pages
    assert 'lang="la"' in pages
    assert "Venit Carmelita lugdunensis" in pages  # the text is kept


def test_mapped_and_shortened_values_in_a_letter(tmp_path: Path) -> None:
    xml = FEATURES.read_text(encoding="utf-8")
    xml = xml.replace('<foreign xml:lang="fr">c\'est la vie</foreign>', '<foreign xml:lang="fra">c\'est la vie</foreign>')
    xml = xml.replace("<term>united front</term>", '<term xml:lang="de-AT-1996">united front</term>')
    corpus = feature_corpus(tmp_path)
    (corpus / "letters" / "features.xml").write_text(xml, encoding="utf-8")
    _written, warnings = export_site(collect([str(corpus)]), tmp_path / "s", mode="reading")
    page = (tmp_path / "s" / "letters" / "features.html").read_text(encoding="utf-8")
    assert '<span class="foreign" lang="fr">c\'est la vie</span>' in page
    assert '<span class="term" lang="de-AT">united front</span>' in page
    assert [w.message for w in warnings if w.code == "TT702"] == [
        'xml:lang="de-AT-1996" is not a registered BCP 47 language tag: written as lang="de-AT" (without "1996")'
    ]


# --- the feature fixture in each format -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["reading", "diplomatic"])
def test_features_text_export_keeps_every_text_node(mode: str) -> None:
    lf = read(str(FEATURES))
    assert lf.parsed.tree is not None and lf.letter is not None
    text, warnings = render_letter_text(lf.parsed.tree, lf.letter, RenderContext(path=str(FEATURES)), 72, mode)  # type: ignore[arg-type]
    assert text.strip() and tt701(warnings) == []
    assert missing_from(FEATURES, text) == []


@pytest.fixture(scope="module")
def feature_site(checked: tuple[Path, list[dict[str, object]]]) -> Path:
    return checked[0] / "features"


def test_features_site_page_is_valid_html(checked: tuple[Path, list[dict[str, object]]], feature_site: Path) -> None:
    assert (feature_site / "letters" / "features.html").is_file()
    assert errors_under(checked, "features") == []


def test_features_site_page_keeps_every_text_node_in_both_views(feature_site: Path) -> None:
    page = lxml.html.parse(str(feature_site / "letters" / "features.html")).getroot()
    for view in ("reading", "diplomatic"):  # what a reader of the view sees: its text, its notes, its apparatus
        text = section_text(page, f'//section[contains(@class, "view-{view}")]')
        assert missing_from(FEATURES, text) == [], view
    reading = section_text(page, '//section[@class="text-block"]//section[contains(@class, "view-reading")]')
    diplomatic = section_text(page, '//section[@class="text-block"]//section[contains(@class, "view-diplomatic")]')
    assert "received" in reading and "recieved" not in reading
    assert "recieved" in diplomatic and "Brussels" in diplomatic and "Brussels" not in reading


def test_features_site_has_no_unknown_element_warnings(tmp_path: Path) -> None:
    for mode in ("reading", "diplomatic", "both"):
        _written, warnings = export_site(collect([str(feature_corpus(tmp_path / mode))]), tmp_path / mode / "site", mode=mode)
        assert tt701(warnings) == [], mode
        assert [w for w in warnings if w.code == "TT702"] == [], mode


@pytest.fixture(scope="module")
def feature_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Diagnostic]]:
    base = tmp_path_factory.mktemp("fbook")
    out = base / "features.epub"
    warnings = export_epub(collect([str(feature_corpus(base))]), out)
    return out, warnings


def chapter(book: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(book) as zf:
        return etree.fromstring(zf.read(f"OEBPS/{name}"))


@needs_java
def test_features_epub_is_clean(feature_book: tuple[Path, list[Diagnostic]]) -> None:
    assert epubcheck_messages(feature_book[0]) == []


@pytest.mark.parametrize("mode", ["reading", "diplomatic"])
def test_features_epub_chapter_keeps_every_text_node(tmp_path: Path, feature_book: tuple[Path, list[Diagnostic]], mode: str) -> None:
    if mode == "reading":
        book, warnings = feature_book
    else:
        book = tmp_path / "d.epub"
        warnings = export_epub(collect([str(feature_corpus(tmp_path))]), book, mode="diplomatic")
    assert tt701(warnings) == []
    doc = chapter(book, "letter-features.xhtml")
    body = doc.find(f".//{XHTML}div[@class='letter-body']")
    assert body is not None
    notes = doc.findall(f".//{XHTML}aside")
    apparatus = doc.findall(f".//{XHTML}section[@class='apparatus']")
    assert len(notes) == 3  # the heading's, the anchor's and the back's; the note inside `app` is part of its apparatus entry
    text = " ".join(html_text(el) for el in [body, *notes, *apparatus])
    assert missing_from(FEATURES, text) == []
    shown = html_text(body)
    assert ("recieved" in shown) is (mode == "diplomatic")


# --- the EPUB chapter golden ----------------------------------------------------------------------


@pytest.mark.skipif(not LETTER_1929.is_file(), reason="the 1929 letter is not in this checkout")
def test_1929_letter_epub_chapter_golden(tmp_path: Path) -> None:
    warnings = export_epub(collect([str(CORPUS)]), tmp_path / "c.epub")
    assert warnings == []
    with zipfile.ZipFile(tmp_path / "c.epub") as zf:
        name = "OEBPS/letter-1929-04-30-trotsky-to-van-overstraeten.xhtml"  # its id: "letter-" is not said twice
        assert name in zf.namelist()
        actual = zf.read(name).decode("utf-8")
    check_golden("1929-04-30-trotsky-to-van-overstraeten.epub.xhtml", actual)
    doc = etree.fromstring(actual.encode("utf-8"))
    aid = doc.xpath("//x:a[@class='call-number']", namespaces={"x": XHTML[1:-1]})
    assert [a.get("href") for a in aid] == ["https://id.lib.harvard.edu/ead/hou00301/catalog"]
    assert doc.xpath("//x:div[@lang='en']", namespaces={"x": XHTML[1:-1]})
