"""The HTML letter content: golden fragments for the 1929 letter, escaping, link policy, notes, EPUB flavour, modes.

Goldens are regenerated on purpose with `UPDATE_GOLDENS=1 pytest tests/test_html_letter.py` and read before committing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import lxml.html
import pytest
from _kit import check_golden
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from trotsky_tei.reader import extract_letter, read
from trotsky_tei.registry import load_registry
from trotsky_tei.render.core import RenderContext
from trotsky_tei.render.html import RenderedLetter, render_letter_html
from trotsky_tei.xmlfile import parse_bytes

REPO = Path(__file__).resolve().parents[1]
LETTER_1929 = REPO / "corpus" / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"
FEATURES = REPO / "tests" / "data" / "render" / "features-render.xml"
SCHEMA_FEATURES = REPO / "tests" / "data" / "features.xml"


def link_for(entity_id: str) -> str:
    return f"register/{entity_id}.html"


def render_path(path: Path, mode: str = "reading", **ctx_kw: object) -> RenderedLetter:
    lf = read(str(path))
    assert lf.parsed.tree is not None and lf.letter is not None
    registry, _ = load_registry(REPO / "corpus" / "registry")
    kw: dict[str, object] = {"link_for": link_for, **ctx_kw}
    ctx = RenderContext(registry=registry, path=str(path), **kw)  # type: ignore[arg-type]
    return render_letter_html(lf.parsed.tree, lf.letter, ctx, mode)


def render_body(body: str, mode: str = "reading", **ctx_kw: object) -> RenderedLetter:
    xml = f"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>T &lt;b&gt;</title></titleStmt>
<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>
<text xml:lang="de"><body>{body}</body></text></TEI>"""
    parsed = parse_bytes(xml.encode(), "t.xml")
    assert parsed.tree is not None, parsed.diagnostics
    ctx = RenderContext(path="t.xml", **ctx_kw)  # type: ignore[arg-type]
    return render_letter_html(parsed.tree, extract_letter(parsed.tree, "t.xml"), ctx, mode)


def fragment_page(r: RenderedLetter) -> str:
    return "\n".join([r.metadata_html, r.body_html, r.notes_html, r.apparatus_html]) + "\n"


@pytest.mark.skipif(not LETTER_1929.is_file(), reason="the 1929 letter is not encoded yet")
def test_1929_letter_golden() -> None:
    r = render_path(LETTER_1929, "both")
    assert r.warnings == []
    assert r.title == "Leon Trotsky to W. van Overstraeten, 30 April 1929" and r.lang == "en"
    check_golden("1929-04-30-trotsky-to-van-overstraeten.html", fragment_page(r))


@pytest.mark.skipif(not LETTER_1929.is_file(), reason="the 1929 letter is not encoded yet")
def test_1929_letter_metadata_links_correspondents_and_notes_both_ways() -> None:
    r = render_path(LETTER_1929)
    meta = lxml.html.fragment_fromstring(r.metadata_html)
    pairs = {dt.text_content(): dt.getnext() for dt in meta.iter("dt")}
    assert pairs["From"].find("a").get("href") == "register/trotsky.html"
    assert pairs["To"].find("a").get("href") == "register/van-overstraeten.html"
    assert pairs["Date"].find("time").get("datetime") == "1929-04-30"
    assert "10708" in pairs["Call number"].text_content()
    body = lxml.html.fragment_fromstring(r.body_html)
    notes = lxml.html.fragment_fromstring(r.notes_html)
    refs = body.xpath("//a[@class='noteref']")
    assert [a.get("href") for a in refs] == ["#note-1", "#note-2", "#note-3"]
    for a in refs:
        li = notes.xpath(f"//li[@id='{a.get('href')[1:]}']")[0]
        assert li.xpath("a[@class='noteback']/@href") == [f"#{a.get('id')}"]


def test_noteref_markup_is_the_agreed_one_and_epub_type_only_for_epub() -> None:
    r = render_body("<p>a<note>n</note></p>")
    assert '<a class="noteref" id="noteref-1" href="#note-1" role="doc-noteref">1</a>' in r.body_html
    assert "epub:" not in r.body_html + r.notes_html
    e = render_body("<p>a<note>n</note></p>", epub=True)
    assert 'epub:type="noteref"' in e.body_html and 'epub:type="footnote"' in e.notes_html
    for frag in (e.metadata_html, e.body_html, e.notes_html):
        etree.fromstring(frag)  # EPUB fragments are well-formed XML (XHTML)


