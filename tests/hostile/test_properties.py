"""Property tests: random letter bodies made of the schema's elements (and some it does not know), with hostile text.

For every generated letter: `validate`, `link` and every export run without a crash, and the text export keeps every
text node. A bounded number of examples run in CI; `TROTSKY_TEI_PROPERTY_EXAMPLES=500 pytest tests/hostile` runs a
longer search (docs/security.md says what the longer runs found).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trotsky_tei.cli import main
from trotsky_tei.reader import read
from trotsky_tei.render.core import RenderContext, fold, text_elements
from trotsky_tei.render.text import render_letter_text

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "data" / "site_corpus"
LETTER = "letters/1930-01-01-trotsky-to-odd.xml"
EXAMPLES = int(os.environ.get("TROTSKY_TEI_PROPERTY_EXAMPLES", "15"))

INLINE = ["hi", "emph", "persName", "placeName", "orgName", "rs", "date", "title", "foreign", "q", "add", "del",
          "supplied", "unclear", "abbr", "expan", "seg", "ref", "name", "fancyUnknown"]
BLOCK = ["p", "ab", "div", "head", "list", "item", "lg", "l", "quote", "postscript", "closer", "salute", "signed",
         "table", "row", "cell", "address", "addrLine", "floatingText", "anotherUnknown"]
EMPTY = ['<lb/>', '<lb break="no"/>', '<pb n="2"/>', '<gap reason="illegible" quantity="2" unit="word"/>',
         '<anchor xml:id="a1"/>', '<space/>']
ATTRS = ['', ' rend="italic"', ' rend="bold"', ' ref="psn:trotsky"', ' ref="#nowhere"', ' when="1929-02-30"',
         ' target="javascript:alert(1)"', ' target="https://example.org/?a=1&amp;b=2"', ' xml:lang="fr"',
         ' xml:lang="not a tag"', ' wit="#w1"', ' type="x"']

text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
               max_size=20).map(escape) | st.sampled_from(["#read(\"/etc/passwd\")", "$x$", "]", "<b>", "&amp;", "  ", "é\u0301"]).map(escape)


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    named = st.tuples(st.sampled_from(INLINE + BLOCK), st.sampled_from(ATTRS), st.lists(children, max_size=4))
    tree = named.map(lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}</{t[0]}>")
    structured = st.one_of(
        st.lists(children, max_size=3).map(lambda c: f"<note>{''.join(c)}</note>"),
        st.tuples(children, children).map(lambda c: f"<choice><sic>{c[0]}</sic><corr>{c[1]}</corr></choice>"),
        st.tuples(children, children).map(lambda c: f"<choice><orig>{c[0]}</orig><reg>{c[1]}</reg></choice>"),
        st.tuples(children, children).map(lambda c: f'<app><lem wit="#w1">{c[0]}</lem><rdg wit="#w2">{c[1]}</rdg></app>'),
        st.tuples(children, children).map(lambda c: f"<subst><del>{c[0]}</del><add>{c[1]}</add></subst>"),
    )
    return st.one_of(tree, structured)


nodes = st.recursive(st.one_of(text, st.sampled_from(EMPTY)), element, max_leaves=25)
bodies = st.lists(nodes, min_size=1, max_size=6).map(lambda parts: "<div>" + "".join(parts) + "</div>")


def letter_with(body: str, root: Path) -> Path:
    path = root / LETTER
    src = (FIXTURE / LETTER).read_text(encoding="utf-8")
    start, end = src.index("<body>") + len("<body>"), src.index("</body>")
    path.write_text(src[:start] + body + src[end:], encoding="utf-8")
    return path


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=bodies)
def test_no_command_crashes_and_text_keeps_all_text(body: str) -> None:
    with tempfile.TemporaryDirectory(prefix="trotsky-tei-prop-") as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(FIXTURE, root)
        path = letter_with(body, root)
        lf = read(str(path))
        assert lf.parsed.tree is not None, lf.parsed.diagnostics  # the generator makes well-formed XML
        assert lf.letter is not None
        text, _warnings = render_letter_text(lf.parsed.tree, lf.letter, RenderContext(path=str(path)), 72, "reading")
        flat = " ".join(text.split())
        for top in text_elements(lf.parsed.tree):
            for node in top.iter():
                for part in (node.text if isinstance(node.tag, str) else None, node.tail if node is not top else None):
                    if part and fold(part):
                        assert all(word in flat for word in fold(part).split()), (fold(part), body)
        out = Path(tmp) / "out"
        for args in (
            ["validate", "--no-cache", "--jobs", "1", str(root)],
            ["link", "--jobs", "1", str(root)],
            ["export", "text", str(root), "-o", str(out / "text"), "--jobs", "1"],
            ["export", "html", str(root), "-o", str(out / "site"), "--jobs", "1"],
            ["export", "epub", str(root), "-o", str(out / "b.epub"), "--jobs", "1"],
            ["export", "cmif", str(root), "-o", str(out / "cmif.xml")],
        ):
            status = main(args)
            assert status in (0, 1), (args[0:2], status, body)
        if (out / "site" / "letters").is_dir():
            for page in (out / "site" / "letters").glob("*.html"):
                html = page.read_text(encoding="utf-8").lower()
                assert "<script" not in html and 'href="javascript:' not in html


@pytest.mark.skipif(not __import__("trotsky_tei.render.pdf", fromlist=["available"]).available(), reason="Typst is not installed")
@settings(max_examples=max(3, EXAMPLES // 5), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=bodies)
def test_the_pdf_is_typeset_for_any_body(body: str) -> None:
    with tempfile.TemporaryDirectory(prefix="trotsky-tei-prop-") as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(FIXTURE, root)
        letter_with(body, root)
        assert main(["export", "pdf", str(root), "-o", str(Path(tmp) / "b.pdf"), "--jobs", "1"]) in (0, 1), body
