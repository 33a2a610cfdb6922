"""Two pictures of an edition as inline SVG, drawn at build time: letters per year and the correspondence network.

No JavaScript, no dependency beyond lxml: each function takes plain data and returns a `Chart`, the serialised
`<svg>` (role="img", or its own graphics-document role where it holds links; labelled by its own `<title>` and `<desc>`) and a text alternative, an HTML `<table>` with a
`<caption>` giving the same data, which the page puts beside or below the picture.

Byte-reproducible: every coordinate is written with one decimal, everything drawn is sorted, and nothing depends
on the clock, the locale or hash order. Readable in print: dark (`currentColor`) on white, sizes and line widths
rather than colours carry the meaning, fonts are the page's own (no `font-family` is set, so it is inherited).
Every label is data, never markup: lxml escapes the SVG's text and attributes, the table is escaped by `esc`,
links pass `safe_href`, and labels are folded and cut to `MAX_LABEL` characters (`MAX_TABLE_LABEL` in the table).

Fixed words (pass `labels` to translate them; missing keys fall back to English, unknown keys are ignored;
`{name}` in a sentence is filled in, any other text is kept as written):

    letter, letters     a count's word, singular (exactly 1) and plural: "1 letter", "12 letters"
    year                the year column's heading
    count               the heading of the number of letters (table column, the bar chart's axis)
    total               the bar chart table's total row
    no_dated            the bar chart table when there are no dated letters
    years_summary       appended to the bar chart's desc: {total} (a count with its word), {first}, {last},
                        {peak} (the earliest year with the most letters), {peak_count} (a count with its word)
    pair                the network table's first column heading (the two correspondents)
    by_direction        the network table's third column heading ("A → B: 3, B → A: 1")
    no_exchange         the network table's third column for a correspondent with no letters to the others shown
    no_correspondents   the network table when there are no correspondents
    left_out            appended to the network's desc and caption when `limit` left correspondents out: {n}
    line_width          the network's legend for the line widths
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from ..i18n import N_
from .core import esc, safe_href, shorten

SVG_NS = "http://www.w3.org/2000/svg"
MAX_LABEL = 40
MAX_TABLE_LABEL = 200

DEFAULT_LABELS: dict[str, str] = {
    "letter": N_("letter"),
    "letters": N_("letters"),
    "year": N_("Year"),
    "count": N_("Letters"),
    "total": N_("Total"),
    "no_dated": N_("No dated letters."),
    "years_summary": N_("{total} from {first} to {last}; the most in {peak} ({peak_count})."),
    "pair": N_("Correspondents"),
    "by_direction": N_("By direction"),
    "no_exchange": N_("no letters to or from the others shown"),
    "no_correspondents": N_("No correspondents."),
    "left_out": N_("{n} more correspondents with fewer letters are not shown."),
    "line_width": N_("Line width: number of letters"),
}

INK = "currentColor"
GRID = "#b3b3b3"  # light enough not to compete with the bars, dark enough to print


@dataclass(frozen=True)
class Chart:
    """A picture and its text alternative."""

    svg: str  # the <svg> element, serialised for inline use in HTML5 (no XML declaration); "" when there is no data
    table: str  # the text alternative: an HTML <table> with <caption>


# --- text: cleaning, bounding, measuring, formatting -------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FIELD = re.compile(r"\{(\w+)\}")
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")


def clean(text: object, limit: int = MAX_LABEL) -> str:
    """`text` as one line of XML-safe characters, at most `limit` characters long (cut with "…")."""
    return shorten(" ".join(_NOT_XML.sub("", str(text)).split()), limit)


def text_width(text: str, size: float) -> float:
    """An estimate of the width of `text` at font size `size` (no font metrics at build time: generous on purpose)."""
    return sum(size * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6) for c in text)


def num(x: float) -> str:
    """A coordinate with one decimal ("-0.0" written as "0.0")."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def chart_id(prefix: str) -> str:
    """`prefix` as a safe id: letters, digits, "-" and "_", starting with a letter."""
    ident = _NOT_ID.sub("-", prefix).strip("-") or "chart"
    return ident if ident[0].isalpha() else f"chart-{ident}"