def test_every_text_value_is_escaped() -> None:
    evil = '&lt;script&gt;alert("x")&lt;/script&gt; &amp; \'q\''
    r = render_body(f'<p rend="x&quot; onclick=&quot;y">{evil}<note>{evil}</note><persName ref="&quot;&gt;">{evil}</persName></p>')
    for frag in (r.body_html, r.notes_html):
        assert "<script" not in frag and "onclick=" not in frag.replace('onclick="', "")
        tree = lxml.html.fragment_fromstring(frag)
        assert tree.xpath("//script") == [] and not any("onclick" in el.attrib for el in tree.iter())
        assert '<script>alert("x")</script>' in tree.text_content()
    assert r.title == "T <b>" and "<b>" not in r.metadata_html


@pytest.mark.parametrize(
    "target, linked",
    [
        ("https://example.org/x?a=1&b=2", True),
        ("mailto:a@example.org", True),
        ("other.html", True),
        ("javascript:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("#some-xml-id", False),
        ("a b", False),
    ],
)
def test_ref_links_only_safe_urls(target: str, linked: bool) -> None:
    r = render_body(f'<p><ref target="{target.replace("&", "&amp;")}">here</ref></p>')
    body = lxml.html.fragment_fromstring(r.body_html)
    anchors = body.xpath("//a[normalize-space()='here']")
    assert (len(anchors) == 1) is linked
    if linked:
        assert anchors[0].get("href") == target
    assert "here" in body.text_content()


def test_relative_links_are_not_emitted_in_epub() -> None:
    assert "<a" not in render_body('<p><ref target="other.html">x</ref></p>', epub=True).body_html
    assert 'href="https://e.org/"' in render_body('<p><ref target="https://e.org/">x</ref></p>', epub=True).body_html


def test_register_link_goes_through_the_url_policy() -> None:
    r = render_path(FEATURES, link_for=lambda i: "javascript:evil()")
    assert "javascript:" not in r.metadata_html + r.body_html
    assert "L. Trotsky" in lxml.html.fragment_fromstring(r.metadata_html).text_content()


def test_modes_and_both_views_have_unique_ids() -> None:
    reading = render_path(FEATURES, "reading")
    diplomatic = render_path(FEATURES, "diplomatic")
    both = render_path(FEATURES, "both")
    assert "recieve" not in reading.body_html and "receive" in reading.body_html
    assert "recieve" in diplomatic.body_html and "<del" in diplomatic.body_html and "<ins" in diplomatic.body_html
    page = lxml.html.fragment_fromstring(fragment_page(both), create_parent="div")
    ids = Counter(el.get("id") for el in page.iter() if el.get("id"))
    assert ids and max(ids.values()) == 1, [i for i, n in ids.items() if n > 1]
    # the text, the notes and the apparatus of each view
    assert [s.get("class") for s in page.xpath("//section[contains(@class,'view')]")] == ["view view-reading", "view view-diplomatic"] * 3
    hrefs = {a.get("href")[1:] for a in page.iter("a") if (a.get("href") or "").startswith("#")}
    assert hrefs <= set(ids), hrefs - set(ids)
    # every link of a view (note marker, note back-link, apparatus lemma) leads to an element of the same view
    view_of = {el.get("id"): sec.get("class") for sec in page.xpath("//section[contains(@class,'view')]")
               for el in sec.iter() if el.get("id")}
    for sec in page.xpath("//section[contains(@class,'view')]"):
        for a in sec.iter("a"):
            if (a.get("href") or "").startswith("#"):
                assert view_of[a.get("href")[1:]] == sec.get("class"), (a.get("href"), sec.get("class"))
    assert len(page.xpath("//section[@class='view view-diplomatic']//a[@class='noteback']")) == both.note_count
    assert page.xpath("//section[@class='view view-diplomatic']//ol[@class='apparatus']/li[1]/@id") == ["d-apparatus-1"]


def test_apparatus_links_to_lemma_and_lists_sigla() -> None:
    r = render_path(FEATURES)
    app = lxml.html.fragment_fromstring(r.apparatus_html)
    body = lxml.html.fragment_fromstring(r.body_html)
    entries = app.xpath("li")
    assert len(entries) == r.apparatus_count == 6
    variant = app.xpath("li[contains(@class,'app-variant')]")[0]
    assert " ".join(variant.text_content().split()) == "lemma A] reading B"
    target = variant.xpath("a/@href")[0][1:]
    assert body.xpath(f"//*[@id='{target}']")[0].text_content() == "lemma"


def test_lang_and_feature_fixture_without_unknown_elements() -> None:
    r = render_path(FEATURES)
    assert r.warnings == [] and r.lang == "en"
    body = lxml.html.fragment_fromstring(r.body_html)
    assert body.get("lang") == "en"
    assert body.xpath("//span[@lang='fr']")[0].text == "en français"
    assert render_body("<p>x</p>").lang == "de"


@pytest.mark.skipif(not SCHEMA_FEATURES.is_file(), reason="tests/data/features.xml (the schema feature fixture) is absent")
def test_schema_feature_fixture_renders_without_unknown_elements() -> None:
    for mode in ("reading", "diplomatic", "both"):
        assert [w for w in render_path(SCHEMA_FEATURES, mode).warnings if w.code == "TT701"] == []


# --- blocks never end up inside phrasing content, whatever the nesting -----------------------------------

BLOCKY = ["p", "quote", "list", "head", "closer", "dateline", "lg", "table"]
PHRASING_ONLY = ("p", "span", "a", "em", "i", "b", "q", "cite", "time", "ins", "del", "sup", "h3")


@st.composite
def nested(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3:
        return "t"
    name = draw(st.sampled_from(BLOCKY + ["hi", "persName", "note", "add"]))
    inner = "".join(draw(nested(depth + 1)) for _ in range(draw(st.integers(0, 2))))
    if name == "list":
        return f"<list><item>w{inner}</item></list>"
    if name == "table":
        return f"<table><row><cell>c{inner}</cell></row></table>"
    if name == "lg":
        return f"<lg><l>l{inner}</l></lg>"
    return f"<{name}>w{inner}</{name}>"


def _blocks_inside_phrasing(tree: etree._Element) -> list[tuple[str, str]]:
    bad = []
    for el in tree.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname in PHRASING_ONLY:
            for d in el.iterdescendants():
                name = etree.QName(d).localname if isinstance(d.tag, str) else ""
                if name in ("p", "div", "ul", "ol", "li", "table", "h3", "section", "blockquote"):
                    bad.append((etree.QName(el).localname, name))
    return bad


@settings(max_examples=80, deadline=None)
@given(st.lists(nested(), min_size=1, max_size=3))
def test_no_block_inside_phrasing(parts: list[str]) -> None:
    body = "<div>" + "".join(parts) + "</div>"
    html = render_body(body)
    epub = render_body(body, epub=True)
    for frag in (html.body_html, html.notes_html):
        if frag:
            assert not _blocks_inside_phrasing(lxml.html.fragment_fromstring(frag)), frag
    for frag in (epub.body_html, epub.notes_html):
        if frag:
            assert not _blocks_inside_phrasing(etree.fromstring(frag)), frag


def test_invalid_date_is_text_without_datetime_and_one_warning_per_value(tmp_path: Path) -> None:
    """`<time datetime="1929-04-31">` is what the Nu checker rejects: an impossible date stays text, with TT703."""
    letter = tmp_path / "letter.xml"
    letter.write_text(LETTER_1929.read_text(encoding="utf-8").replace('when="1929-04-30"', 'when="1929-04-31"'), encoding="utf-8")
    r = render_path(letter, "both")
    page = fragment_page(r)
    assert "1929-04-31" not in page and "30 April 1929" in page  # the text is kept
    assert '<dd><span>30 April 1929</span></dd>' in r.metadata_html
    assert [(w.code, w.severity.value) for w in r.warnings] == [("TT703", "warning")]  # once for the value
    assert "@when='1929-04-31' is not a valid date (day 31 does not exist in April 1929)" in r.warnings[0].message
    # valid dates HTML has a form for keep their datetime; a real but negative year (HTML has none) does not
    ok = render_body('<p><date when="1929-02-28">x</date> <date when="1928-02-29">y</date> <date when="-0044-03-15">z</date></p>')
    assert 'datetime="1929-02-28"' in ok.body_html and 'datetime="1928-02-29"' in ok.body_html
    assert "-0044" not in ok.body_html and ok.warnings == []
    bad = render_body('<p><date when="1929-02-29">a</date> <date when="1929-13">b</date> <date when="1929-02-29">c</date></p>')
    assert "<time" not in bad.body_html
    assert sorted((w.code, w.message.split(" is")[0]) for w in bad.warnings) == [
        ("TT703", "@when='1929-02-29'"), ("TT703", "@when='1929-13'")]
    assert "(2 occurrences, first here)" in next(w.message for w in bad.warnings if "02-29" in w.message)
