"""The edition's own language: every label from a catalogue (en, de, fr), dates written in the language, --lang."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _sitekit import FIXTURE

from trotsky_tei.cli import main
from trotsky_tei.i18n import LANGUAGES, Lang, Messages, choose
from trotsky_tei.model import LetterDate

PACKAGE = Path(__file__).resolve().parents[1] / "trotsky_tei"
KEYWORDS = {"t": None, "N_": None, "Nn_": (1, 2), "n": (1, 2), "_": None, "gettext": None, "ngettext": (1, 2)}
FIELD = re.compile(r"%\((\w+)\)s")


def used_messages() -> dict[str | tuple[str, str], str]:
    """Every message id the code and the page templates use (Babel's extractors), with where it is used."""
    from babel.messages.extract import extract_from_file

    found: dict[str | tuple[str, str], str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for lineno, msg, _c, _ctx in extract_from_file("python", str(path), keywords=KEYWORDS):
            found.setdefault(msg, f"{path.name}:{lineno}")
    for path in sorted((PACKAGE / "templates").glob("*.html")):
        for lineno, msg, _c, _ctx in extract_from_file("jinja2.ext:babel_extract", str(path), keywords=KEYWORDS,
                                                        options={"extensions": "jinja2.ext.i18n"}):
            found.setdefault(msg, f"{path.name}:{lineno}")
    return found


def test_the_code_uses_a_good_number_of_messages() -> None:
    used = used_messages()
    assert len(used) > 80 and "About this letter" in used and ("%(num)s letter", "%(num)s letters") in used


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_every_message_is_translated_with_the_same_fields(code: str) -> None:
    from babel.messages.pofile import read_po

    with (PACKAGE / "locale" / f"{code}.po").open("rb") as fh:
        catalog = read_po(fh, locale=code)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = {m: where for m, where in used_messages().items() if not translated.get(m)}
    assert missing == {}, f"{code}.po lacks these messages"
    for msgid, string in translated.items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = string if isinstance(string, tuple) else (string,)
        for s in strings:
            assert s, msgid
            assert set(FIELD.findall(s)) == set(FIELD.findall(ids[0])), (code, msgid, s)
    unused = set(translated) - set(used_messages())
    assert unused == set(), f"{code}.po has messages nothing uses"


@pytest.mark.parametrize(("lang", "day", "month", "span"), [
    ("en", "30 April 1929", "April 1929", "1\u2009–\u20093 May 1929"),  # thin spaces, as CLDR writes it
    ("de", "30. April 1929", "April 1929", "1.–3. Mai 1929"),
    ("fr", "30 avril 1929", "avril 1929", "1–3 mai 1929"),
])
def test_dates_are_written_in_the_language(lang: str, day: str, month: str, span: str) -> None:
    t = Messages(lang)
    assert t.date(LetterDate(when="1929-04-30", text="the 30th")) == day
    assert t.date(LetterDate(when="1929-04")) == month
    assert t.date(LetterDate(when="1929")) == "1929"
    assert t.date(LetterDate(not_before="1929-05-01", not_after="1929-05-03")) == span


def test_dates_that_are_not_iso_are_shown_as_the_letter_gives_them() -> None:
    t = Messages("de")
    assert t.date(LetterDate(when="1929-02-30", text="30 Feb 1929")) == "30 Feb 1929"
    assert t.date(LetterDate(text="Ostern")) == "Ostern"
    assert t.date(None) == "undatiert"
    assert t.date(LetterDate(not_before="1929-05-01")) == "nach 1. Mai 1929"
    assert t.date(LetterDate(when="1929-05-01", cert="low")) == "1. Mai 1929 (unsicher)"


def test_choose_takes_the_first_language_with_a_catalogue() -> None:
    assert choose("", "de") == Lang("de", "de_DE")
    assert choose("fra") == Lang("fr", "fr_FR")
    assert choose("de-AT").locale == "de_AT" and choose("de-AT").code == "de"
    assert choose("ru", "la") == Lang()  # no catalogue: English
    assert choose("ru", "fr").code == "fr"
    assert Messages("fr").n("%(num)s letter", "%(num)s letters", 1) == "1 lettre"
    assert Messages("de").n("%(num)s letter", "%(num)s letters", 3) == "3 Briefe"


def test_a_site_in_german_has_german_labels_and_dates(tmp_path: Path) -> None:
    assert main(["export", "html", str(FIXTURE), "-o", str(tmp_path / "de"), "--lang", "de"]) == 0
    index = (tmp_path / "de" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in index
    assert "Briefe in zeitlicher Folge" in index and ">Personen</a>" in index
    assert '<time datetime="1929-04-30">30. April 1929</time>' in index
    letter = (tmp_path / "de" / "letters" / "l1.html").read_text(encoding="utf-8")
    for label in ("Zu diesem Brief", "<dt>Von</dt>", "<dt>Datum</dt>", "Anmerkungen", "Zitiervorschlag", "Lesetext"):
        assert label in letter
    for english in ("About this letter", "<dt>From</dt>", "How to cite", ">Notes<"):
        assert english not in letter


def test_text_and_epub_headers_follow_the_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "text", str(FIXTURE / "letters"), "-o", "-", "--lang", "fr"]) == 0
    text = capsys.readouterr().out
    assert "Date:" in text and "De:" in text and "30 avril 1929" in text and "Notes\n-----" in text


def test_an_unknown_language_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["export", "html", str(FIXTURE), "-o", str(tmp_path / "x"), "--lang", "ru"]) == 2


