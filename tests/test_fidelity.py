"""Every character of a letter's text reaches every export: the fidelity check, per file and per format.

The source's text is every text node of `text/front`, `text/body` and `text/back` (its lists of people, places and
works left out: they are the letter's registry and are shown in the registers, `test_letter_lists_reach_the_registers`).
An export keeps a letter's text when at least 99 % of the source's letters and digits (as a multiset: the order and
the spacing are the exporter's) stand in what it wrote for that letter. The PDF is checked node by node in
`test_pdf.py` (every text node in the text layer), which is stricter.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest
from _kit import body_texts
from _sitekit import SHARED_LETTERS
from lxml import etree
from lxml import html as lxml_html

from trotsky_tei.render.collect import collect
from trotsky_tei.render.epub import chapter_names, export_book
from trotsky_tei.render.site import export_html
from trotsky_tei.render.text import export_text

FEATURES = Path(__file__).resolve().parent / "data" / "features.xml"
EDITIONS = ["calvin-lettres", "schnitzler-briefe", "tei-sig-correspdesc"]


def chars(text: str) -> Counter[str]:
    return Counter(c for c in text if c.isalnum())


def kept(source: Counter[str], export: Counter[str]) -> float:
    total = sum(source.values())
    return 1.0 if total == 0 else sum(min(n, export[c]) for c, n in source.items()) / total


def source_chars(path: str) -> Counter[str]:
    return chars("".join(body_texts(etree.parse(path))))


def _exports(paths: list[str], out: Path) -> dict[str, dict[str, str]]:
    """format -> letter path -> the text that format wrote for the letter."""
    data = collect(paths)
    by_slug = {i.slug: i.letter.path for i in data.letters}
    found: dict[str, dict[str, str]] = {"text": {}, "html": {}, "epub": {}}
    _written, _stdout, _diags = export_text(paths, str(out / "text"), jobs=1)
    for info in data.letters:
        txt = out / "text" / (Path(info.letter.path).stem + ".txt")
        found["text"][info.letter.path] = txt.read_text(encoding="utf-8") if txt.is_file() else ""
    export_html(paths, out / "site")
    for slug, path in by_slug.items():
        page = out / "site" / "letters" / f"{slug}.html"
        found["html"][path] = lxml_html.parse(str(page)).getroot().text_content() if page.is_file() else ""
    export_book(paths, out / "book.epub")
    names = chapter_names(data.letters)
    with zipfile.ZipFile(out / "book.epub") as zf:
        for slug, path in by_slug.items():
            name = f"OEBPS/{names[slug]}"
            xhtml = zf.read(name) if name in zf.namelist() else b"<html/>"
            found["epub"][path] = "".join(etree.fromstring(xhtml).itertext())
    return found


def _check(paths: list[str], out: Path) -> list[str]:
    exports = _exports(paths, out)
    low = []
    for fmt, texts in exports.items():
        for path, text in texts.items():
            ratio = kept(source_chars(path), chars(text))
            if ratio < 0.99:
                low.append(f"{fmt} {Path(path).name}: {ratio:.1%}")
    return low


def test_the_feature_fixture_keeps_all_its_text(tmp_path: Path) -> None:
    assert _check([str(FEATURES)], tmp_path) == []


@pytest.mark.skipif(not SHARED_LETTERS.is_dir(), reason="../shared/data/letters is absent")
@pytest.mark.parametrize("edition", EDITIONS)
def test_real_letters_keep_their_text_in_every_export(tmp_path: Path, edition: str) -> None:
    if not (SHARED_LETTERS / edition).is_dir():
        pytest.skip(f"{edition} is absent")
    files = sorted(str(p) for p in (SHARED_LETTERS / edition).glob("*.xml"))
    assert _check(files, tmp_path) == []


@pytest.mark.skipif(not (SHARED_LETTERS / "schnitzler-briefe").is_dir(), reason="../shared/data/letters/schnitzler-briefe is absent")
def test_letter_lists_reach_the_registers(tmp_path: Path) -> None:
    """The Schnitzler letters list the people, places, works and events they name in their `back`: those entries
    are the letters' registry, so the names resolve and the register pages show every entry the letters name."""
    src = SHARED_LETTERS / "schnitzler-briefe"
    data = collect([str(src)])
    named = {e.id for i in data.letters for e in i.mentioned} | {e.id for i in data.letters for _n, e in i.senders if e}
    assert len(named) > 50
    export_html([str(src)], tmp_path / "site")
    pages = "".join((tmp_path / "site" / f"{p}.html").read_text(encoding="utf-8") for p in ("persons", "places", "orgs", "works", "events"))
    missing = [i for i in named if f'id="{i}"' not in pages]
    assert missing == []
    letter = next(i for i in data.letters if i.letter.path.endswith("L00774.xml"))
    assert [e.id if e else None for _n, e in letter.recipients] == ["pmb10815"]  # Hermann Bahr, from the letter's own list
    assert "Freiwild" in (tmp_path / "site" / "works.html").read_text(encoding="utf-8")  # the work it names (listBibl)