def fill(template: str, **values: object) -> str:
    """`template` with `{name}` replaced by `values[name]`; other braces are kept as written."""
    return _FIELD.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def words(labels: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(DEFAULT_LABELS)
    if labels:
        merged.update({k: str(v) for k, v in labels.items() if k in DEFAULT_LABELS})
    return merged


def counted(n: int, w: Mapping[str, str]) -> str:
    """A count with its word: "1 letter", "12 letters"."""
    return f"{n} {w['letter'] if n == 1 else w['letters']}"


def href_of(url: str | None) -> str | None:
    """A link target that may be emitted (see `safe_href`), with no character XML cannot hold."""
    safe = safe_href(url)
    if safe is None or _NOT_XML.search(safe):
        return None
    return safe


def cell_link(url: str | None, text: str) -> str:
    safe = href_of(url)
    return f'<a href="{esc(safe)}">{esc(text)}</a>' if safe else esc(text)


# --- SVG building --------------------------------------------------------------------------------------------------


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """A child element in the SVG namespace; attribute names use "_" for "-" (a trailing "_" is dropped)."""
    el = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
    for key, value in attrs.items():
        el.set(key.rstrip("_").replace("_", "-"), value)
    if text is not None:
        el.text = text
    return el


def svg_root(ident: str, cls: str, width: float, height: float, title: str, desc: str) -> etree._Element:
    svg = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})  # type: ignore[dict-item]
    for key, value in (
        ("class", f"chart {cls}"),
        ("viewBox", f"0 0 {num(width)} {num(height)}"),
        ("width", num(width)),
        ("height", num(height)),
        ("role", "img"),
        ("aria-labelledby", f"{ident}-title {ident}-desc"),
    ):
        svg.set(key, value)
    sub(svg, "title", title, id=f"{ident}-title")
    sub(svg, "desc", desc, id=f"{ident}-desc")
    return svg


def linked(parent: etree._Element, url: str | None, **attrs: str) -> etree._Element:
    """An `<a href>` under `parent` when `url` may be emitted, else a plain `<g>`."""
    safe = href_of(url)
    return sub(parent, "a", href=safe, **attrs) if safe else sub(parent, "g", **attrs)


def serialise(svg: etree._Element) -> str:
    """The picture as inline SVG. One with links keeps its own role (a graphics document, labelled by its title and
    desc): an image's content is presentational, so a link inside role="img" would be one no screen reader can
    reach (axe: nested-interactive); the Nu checker allows no "group" on an svg."""
    if svg.find(f".//{{{SVG_NS}}}a") is not None:
        del svg.attrib["role"]
    return etree.tostring(svg, encoding="unicode")


def join_desc(*parts: str) -> str:
    return " ".join(p for p in (clean(part, 2000) for part in parts) if p)


# --- letters per year ----------------------------------------------------------------------------------------------

YEARS_WIDTH = 720.0  # constant: the page scales every chart alike, so the font sizes stay the same
PLOT_LEFT = 48.0
PLOT_RIGHT = 12.0
PLOT_HEIGHT = 200.0
MAX_PITCH = 60.0
TICK_SIZE = 12.0
COUNT_SIZE = 11.0


def nice_step(top: int, most: int = 5) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50… giving at most `most` steps up to `top`."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if math.ceil(top / step) <= most:
                return step
        magnitude *= 10


