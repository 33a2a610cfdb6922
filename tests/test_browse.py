"""Browsing: the timeline and a page per year, the correspondences and a page per pair, linked from the registers."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from _sitekit import FIXTURE, needs_java, vnu_errors

from trotsky_tei.render.collect import collect
from trotsky_tei.render.site import export_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browse") / "site"
    export_site(collect([str(FIXTURE)]), out)
    return out


def doc(site: Path, rel: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / rel).read_text(encoding="utf-8"))


def test_a_page_per_year_with_its_letters_in_order(site: Path) -> None:
    y1929 = doc(site, "years/1929.html")
    assert y1929.xpath("string(//h1)") == "Letters of 1929"
    assert y1929.xpath("//tbody//td[2]/a/@href") == ["../letters/l1.html", "../letters/l2.html"]
    assert y1929.xpath("//a[@rel='next']/@href") == ["../years/1930.html"] and not y1929.xpath("//a[@rel='prev']")
    assert doc(site, "years/1930.html").xpath("//tbody//td[2]/a/@href") == ["../letters/l3.html"]


def test_timeline_links_every_year_and_has_a_chart_with_a_text_alternative(site: Path) -> None:
    tl = doc(site, "timeline.html")
    assert tl.xpath("//ul[@class='years']//a/@href") == ["years/1929.html", "years/1930.html"]
    assert "2 letters" in tl.xpath("string(//ul[@class='years'])")
    svg = tl.xpath("//figure[@class='chart']/*[local-name()='svg']")
    assert len(svg) == 1 and svg[0].get("aria-labelledby")  # its bars link to the years: not role="img"
    assert tl.xpath("//details[@class='chart-data']//table")  # the same figures as a table


def test_a_page_per_correspondence_both_directions(site: Path) -> None:
    page = doc(site, "correspondences/trotsky--overstraeten.html")
    assert page.xpath("//tbody//td[2]/a/@href") == ["../letters/l1.html", "../letters/l2.html"]  # to and from
    assert page.xpath("//tbody//td[3]//text()") == ["Leon Trotsky", "W. van Overstraeten"]
    index = doc(site, "correspondences.html")
    assert index.xpath("//ul[@class='correspondences']//a/@href")[0] == "correspondences/trotsky--overstraeten.html"
    assert index.xpath("//figure[@class='chart']/*[local-name()='svg']")


def test_registers_link_a_persons_correspondences(site: Path) -> None:
    persons = doc(site, "persons.html")
    links = persons.xpath("//section[@id='trotsky']//a[starts-with(@href, 'correspondences/')]/@href")
    assert links == ["correspondences/trotsky--overstraeten.html", "correspondences/evil--trotsky.html"]


def test_the_menu_leads_to_timeline_and_correspondences(site: Path) -> None:
    nav = doc(site, "index.html").xpath("//nav[@class='site-nav']//a/@href")
    assert "timeline.html" in nav and "correspondences.html" in nav


@needs_java
def test_browsing_pages_are_valid_html(site: Path) -> None:
    assert vnu_errors(site) == []
