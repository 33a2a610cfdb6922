"""patch.py: byte-exact edits of the original file; a property test over generated documents."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from trotsky_tei.patch import (
    AppendChild,
    ElementIndex,
    InsertAfter,
    InsertBefore,
    PatchError,
    RemoveAttribute,
    SetAttribute,
    apply_edits,
    scan,
)

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
SAMPLE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- <a> in a comment -->\n<?pi <b x="1"?>\n'
    b"<!DOCTYPE a [<!-- internal ]> -->]>\n"
    b"<a  xmlns='urn:x' k='v&apos;'><b/><b  y=\"&#x3e;2\" >t &amp; <![CDATA[<b>]]></b><c\n z='1'\n/></a>\n"
)


def tree_of(data: bytes) -> etree._ElementTree:
    return etree.fromstring(data, PARSER).getroottree()


def test_scan_skips_comments_pis_cdata_doctype() -> None:
    tags = scan(SAMPLE.decode())
    assert [t.name for t in tags] == ["a", "b", "b", "c"]
    assert [t.line for t in tags] == [5, 5, 5, 5]
    assert tags[3].self_closing and [a.name for a in tags[0].attributes] == ["xmlns", "k"]


def test_insert_keeps_every_other_byte() -> None:
    tree = tree_of(SAMPLE)
    idx = ElementIndex(tree)
    second_b = tree.getroot()[1]
    out = apply_edits(SAMPLE, [SetAttribute(idx[second_b], "ref", 'a"b<&')], tree=tree)
    assert out == SAMPLE.replace(b'y="&#x3e;2" >', b'y="&#x3e;2" ref="a&quot;b&lt;&amp;" >')
    assert tree_of(out).getroot()[1].get("ref") == 'a"b<&'


def test_quote_style_follows_the_tag() -> None:
    tree = tree_of(SAMPLE)
    out = apply_edits(SAMPLE, [SetAttribute(3, "ref", "it's")], tree=tree)
    assert b"<c\n z='1' ref='it&apos;s'\n/>" in out


def test_replace_existing_value_in_place() -> None:
    out = apply_edits(SAMPLE, [SetAttribute(0, "k", "new")])
    assert out == SAMPLE.replace(b"k='v&apos;'", b"k='new'")


def test_remove_attribute_round_trip() -> None:
    added = apply_edits(SAMPLE, [SetAttribute(1, "ref", "x")])
    assert apply_edits(added, [RemoveAttribute(1, "ref")]) == SAMPLE


def test_fragments() -> None:
    out = apply_edits(SAMPLE, [AppendChild(1, "<i/>"), InsertAfter(3, "<d/>"), InsertBefore(2, "<e/>"), AppendChild(2, "!")])
    assert b"<a  xmlns='urn:x' k='v&apos;'><b><i/></b><e/><b  y=\"&#x3e;2\" >t &amp; <![CDATA[<b>]]>!</b><c\n z='1'\n/><d/></a>" in out


def test_encodings_are_kept() -> None:
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>é<b/></a>'.encode("latin-1")
    out = apply_edits(latin, [SetAttribute(1, "n", "é€")])
    assert out == '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>é<b n="é&#8364;"/></a>'.encode("latin-1")
    utf16 = '<?xml version="1.0" encoding="UTF-16"?>\n<a><b/></a>'.encode("utf-16")
    out16 = apply_edits(utf16, [SetAttribute(1, "n", "ü")])
    assert out16.decode("utf-16") == '<?xml version="1.0" encoding="UTF-16"?>\n<a><b n="ü"/></a>'
    assert out16[:2] == utf16[:2]


def test_wrong_element_is_refused() -> None:
    tree = tree_of(SAMPLE)
    other = tree_of(SAMPLE.replace(b"<b/>", b"<x/>"))
    with pytest.raises(PatchError):
        apply_edits(SAMPLE, [SetAttribute(1, "ref", "x")], tree=other)
    with pytest.raises(PatchError):
        apply_edits(SAMPLE, [SetAttribute(99, "ref", "x")], tree=tree)
    with pytest.raises(PatchError):
        apply_edits(SAMPLE, [InsertAfter(1, "<unclosed>")])
    with pytest.raises(PatchError):
        apply_edits(SAMPLE, [SetAttribute(1, "bad name", "x")])


# --- property: insert then remove gives the original; the result is well-formed; the attribute is on the right element

NAMES = st.sampled_from(["a", "persName", "tei:x", "p", "rs"])
TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n\té€") ), max_size=8)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(NAMES)
    attrs = ""
    for i in range(draw(st.integers(0, 2))):
        q = draw(st.sampled_from(['"', "'"]))
        ws = draw(st.sampled_from([" ", "  ", "\n  ", "\t"]))
        val = _esc(draw(TEXT)).replace(q, "&quot;" if q == '"' else "&apos;")
        attrs += f"{ws}k{i}{draw(st.sampled_from(['=', ' = ']))}{q}{val}{q}"
    trail = draw(st.sampled_from(["", " ", "\n"]))
    if depth >= 3 or draw(st.booleans()):
        return f"<{name}{attrs}{trail}/>"
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["text", "el", "el", "comment", "pi", "cdata", "ref"]))
        if kind == "text":
            parts.append(_esc(draw(TEXT)))
        elif kind == "el":
            parts.append(draw(elements(depth + 1)))
        elif kind == "comment":
            parts.append("<!-- <persName a='1'> -->")
        elif kind == "pi":
            parts.append("<?pi <x>?>")
        elif kind == "cdata":
            parts.append("<![CDATA[<persName>]]>")
        else:
            parts.append("&#x2014;&amp;")
    return f"<{name}{attrs}{trail}>{''.join(parts)}</{name}>"


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    decl = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>\n', "<?xml version='1.0'?>"]))
    body = draw(elements())
    body = body.replace("<tei:x", "<tei:x xmlns:tei='urn:tei'", 1) if "tei:x" in body else body
    return (decl + "<!-- head -->" + "<root xmlns:tei='urn:tei'>" + body + "</root>\n").encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), pick=st.integers(0, 10_000), value=TEXT)
def test_property_insert_then_remove(doc: bytes, pick: int, value: str) -> None:
    tree = tree_of(doc)
    idx = ElementIndex(tree)
    target = pick % len(idx.elements)
    out = apply_edits(doc, [SetAttribute(target, "ref", value)], tree=tree)
    new_tree = tree_of(out)  # well-formed
    new_elements = ElementIndex(new_tree).elements
    assert new_elements[target].get("ref") == value
    assert sum(1 for e in new_elements if e.get("ref") is not None) == 1
    assert apply_edits(out, [RemoveAttribute(target, "ref")], tree=new_tree) == doc
