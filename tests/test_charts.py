"""The inline SVG charts: reproducible bytes, escaping, accessibility, the data drawn, edge cases, valid HTML."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from _sitekit import needs_java, vnu_errors
from lxml import etree
from lxml import html as lxml_html

from trotsky_tei.render.charts import (
    DEFAULT_LABELS,
    MAX_LABEL,
    Chart,
    clean,
    letters_per_year,
    line_width,
    network,
)

SVG = "http://www.w3.org/2000/svg"
S = {"s": SVG}
HOSTILE = '<script>alert(1)</script> & "x"'

NODES = [
    ("trotsky", "Leo Trotsky", "persons.html#trotsky"),
    ("sedova", "Natalia Sedova", "persons.html#sedova"),
    ("serge", "Victor Serge", None),
    ("rosmer", "Alfred Rosmer", "persons.html#rosmer"),
]
EDGES = {
    ("trotsky", "sedova"): 12,
    ("sedova", "trotsky"): 9,
    ("trotsky", "serge"): 3,
    ("rosmer", "trotsky"): 1,
    ("serge", "rosmer"): 2,
}
YEARS = {1917: 3, 1919: 1, 1929: 12, 1921: 0}


def years_chart(**kw: object) -> Chart:
    args: dict[str, object] = {"title": "Letters per year", "desc": "How many letters each year.", **kw}
    return letters_per_year(kw.pop("counts", YEARS), **args)  # type: ignore[arg-type]


def net_chart(nodes: object = NODES, edges: object = EDGES, **kw: object) -> Chart:
    args: dict[str, object] = {"title": "Network", "desc": "Who wrote to whom.", **kw}
    return network(nodes, edges, **args)  # type: ignore[arg-type]


def svg_of(chart: Chart) -> etree._Element:
    root = etree.fromstring(chart.svg)
    assert root.tag == f"{{{SVG}}}svg"
    return root


def table_of(chart: Chart) -> lxml_html.HtmlElement:
    table = lxml_html.fragment_fromstring(chart.table)
    assert table.tag == "table"
    return table


def texts(root: etree._Element, xpath: str) -> list[str]:
    return ["".join(el.itertext()) for el in root.xpath(xpath, namespaces=S)]


def local_names(root: etree._Element) -> set[str]:
    return {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}


def stroke_widths(root: etree._Element) -> dict[str, float]:
    """The pair lines' widths by their tooltip ("A – B: n letters")."""
    return {
        line.findtext("s:title", namespaces=S) or "": float(line.get("stroke-width"))
        for line in root.xpath("//s:g[@class='pairs']/s:line", namespaces=S)
    }


# --- both charts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [years_chart, net_chart])
def test_same_input_same_bytes(make: object) -> None:
    first, second = make(), make()  # type: ignore[operator]
    assert first.svg == second.svg and first.table == second.table
    assert first.svg and not first.svg.startswith("<?xml")


def test_edge_order_does_not_change_the_network() -> None:
    backwards = dict(reversed(list(EDGES.items())))
    assert net_chart(edges=backwards) == net_chart()


@pytest.mark.parametrize("make", [years_chart, net_chart])
def test_svg_is_an_accessible_image(make: object) -> None:
    chart = make(title="A title", desc="A description.", id_prefix="my chart!")  # type: ignore[operator]
    root = svg_of(chart)
    # an image, or (where it holds links: a link inside role="img" is out of a screen reader's reach) the svg's own
    # role, a graphics document; labelled by its title and desc either way
    assert root.get("role") == (None if root.find(f".//{{{SVG}}}a") is not None else "img")
    title, desc = root[0], root[1]
    assert title.tag == f"{{{SVG}}}title" and title.text == "A title"
    assert desc.tag == f"{{{SVG}}}desc" and desc.text and desc.text.startswith("A description.")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert ids == ["my-chart-title", "my-chart-desc"]  # sanitised, prefixed, and no other ids
    view = [float(v) for v in root.get("viewBox", "").split()]
    assert view[:2] == [0, 0] and view[2] == float(root.get("width", "")) and view[3] == float(root.get("height", ""))
    assert "font-family" not in chart.svg  # the page's font is inherited
    assert not {"script", "foreignObject", "style"} & local_names(root)
    table = table_of(chart)
    assert table.findtext("caption").startswith("A title")