def year_step(pitch: float, needed: float) -> int:
    """How many years apart the labels must be so that each has `needed` width."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * pitch >= needed:
                return step
        magnitude *= 10


def letters_per_year(
    counts: Mapping[int, int],
    *,
    title: str,
    desc: str,
    year_href: Callable[[int], str | None] = lambda y: None,
    labels: Mapping[str, str] | None = None,
    id_prefix: str = "chart-years",
) -> Chart:
    """A bar chart of the number of letters in each year, from the first to the last year with letters.

    Years without letters stay in the axis, as empty places, so that the time axis is honest. Each bar is labelled
    with its count while there is room (rotated when narrow, left to the bar's tooltip and the table when too narrow);
    the years are written below, every one while there is room (rotated when narrow), else every 2nd, 5th, 10th….
    Each bar and year label links to `year_href(year)` when it gives a link. The width is constant (bars thin as
    the years grow) so the page can scale it like any other picture. Counts below 1 count as no letters.
    `id_prefix` keeps the ids of the `<title>` and `<desc>` apart when a page has several charts.
    """
    w = words(labels)
    ident = chart_id(id_prefix)
    title_text = clean(title, 300)
    data = {int(y): int(n) for y, n in counts.items() if int(n) > 0}
    if not data:
        table = (
            f'<table class="chart-table chart-years-table">\n<caption>{esc(title_text)}</caption>\n'
            f"<tbody><tr><td>{esc(w['no_dated'])}</td></tr></tbody>\n</table>"
        )
        return Chart(svg="", table=table)
    first, last = min(data), max(data)
    years = list(range(first, last + 1))
    total = sum(data.values())
    peak = max(sorted(data), key=lambda y: data[y])  # the earliest of the years with the most letters
    summary = fill(
        w["years_summary"],
        total=counted(total, w),
        first=first,
        last=last,
        peak=peak,
        peak_count=counted(data[peak], w),
    )
    full_desc = join_desc(desc, summary)

    top_count = max(data.values())
    step = nice_step(top_count)
    axis_top = math.ceil(top_count / step) * step

    plot_width = YEARS_WIDTH - PLOT_LEFT - PLOT_RIGHT
    pitch = min(MAX_PITCH, plot_width / len(years))
    x0 = PLOT_LEFT + (plot_width - pitch * len(years)) / 2
    bar_width = pitch * 0.7 if pitch >= 6 else max(pitch - 0.5, min(pitch, 1.0))

    count_digits = len(str(top_count))
    count_width = text_width("8" * count_digits, COUNT_SIZE)
    if pitch >= count_width + 3:
        count_mode, count_room = "across", COUNT_SIZE + 4
    elif pitch >= COUNT_SIZE + 2:
        count_mode, count_room = "up", count_width + 6
    else:
        count_mode, count_room = "none", 0.0

    year_width = max(text_width(str(y), TICK_SIZE) for y in (first, last))
    if pitch >= year_width + 4:
        year_mode, every, year_room = "across", 1, TICK_SIZE + 10
    elif pitch >= TICK_SIZE + 2:
        year_mode, every, year_room = "up", 1, year_width + 12
    else:
        year_mode, every, year_room = "across", year_step(pitch, year_width + 4), TICK_SIZE + 10

    plot_top = 30.0 + count_room  # the axis title, then room for the tallest bar's count
    base = plot_top + PLOT_HEIGHT
    height = base + year_room + 6

    svg = svg_root(ident, "chart-years", YEARS_WIDTH, height, title_text, full_desc)

    def y_of(value: float) -> float:
        return base - PLOT_HEIGHT * value / axis_top

    grid = sub(svg, "g", class_="axis", fill=INK, font_size=num(TICK_SIZE), text_anchor="end")
    sub(grid, "text", clean(w["count"]), x=num(PLOT_LEFT - 8), y="14.0", text_anchor="start")
    for tick in range(0, axis_top + 1, step):
        y = y_of(tick)
        if tick:
            sub(
                grid,
                "line",
                x1=num(PLOT_LEFT),
                x2=num(YEARS_WIDTH - PLOT_RIGHT),
                y1=num(y),
                y2=num(y),
                stroke=GRID,
                stroke_width="0.8",
            )
        sub(grid, "text", str(tick), x=num(PLOT_LEFT - 6), y=num(y), dy="0.35em")

    bars = sub(svg, "g", class_="bars", fill=INK, font_size=num(COUNT_SIZE), text_anchor="middle")
    for i, year in enumerate(years):
        n = data.get(year, 0)
        centre = x0 + pitch * (i + 0.5)
        group = linked(bars, year_href(year), class_="bar")
        sub(group, "title", f"{year}: {counted(n, w)}")
        if n:
            y = y_of(n)
            sub(group, "rect", x=num(centre - bar_width / 2), y=num(y), width=num(bar_width), height=num(base - y))
        else:
            y = base
        if count_mode == "across":
            sub(group, "text", str(n), x=num(centre), y=num(y - 4))
        elif count_mode == "up":
            sub(
                group,
                "text",
                str(n),
                x=num(centre),
                y=num(y - 4),
                dy="0.35em",
                text_anchor="start",
                transform=f"rotate(-90 {num(centre)} {num(y - 4)})",
            )

    sub(
        svg,
        "line",
        class_="baseline",
        x1=num(PLOT_LEFT),
        x2=num(YEARS_WIDTH - PLOT_RIGHT),
        y1=num(base),
        y2=num(base),
        stroke=INK,
        stroke_width="1.2",
    )

    ticks = sub(svg, "g", class_="years", fill=INK, font_size=num(TICK_SIZE), text_anchor="middle")
    for i, year in enumerate(years):
        if year % every:
            continue
        centre = x0 + pitch * (i + 0.5)
        group = linked(ticks, year_href(year), class_="year")
        if every > 1:
            sub(group, "line", x1=num(centre), x2=num(centre), y1=num(base), y2=num(base + 4), stroke=INK)
        if year_mode == "across":
            sub(group, "text", str(year), x=num(centre), y=num(base + TICK_SIZE + 5))
        else:
            sub(
                group,
                "text",
                str(year),
                x=num(centre),
                y=num(base + 6),
                dy="0.35em",
                text_anchor="end",
                transform=f"rotate(-90 {num(centre)} {num(base + 6)})",
            )

    rows = "".join(
        f'<tr><th scope="row">{cell_link(year_href(year), str(year))}</th><td class="num">{data.get(year, 0)}</td></tr>\n'
        for year in years
    )
    table = (
        f'<table class="chart-table chart-years-table">\n<caption>{esc(title_text)}</caption>\n'
        f'<thead><tr><th scope="col">{esc(w["year"])}</th><th scope="col">{esc(w["count"])}</th></tr></thead>\n'
        f"<tbody>\n{rows}</tbody>\n"
        f'<tfoot><tr><th scope="row">{esc(w["total"])}</th><td class="num">{total}</td></tr></tfoot>\n</table>'
    )
    return Chart(svg=serialise(svg), table=table)


# --- the correspondence network ------------------------------------------------------------------------------------

LABEL_SIZE = 12.0
LINE_HEIGHT = 16.0
LABEL_GAP = 14.0  # from the circle of nodes to the circle the labels start on
MAX_LINE = 9.0
LEGEND_SAMPLES = (1, 4, 16)
EVEN = 0.75  # the share of evenly spaced heights in the nodes' heights


def line_width(n: int) -> float:
    """The width of a line for `n` letters: 1 for one letter, +2 for each doubling, at most `MAX_LINE`."""
    return min(MAX_LINE, 1 + 2 * math.log2(max(n, 1)))


def node_radius(total: int) -> float:
    return min(9.0, 2.5 + 1.2 * math.log2(1 + max(total, 0)))


@dataclass(frozen=True)
class Node:
    id: str
    label: str  # bounded for the picture
    full: str  # bounded for the table
    href: str | None
    total: int


@dataclass
class Placed:
    node: Node
    x: float  # the node
    y: float
    r: float
    side: int  # 1: label to the right (anchored at its start), -1: to the left (anchored at its end)
    lx: float  # the label's anchor
    ly: float


def network(
    nodes: Sequence[tuple[str, str, str | None]],
    edges: Mapping[tuple[str, str], int],
    *,
    title: str,
    desc: str,
    labels: Mapping[str, str] | None = None,
    limit: int = 40,
    id_prefix: str = "chart-network",
) -> Chart:
    """The correspondence network: the correspondents on a circle, a line between each pair who wrote to each other.

    `nodes` are (id, label, register link or None); `edges` map (sender id, recipient id) to a number of letters.
    A line's width grows with the letters of both directions summed (`line_width`), a node's size with all its
    letters. The nodes go round the circle clockwise from the top, by letters (most first), then label, then id;
    the first half down the right side, the rest up the left, at (nearly) evenly spaced heights; the labels are outside the
    circle level with their nodes, on the right anchored at their start, on the left at their end, so they never
    overlap each other or the picture. With more than `limit` correspondents, the
    `limit` with the most letters are shown and the desc and the table's caption say how many were left out.
    Edges naming an unknown id, a correspondent to itself, or a count below 1 are ignored; of repeated ids the
    first is kept. `id_prefix` keeps the ids of the `<title>` and `<desc>` apart when a page has several charts.
    """
    w = words(labels)
    ident = chart_id(id_prefix)
    title_text = clean(title, 300)
    entries: dict[str, tuple[str, str | None]] = {}
    for node_id, label, href in nodes:
        entries.setdefault(str(node_id), (str(label), href))
    directed: dict[tuple[str, str], int] = {}
    totals = dict.fromkeys(entries, 0)
    for (a, b), n in edges.items():
        a, b, n = str(a), str(b), int(n)
        if a == b or n < 1 or a not in entries or b not in entries:
            continue
        directed[(a, b)] = directed.get((a, b), 0) + n
        totals[a] += n
        totals[b] += n
    every = [
        Node(i, clean(label) or clean(i), clean(label, MAX_TABLE_LABEL) or clean(i, MAX_TABLE_LABEL), href, totals[i])
        for i, (label, href) in entries.items()
    ]
    every.sort(key=lambda node: (-node.total, node.label.casefold(), node.label, node.id))
    shown = every[: max(1, limit)]
    left_out = len(every) - len(shown)
    left_text = fill(w["left_out"], n=left_out) if left_out else ""
    caption = esc(title_text) + (f' <span class="chart-note">{esc(left_text)}</span>' if left_text else "")
    if not shown:
        table = (
            f'<table class="chart-table chart-network-table">\n<caption>{caption}</caption>\n'
            f"<tbody><tr><td>{esc(w['no_correspondents'])}</td></tr></tbody>\n</table>"
        )
        return Chart(svg="", table=table)

    rank = {node.id: i for i, node in enumerate(shown)}
    pairs: dict[tuple[str, str], tuple[int, int]] = {}  # (earlier, later in rank) → (earlier→later, later→earlier)
    for (a, b), n in sorted(directed.items()):
        if a not in rank or b not in rank:
            continue
        key = (a, b) if rank[a] < rank[b] else (b, a)
        there, back = pairs.get(key, (0, 0))
        pairs[key] = (there + n, back) if key == (a, b) else (there, back + n)
    by_id = {node.id: node for node in shown}
    ordered = sorted(
        pairs.items(),
        key=lambda kv: (-sum(kv[1]), by_id[kv[0][0]].label.casefold(), by_id[kv[0][1]].label.casefold(), kv[0]),
    )

    # the layout, centred on (0, 0) and shifted into the viewBox at the end: clockwise from the top, the first half
    # down the right side, the rest up the left; the heights are 3/4 evenly spaced and 1/4 evenly spaced angles, so
    # that labels level with their nodes are at least a line apart and the nodes are not crowded at the sides
    # an edition of one person's letters is a star: its hub (the correspondent with the most letters, who exchanged
    # letters with most of the others) goes in the middle, its label below it, and the others round it
    partners = {b if a == shown[0].id else a for a, b in pairs if shown[0].id in (a, b)} if shown else set()
    hub = len(shown) >= 4 and len(partners) >= 0.6 * (len(shown) - 1)
    ringed = shown[1:] if hub else shown
    count = len(ringed)
    on_right = (count + 1) // 2
    radius = max(150.0, on_right * LINE_HEIGHT / (2 * EVEN))
    ring = radius + LABEL_GAP
    placed: list[Placed] = []
    if hub:
        r = node_radius(shown[0].total)
        placed.append(Placed(shown[0], 0.0, 0.0, r, 0, 0.0, r + LINE_HEIGHT * 0.8))
    for i, node in enumerate(ringed):
        r = node_radius(node.total)
        if count == 1 and not hub:
            placed.append(Placed(node, 0.0, 0.0, r, 1, r + 6, 0.0))
            continue
        side, k, j = (1, on_right, i) if i < on_right else (-1, count - on_right, i - on_right)
        y = side * radius * (EVEN * (2 * (j + 0.5) / k - 1) - (1 - EVEN) * math.cos(math.pi * (j + 0.5) / k))
        x = side * math.sqrt(radius * radius - y * y)
        placed.append(Placed(node, x, y, r, side, side * math.sqrt(ring * ring - y * y), y))

    reach = MAX_LINE / 2  # a line's round end beyond its node
    left = min(
        [p.x - p.r - reach for p in placed]
        + [p.lx - text_width(p.node.label, LABEL_SIZE) * (0.5 if p.side == 0 else 1) for p in placed if p.side <= 0]
    )
    right = max(
        [p.x + p.r + reach for p in placed]
        + [p.lx + text_width(p.node.label, LABEL_SIZE) * (0.5 if p.side == 0 else 1) for p in placed if p.side >= 0]
    )
    top = min([p.y - p.r - reach for p in placed] + [p.ly - LINE_HEIGHT / 2 for p in placed])
    bottom = max([p.y + p.r + reach for p in placed] + [p.ly + LINE_HEIGHT / 2 for p in placed])
    max_pair = max((sum(v) for v in pairs.values()), default=0)
    samples = [s for s in LEGEND_SAMPLES if s <= max_pair]
    if max_pair and max_pair not in LEGEND_SAMPLES and max_pair < LEGEND_SAMPLES[-1]:
        samples.append(max_pair)
    legend_title = clean(w["line_width"], 80)
    legend_words = [f"{s}+" if s == LEGEND_SAMPLES[-1] and max_pair > s else str(s) for s in samples]
    legend_width = max(text_width(legend_title, LABEL_SIZE), sum(46 + text_width(t, LABEL_SIZE) for t in legend_words))
    legend_height = 2 * LINE_HEIGHT + 20 if samples else 0.0
    margin = 10.0
    if samples:
        right = max(right, left + legend_width)
    dx, dy = margin - left, margin - top
    width = right - left + 2 * margin
    height = bottom - top + 2 * margin + legend_height

    svg = svg_root(ident, "chart-network", width, height, title_text, join_desc(desc, left_text))
    lines = sub(svg, "g", class_="pairs", stroke=INK, stroke_opacity="0.6", stroke_linecap="round", fill="none")
    for (a, b), (there, back) in ordered:  # the most letters first, so the thin lines are drawn on top
        pa, pb = placed[rank[a]], placed[rank[b]]
        line = sub(
            lines,
            "line",
            x1=num(pa.x + dx),
            y1=num(pa.y + dy),
            x2=num(pb.x + dx),
            y2=num(pb.y + dy),
            stroke_width=num(line_width(there + back)),
        )
        sub(line, "title", f"{pa.node.label} – {pb.node.label}: {counted(there + back, w)}")

    people = sub(svg, "g", class_="nodes", fill=INK, font_size=num(LABEL_SIZE))
    for p in placed:
        group = linked(people, p.node.href, class_="node")
        sub(group, "title", f"{p.node.label}: {counted(p.node.total, w)}")
        sub(group, "circle", cx=num(p.x + dx), cy=num(p.y + dy), r=num(p.r), stroke="#ffffff", stroke_width="1.5")
        sub(
            group,
            "text",
            p.node.label,
            x=num(p.lx + dx),
            y=num(p.ly + dy),
            dy="0.35em",
            text_anchor="start" if p.side > 0 else "end" if p.side < 0 else "middle",
        )
        if p.side == 0:  # the hub's label lies over the lines: a halo of the paper's colour keeps it legible
            halo = group[-1]
            halo.set("stroke", "#ffffff")
            halo.set("stroke-width", "4.0")
            halo.set("style", "paint-order: stroke")

    if samples:
        legend = sub(svg, "g", class_="legend", fill=INK, font_size=num(LABEL_SIZE))
        base = height - margin - LINE_HEIGHT
        sub(legend, "text", legend_title, x=num(margin), y=num(base - LINE_HEIGHT))
        x = margin
        for s, word in zip(samples, legend_words, strict=True):
            sub(
                legend,
                "line",
                x1=num(x),
                x2=num(x + 24),
                y1=num(base),
                y2=num(base),
                stroke=INK,
                stroke_opacity="0.6",
                stroke_width=num(line_width(s)),
                stroke_linecap="round",
            )
            sub(legend, "text", word, x=num(x + 30), y=num(base), dy="0.35em")
            x += 46 + text_width(word, LABEL_SIZE)

    rows = []
    for (a, b), (there, back) in ordered:
        na, nb = by_id[a], by_id[b]
        rows.append(
            f'<tr><th scope="row">{cell_link(na.href, na.full)} – {cell_link(nb.href, nb.full)}</th>'
            f'<td class="num">{there + back}</td>'
            f"<td>{esc(na.full)} → {esc(nb.full)}: {there}, {esc(nb.full)} → {esc(na.full)}: {back}</td></tr>\n"
        )
    linked_ids = {i for pair in pairs for i in pair}
    for node in sorted((n for n in shown if n.id not in linked_ids), key=lambda n: (n.full.casefold(), n.full, n.id)):
        rows.append(
            f'<tr><th scope="row">{cell_link(node.href, node.full)}</th><td class="num">0</td>'
            f"<td>{esc(w['no_exchange'])}</td></tr>\n"
        )
    table = (
        f'<table class="chart-table chart-network-table">\n<caption>{caption}</caption>\n'
        f'<thead><tr><th scope="col">{esc(w["pair"])}</th><th scope="col">{esc(w["count"])}</th>'
        f'<th scope="col">{esc(w["by_direction"])}</th></tr></thead>\n'
        f"<tbody>\n{''.join(rows)}</tbody>\n</table>"
    )
    return Chart(svg=serialise(svg), table=table)