def test_gaps_and_page_breaks_are_said_in_the_language() -> None:
    from lxml import etree

    from trotsky_tei.render.core import gap_text, page_label

    gap = etree.fromstring('<gap xmlns="http://www.tei-c.org/ns/1.0" reason="illegible" quantity="2" unit="words"/>')
    assert gap_text(gap) == "[… illegible, 2 words]"
    assert gap_text(gap, Messages("de")) == "[… unleserlich, 2 Wörter]"
    assert gap_text(gap, Messages("fr")) == "[… illisible, 2 mots]"
    odd = etree.fromstring('<gap xmlns="http://www.tei-c.org/ns/1.0" reason="coffee_stain" quantity="3" unit="smudge"/>')
    assert gap_text(odd, Messages("de")) == "[… coffee stain, 3 smudges]"  # values we do not know: as the file says
    pb = etree.fromstring('<pb xmlns="http://www.tei-c.org/ns/1.0" n="3"/>')
    assert page_label(pb, Messages("de")) == "[S. 3]" and page_label(pb) == "[p. 3]"


def test_the_book_speaks_the_language(tmp_path: Path) -> None:
    import zipfile

    assert main(["export", "epub", str(FIXTURE), "-o", str(tmp_path / "b.epub"), "--lang", "de", "--jobs", "1"]) == 0
    with zipfile.ZipFile(tmp_path / "b.epub") as zf:
        names = zf.namelist()
        nav = zf.read(next(n for n in names if n.endswith("nav.xhtml"))).decode("utf-8")
        chapter = zf.read(next(n for n in names if n.endswith("l1.xhtml"))).decode("utf-8")
        colophon = zf.read(next(n for n in names if n.endswith("colophon.xhtml"))).decode("utf-8")
    assert "<h1>Inhalt</h1>" in nav and "Titelseite" in nav
    assert "<dt>Von</dt>" in chapter and "30. April 1929" in chapter and "<h2>Anmerkungen</h2>" in chapter
    assert "<h1>Impressum</h1>" in colophon and "Herausgegeben von Ada Editor" in colophon


def test_the_print_edition_speaks_the_language(tmp_path: Path) -> None:
    pytest.importorskip("typst", reason="Typst is not installed (pip install 'trotsky-tei[pdf]')")
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed")
    assert main(["export", "pdf", str(FIXTURE), "-o", str(tmp_path / "b.pdf"), "--lang", "de", "--jobs", "1"]) == 0
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pypdf.PdfReader(tmp_path / "b.pdf").pages)
    for words in ("Inhalt", "Herausgegeben von Ada Editor", "30. April 1929", "Personen", "Signaturen", "Impressum"):
        assert words in text, words
    assert "Contents" not in text and "Colophon" not in text


def test_a_rebuild_in_another_language_equals_a_fresh_build_in_it(tmp_path: Path) -> None:
    """The language is part of every cached result's key: switching it renders everything again, nothing stale."""
    from _sitekit import tree_bytes

    out, fresh = tmp_path / "e", tmp_path / "fresh"
    args = ["--jobs", "1", "--no-pdf", "--no-search"]
    first = main(["build", str(FIXTURE), "-o", str(out), *args])  # the fixture has errors on purpose: exit 1
    assert main(["build", str(FIXTURE), "-o", str(out), *args, "--lang", "de"]) == first
    assert main(["build", str(FIXTURE), "-o", str(fresh), *args, "--lang", "de"]) == first
    ours = {k: v for k, v in tree_bytes(out).items() if not k.startswith(".trotsky-tei-cache")}
    assert ours == {k: v for k, v in tree_bytes(fresh).items() if not k.startswith(".trotsky-tei-cache")}
    assert b"Zu diesem Brief" in ours["site/letters/l1.html"] and b"Datum:" in ours["text/l1.txt"]