@pytest.mark.parametrize("make", [years_chart, net_chart])
def test_every_coordinate_has_one_decimal(make: object) -> None:
    root = svg_of(make())  # type: ignore[operator]
    for el in root.iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "stroke-width"):
            value = el.get(name)
            assert value is None or re.fullmatch(r"-?\d+\.\d", value), (name, value)


def test_hostile_labels_are_escaped_everywhere() -> None:
    nodes = [("a", HOSTILE, 'javascript:alert("x")'), ("b<", "B & <i>b</i>", 'persons.html#b"><script>')]
    chart = net_chart(nodes, {("a", "b<"): 2}, title=HOSTILE, desc=HOSTILE, labels={"letters": "<b>letters</b>"})
    root = svg_of(chart)
    assert "script" not in local_names(root) and "i" not in local_names(root) and "b" not in local_names(root)
    assert "<script" not in chart.svg and "<script" not in chart.table and "<i>" not in chart.table
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in chart.svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;" in chart.table
    assert root.findtext("s:title", namespaces=S) == clean(HOSTILE)
    assert "javascript:" not in chart.svg and "javascript:" not in chart.table  # an unsafe link is left out
    table = table_of(chart)
    assert not table.xpath("//script | //i | //b")
    assert [a.get("href") for a in table.iter("a")] == ['persons.html#b"><script>']  # escaped as an attribute
    years = letters_per_year({1900: 1}, title=HOSTILE, desc=HOSTILE, year_href=lambda y: f'y/{y}.html"><script>')
    assert "<script" not in years.svg and "<script" not in years.table
    assert svg_of(years).xpath("//s:a/@href", namespaces=S)[0] == 'y/1900.html"><script>'


def test_labels_are_bounded_and_cleaned() -> None:
    long = "Wolfgang Amadeus " * 10
    assert clean(long) == clean(long)[: MAX_LABEL - 1] + "…" and len(clean(long)) == MAX_LABEL
    assert clean("a\x00b\x0b c\n\t d\ufffe") == "ab c d"
    chart = net_chart([("x", long, None), ("y", "control\x01char", None)], {("x", "y"): 1})
    drawn = texts(svg_of(chart), "//s:g[@class='nodes']//s:text")
    assert max(len(t) for t in drawn) == MAX_LABEL and "controlchar" in drawn


def test_labels_are_translated() -> None:
    german = {
        "letter": "Brief",
        "letters": "Briefe",
        "year": "Jahr",
        "count": "Briefe",
        "total": "Summe",
        "years_summary": "{total} von {first} bis {last}.",
        "unknown": "ignored",
    }
    chart = years_chart(labels=german)
    assert svg_of(chart)[1].text == "How many letters each year. 16 Briefe von 1917 bis 1929."
    assert '<th scope="col">Jahr</th>' in chart.table and "Summe" in chart.table
    assert "1929: 12 Briefe" in texts(svg_of(chart), "//s:title")
    one = letters_per_year({1900: 1}, title="t", desc="d", labels=german)
    assert "1900: 1 Brief" in texts(svg_of(one), "//s:title")
    assert set(DEFAULT_LABELS) >= {"letter", "letters", "year", "count", "left_out", "line_width"}


# --- letters per year ----------------------------------------------------------------------------------------------


