"""A letter a scholar can cite: citation, TEI source beside the page, canonical link, JSON-LD and sitemap.xml."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import lxml.html
import pytest
from _sitekit import FIXTURE

from trotsky_tei.render.collect import collect
from trotsky_tei.render.site import export_site

BASE = "https://letters.example.org/edition/"


@pytest.fixture(scope="module")
def with_url(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture edition with a base URL in edition.xml, built."""
    corpus = tmp_path_factory.mktemp("cite") / "corpus"
    shutil.copytree(FIXTURE, corpus)
    ed = corpus / "edition.xml"
    ed.write_text(ed.read_text(encoding="utf-8").replace(
        '<idno type="URI">', f'<idno type="URL">{BASE}</idno>\n        <idno type="URI">'), encoding="utf-8")
    out = corpus.parent / "site"
    export_site(collect([str(corpus)]), out)
    return out


def test_each_letter_has_its_tei_source_beside_its_page(with_url: Path) -> None:
    page = (with_url / "letters" / "l1.html").read_text(encoding="utf-8")
    href = lxml.html.fromstring(page).xpath("//p[@class='source-link']/a/@href")
    assert href == ["l1.xml"]
    assert (with_url / "letters" / "l1.xml").read_bytes() == (FIXTURE / "letters" / "1929-04-30-trotsky-to-overstraeten.xml").read_bytes()


def test_citation_canonical_link_and_json_ld_with_a_base_url(with_url: Path) -> None:
    page = (with_url / "letters" / "l1.html").read_text(encoding="utf-8")
    doc = lxml.html.fromstring(page)
    assert doc.xpath("//link[@rel='canonical']/@href") == [BASE + "letters/l1.html"]
    citation = doc.xpath("string(//p[@class='citation'])")
    assert citation.startswith("Ada Editor (ed.), Test Letters & Papers, “Trotsky to van Overstraeten, 30 April 1929”")
    assert citation.endswith(BASE + "letters/l1.html")
    data = json.loads(doc.xpath("string(//script[@type='application/ld+json'])"))
    assert data["@type"] == ["Message", "ArchiveComponent"] and data["url"] == BASE + "letters/l1.html"
    assert data["sender"][0]["name"] == "Leon Trotsky" and data["dateCreated"] == "1929-04-30"
    assert data["holdingArchive"]["name"] == "Houghton Library" and data["identifier"] == ["Houghton Library, MS Russ 13.1 (10708)"]


def test_json_ld_cannot_end_its_script_element(with_url: Path) -> None:
    page = (with_url / "letters" / "l3.html").read_text(encoding="utf-8")  # a title with <odd> in it
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert script is not None and "<" not in script.group(1)
    assert "\\u003codd\\u003e" in script.group(1)


def test_sitemap_lists_every_page(with_url: Path) -> None:
    sitemap = (with_url / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    pages = sorted(str(p.relative_to(with_url)) for p in with_url.rglob("*.html"))
    assert sorted(loc.removeprefix(BASE) for loc in locs) == pages


def test_without_a_base_url_no_canonical_no_json_ld_no_sitemap(tmp_path: Path) -> None:
    export_site(collect([str(FIXTURE)]), tmp_path / "s")
    page = (tmp_path / "s" / "letters" / "l1.html").read_text(encoding="utf-8")
    assert 'rel="canonical"' not in page and "ld+json" not in page
    assert not (tmp_path / "s" / "sitemap.xml").exists()
    assert "letters/l1.html</p>" in page  # the citation ends with the page's path in the edition