def test_one_bar_place_per_year_of_the_span() -> None:
    chart = years_chart(year_href=lambda y: f"years/{y}.html" if y in YEARS else None)
    root = svg_of(chart)
    groups = root.xpath("//s:g[@class='bars']/*", namespaces=S)
    assert len(groups) == 1929 - 1917 + 1
    assert len(root.xpath("//s:g[@class='bars']//s:rect", namespaces=S)) == 3  # empty years have no bar
    titles = [g.findtext("s:title", namespaces=S) for g in groups]
    assert titles[0] == "1917: 3 letters" and titles[1] == "1918: 0 letters" and titles[2] == "1919: 1 letter"
    # the bar heights follow the counts
    heights = {
        g.findtext("s:title", namespaces=S): float(g.find("s:rect", S).get("height"))
        for g in groups
        if g.find("s:rect", S) is not None
    }
    assert heights["1929: 12 letters"] == pytest.approx(4 * heights["1917: 3 letters"], abs=0.2)
    # each bar labelled with its count, each year written below
    assert texts(root, "//s:g[@class='bars']//s:text")[:3] == ["3", "0", "1"]
    assert texts(root, "//s:g[@class='years']//s:text") == [str(y) for y in range(1917, 1930)]
    # links where year_href gives one: the bar and the year label
    hrefs = root.xpath("//s:a/@href", namespaces=S)
    assert sorted(set(hrefs)) == ["years/1917.html", "years/1919.html", "years/1921.html", "years/1929.html"]
    assert len(hrefs) == 2 * 4  # the bar (or empty place) and the year label
    table = table_of(chart)
    rows = [[c.text_content() for c in tr] for tr in table.xpath("tbody/tr")]
    assert rows[0] == ["1917", "3"] and rows[-1] == ["1929", "12"] and len(rows) == 13
    assert table.xpath("tfoot//td")[0].text == "16"
    assert [a.get("href") for a in table.iter("a")] == [
        "years/1917.html",
        "years/1919.html",
        "years/1921.html",
        "years/1929.html",
    ]


def test_y_axis_has_a_few_integer_ticks() -> None:
    root = svg_of(letters_per_year({1900: 57, 1901: 3}, title="t", desc="d"))
    ticks = [int(t) for t in texts(root, "//s:g[@class='axis']/s:text")[1:]]
    assert ticks == [0, 20, 40, 60]
    root = svg_of(letters_per_year({1900: 1}, title="t", desc="d"))
    assert texts(root, "//s:g[@class='axis']/s:text")[1:] == ["0", "1"]


def test_no_dated_letters() -> None:
    for counts in ({}, {1900: 0}):
        chart = letters_per_year(counts, title="Per year", desc="d")
        assert chart.svg == ""
        table = table_of(chart)
        assert table.findtext("caption") == "Per year" and "No dated letters." in table.text_content()


def test_one_year() -> None:
    chart = letters_per_year({1929: 1}, title="t", desc="d")
    root = svg_of(chart)
    assert len(root.xpath("//s:rect", namespaces=S)) == 1
    bar = root.xpath("//s:rect", namespaces=S)[0]
    assert float(bar.get("width")) <= 60  # not one bar as wide as the picture
    assert "1 letter from 1929 to 1929" in root[1].text


def test_two_hundred_years_thin_the_labels_not_the_picture() -> None:
    counts = {y: (y * 7) % 23 for y in range(1800, 2000)}
    chart = letters_per_year(counts, title="t", desc="d", year_href=lambda y: f"{y}.html")
    root = svg_of(chart)
    assert root.get("width") == "720.0"  # the same width (so the same font size) as a short span
    assert len(root.xpath("//s:g[@class='bars']/*", namespaces=S)) == 200
    years = texts(root, "//s:g[@class='years']//s:text")
    assert years == [str(y) for y in range(1800, 2000, 10)]
    assert not texts(root, "//s:g[@class='bars']//s:text")  # no room for 200 counts: they are in the tooltips
    assert len(table_of(chart).xpath("tbody/tr")) == 200


def test_many_years_rotate_the_year_labels() -> None:
    root = svg_of(letters_per_year({y: 1 for y in range(1900, 1940)}, title="t", desc="d"))
    labels = root.xpath("//s:g[@class='years']//s:text", namespaces=S)
    assert len(labels) == 40 and all(t.get("transform", "").startswith("rotate(-90") for t in labels)
    root = svg_of(letters_per_year({y: 1 for y in range(1900, 1910)}, title="t", desc="d"))
    assert not root.xpath("//s:g[@class='years']//s:text[@transform]", namespaces=S)


# --- the network ---------------------------------------------------------------------------------------------------


def test_network_draws_a_line_per_pair_with_widths_by_letters() -> None:
    chart = net_chart()
    root = svg_of(chart)
    widths = stroke_widths(root)
    assert set(widths) == {
        "Leo Trotsky – Natalia Sedova: 21 letters",
        "Leo Trotsky – Victor Serge: 3 letters",
        "Victor Serge – Alfred Rosmer: 2 letters",
        "Leo Trotsky – Alfred Rosmer: 1 letter",
    }
    ordered = [widths[k] for k in sorted(widths, key=lambda k: int(k.rsplit(": ", 1)[1].split()[0]))]
    assert ordered == sorted(ordered) and len(set(ordered)) == 4
    assert [line_width(n) for n in (1, 2, 3, 4, 8, 16, 1000)] == sorted(
        line_width(n) for n in (1, 2, 3, 4, 8, 16, 1000)
    )
    assert line_width(1) == 1.0 and line_width(10**6) == line_width(16)


def test_network_nodes_labels_and_links() -> None:
    root = svg_of(net_chart())
    nodes = root.xpath("//s:g[@class='nodes']/*", namespaces=S)
    # by letters: Trotsky 27, Sedova 21, Serge 5, Rosmer 3
    assert [n.xpath("string(s:text)", namespaces=S) for n in nodes] == [
        "Leo Trotsky",
        "Natalia Sedova",
        "Victor Serge",
        "Alfred Rosmer",
    ]
    assert [n.get("href") for n in nodes] == [
        "persons.html#trotsky",
        "persons.html#sedova",
        None,
        "persons.html#rosmer",
    ]
    assert [etree.QName(n).localname for n in nodes] == ["a", "a", "g", "a"]
    # labels outside the circle: on the right anchored at the start, on the left at the end; Trotsky, who wrote to
    # all the others, is the hub in the middle with his label centred below him
    for n in nodes[1:]:
        circle, text = n.find("s:circle", S), n.find("s:text", S)
        anchor = text.get("text-anchor")
        assert (anchor == "start") == (float(text.get("x")) > float(circle.get("cx")))
    assert [n.find("s:text", S).get("text-anchor") for n in nodes][0] == "middle"
    assert {n.find("s:text", S).get("text-anchor") for n in nodes[1:]} == {"start", "end"}


def test_network_labels_do_not_overlap() -> None:
    nodes = [(f"p{i:02}", f"Correspondent number {i}", None) for i in range(40)]
    edges = {("p00", f"p{i:02}"): 40 - i for i in range(1, 40)}
    root = svg_of(network(nodes, edges, title="t", desc="d"))
    by_side: dict[str, list[float]] = {}
    for text in root.xpath("//s:g[@class='nodes']//s:text", namespaces=S):
        by_side.setdefault(text.get("text-anchor"), []).append(float(text.get("y")))
    assert len(by_side.pop("middle")) == 1  # p00 wrote to all: the hub, in the middle; the others round it
    assert sorted(len(v) for v in by_side.values()) == [19, 20]
    for ys in by_side.values():
        ys.sort()
        assert min(b - a for a, b in itertools.pairwise(ys)) >= 15.9  # at least a line (16) apart
    width = float(root.get("width"))
    for text in root.xpath("//s:g[@class='nodes']//s:text", namespaces=S):
        assert 0 < float(text.get("x")) < width


def test_network_table() -> None:
    table = table_of(net_chart())
    rows = [[c.text_content() for c in tr] for tr in table.xpath("tbody/tr")]
    assert rows == [
        ["Leo Trotsky – Natalia Sedova", "21", "Leo Trotsky → Natalia Sedova: 12, Natalia Sedova → Leo Trotsky: 9"],
        ["Leo Trotsky – Victor Serge", "3", "Leo Trotsky → Victor Serge: 3, Victor Serge → Leo Trotsky: 0"],
        ["Victor Serge – Alfred Rosmer", "2", "Victor Serge → Alfred Rosmer: 2, Alfred Rosmer → Victor Serge: 0"],
        ["Leo Trotsky – Alfred Rosmer", "1", "Leo Trotsky → Alfred Rosmer: 0, Alfred Rosmer → Leo Trotsky: 1"],
    ]
    first = table.xpath("tbody/tr")[0]
    assert [a.get("href") for a in first.iter("a")] == ["persons.html#trotsky", "persons.html#sedova"]
    assert not table.xpath("tbody/tr[2]/th/a[text()='Victor Serge']")  # no register link given


def test_network_limit() -> None:
    nodes = [(f"p{i:02}", f"Person {i:02}", f"persons.html#p{i:02}") for i in range(50)]
    edges = {("p00", f"p{i:02}"): 100 - i for i in range(1, 50)}
    chart = network(nodes, edges, title="t", desc="d", limit=10)
    root = svg_of(chart)
    shown = texts(root, "//s:g[@class='nodes']//s:text")
    assert shown == [f"Person {i:02}" for i in range(10)]  # the ten with the most letters
    assert len(stroke_widths(root)) == 9
    assert "40 more correspondents with fewer letters are not shown." in root[1].text
    table = table_of(chart)
    assert "40 more correspondents" in table.findtext("caption/span") and len(table.xpath("tbody/tr")) == 9
    assert len(texts(svg_of(network(nodes, edges, title="t", desc="d")), "//s:g[@class='nodes']//s:text")) == 40
    assert "not shown" not in (svg_of(network(nodes[:5], edges, title="t", desc="d"))[1].text or "")


def test_network_edge_cases() -> None:
    empty = net_chart([], {})
    assert empty.svg == "" and "No correspondents." in table_of(empty).text_content()
    one = net_chart(NODES[:1], {})
    root = svg_of(one)
    assert texts(root, "//s:g[@class='nodes']//s:text") == ["Leo Trotsky"]
    assert not root.xpath("//s:g[@class='pairs']/*", namespaces=S) and not root.xpath(
        "//s:g[@class='legend']", namespaces=S
    )
    assert [[c.text_content() for c in tr] for tr in table_of(one).xpath("tbody/tr")] == [
        ["Leo Trotsky", "0", "no letters to or from the others shown"]
    ]
    # no edges, self letters, unknown ids, zero counts and repeated ids: nodes still drawn, nothing else
    odd = net_chart(
        NODES + [("trotsky", "Duplicate", None)],
        {("trotsky", "trotsky"): 5, ("x", "trotsky"): 2, ("serge", "sedova"): 0},
    )
    root = svg_of(odd)
    assert len(texts(root, "//s:g[@class='nodes']//s:text")) == 4 and "Duplicate" not in odd.svg
    assert not stroke_widths(root)
    two = svg_of(net_chart(NODES[:2], {("trotsky", "sedova"): 1}))
    assert len(stroke_widths(two)) == 1 and {
        t.get("text-anchor") for t in two.xpath("//s:g[@class='nodes']//s:text", namespaces=S)
    } == {"start", "end"}


@needs_java
def test_charts_are_valid_html(tmp_path: Path) -> None:
    charts = [
        years_chart(year_href=lambda y: f"years/{y}.html"),
        net_chart(),
        net_chart(NODES[:1], {}, id_prefix="one"),
        letters_per_year({y: y % 5 for y in range(1800, 2000)}, title="t", desc="d", id_prefix="many"),
    ]
    body = "\n".join(f"<figure>{c.svg}</figure>\n{c.table}" for c in charts)
    (tmp_path / "charts.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Charts</title></head><body><main>\n{body}\n</main></body></html>\n',
        encoding="utf-8",
    )
    assert vnu_errors(tmp_path) == []


def test_a_chart_with_links_is_not_an_image_one_without_is() -> None:
    assert svg_of(years_chart(year_href=lambda y: f"years/{y}.html")).get("role") is None
    assert svg_of(years_chart()).get("role") == "img"


def test_a_star_network_puts_its_hub_in_the_middle() -> None:
    """One person's letters (everyone wrote to or got letters from the hub): the hub at the centre, its label below."""
    nodes = [("hub", "Leon Trotsky", None)] + [(f"p{i}", f"Person {i}", None) for i in range(8)]
    edges = {("hub", f"p{i}"): i + 1 for i in range(8)}
    root = etree.fromstring(network(nodes, edges, title="t", desc="d").svg.encode())
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    xs = sorted(float(c.get("cx")) for c in circles)
    hub = max(circles, key=lambda c: float(c.get("r")))
    assert xs[0] < float(hub.get("cx")) < xs[-1]  # neither end: in the middle
    label = hub.getparent().find("{http://www.w3.org/2000/svg}text")
    assert label.get("text-anchor") == "middle" and label.text == "Leon Trotsky"
