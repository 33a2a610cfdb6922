"""Every XML example of docs/encoding.md is valid: schema and editorial rules, with trotsky-tei's own validator.

A fragment is put where it belongs in a minimal letter (header parts into the header, the rest into the letter's
`div`) or, for registry entries (`person`, `place`, `org`), into a minimal registry file; the file is written into a
copy of the bundled corpus (its registry resolves the pointers) and validated. A block marked
`<!-- example: outline -->` on the line before it is an abridged outline (`…` for what it leaves out) and is not
checked. The schema reference lists what else could be shown: docs/schema-reference.md.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from trotsky_tei.validate import ValidateOptions, validate_paths

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "encoding.md"
TEI = "http://www.tei-c.org/ns/1.0"
FENCE = re.compile(r"^(?:<!-- example: (?P<marker>[^\n]*?) -->\n)?(?P<indent> *)```xml\n(?P<body>.*?)\n(?P=indent)```$", re.S | re.M)
PREFIXES = "".join(
    f'<prefixDef ident="{p}" matchPattern="([A-Za-z0-9_.\\-]+)" replacementPattern="../registry/{f}.xml#$1"/>'
    for p, f in (("psn", "persons"), ("plc", "places"), ("org", "orgs"), ("arc", "archives"))
)
LETTER = f"""<TEI xmlns="{TEI}" xml:id="letter-example" type="letter" xml:lang="en">
  <teiHeader>
    <fileDesc>
      <titleStmt><title type="main">Example</title></titleStmt>
      <publicationStmt><publisher>the trotsky-tei project</publisher></publicationStmt>
      <sourceDesc>SOURCE</sourceDesc>
    </fileDesc>
    <encodingDesc><listPrefixDef>{PREFIXES}</listPrefixDef></encodingDesc>
    <profileDesc>CORRESP</profileDesc>
  </teiHeader>
  <text><body><div type="letter">TEXT</div></body></text>
</TEI>"""
CORRESP = """<correspDesc>
  <correspAction type="sent"><persName ref="psn:trotsky">Leon Trotsky</persName></correspAction>
  <correspAction type="received"><persName ref="psn:van-overstraeten">War van Overstraeten</persName></correspAction>
</correspDesc>"""
REGISTRY = f"""<TEI xmlns="{TEI}" xml:id="registry-example" type="registry" xml:lang="en">
  <teiHeader>
    <fileDesc>
      <titleStmt><title>Example registry</title></titleStmt>
      <publicationStmt><publisher>the trotsky-tei project</publisher></publicationStmt>
      <sourceDesc><p>An example of docs/encoding.md.</p></sourceDesc>
    </fileDesc>
    <encodingDesc><listPrefixDef>{PREFIXES.replace("../registry/", "")}</listPrefixDef></encodingDesc>
  </teiHeader>
  <standOff>LISTS</standOff>
</TEI>"""
SOURCE = {"msDesc", "bibl", "listWit"}
LISTS = {"person": "listPerson", "place": "listPlace", "org": "listOrg"}


def examples() -> list[tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        if m["marker"] == "outline":
            continue
        assert not m["marker"], f"unknown marker {m['marker']!r}"
        body = "\n".join(line[len(m["indent"]) :] for line in m["body"].splitlines())
        out.append((text.count("\n", 0, m.start()) + 1, body))
    return out


def document(fragment: str) -> tuple[str, str]:
    """The fragment in a minimal document: (folder in the corpus, XML)."""
    root = etree.fromstring(f'<wrap xmlns="{TEI}">{fragment}</wrap>'.encode())
    parts = [(etree.QName(el).localname, etree.tostring(el, encoding="unicode").replace(f' xmlns="{TEI}"', "")) for el in root]
    names = {name for name, _ in parts}
    if names <= set(LISTS):
        lists = "".join(f"<{LISTS[n]}>{xml}</{LISTS[n]}>" for n, xml in parts)
        return "registry", REGISTRY.replace("LISTS", lists)
    source = "".join(xml for n, xml in parts if n in SOURCE) or "<p>An example of docs/encoding.md.</p>"
    corresp = "".join(xml for n, xml in parts if n == "correspDesc") or CORRESP
    text = "".join(xml for n, xml in parts if n not in SOURCE | {"correspDesc"}) or "<p>An example.</p>"
    return "letters", LETTER.replace("SOURCE", source).replace("CORRESP", corresp).replace("TEXT", text)


EXAMPLES = examples()


def test_encoding_md_has_examples_of_the_markup_it_describes() -> None:
    joined = "\n".join(body for _, body in EXAMPLES)
    for tag in ("correspAction", "placeName", "<add ", "<del ", "rend=", "<gap ", "<app>", "<lem ", "<rdg ", "<sic>",
                "<corr>", "<abbr>", "<expan>", "<orig>", "<reg>", "<msIdentifier>", '<idno type="Wikidata">', "(10708)"):
        assert tag in joined, f"docs/encoding.md has no example with {tag}"


@pytest.mark.parametrize("line, fragment", EXAMPLES, ids=[f"encoding.md:{line}" for line, _ in EXAMPLES])
def test_example_is_valid(tmp_path: Path, line: int, fragment: str) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus" / "registry", corpus / "registry")
    shutil.copy(REPO / "corpus" / "edition.xml", corpus / "edition.xml")
    folder, xml = document(fragment)
    path = corpus / folder / "example.xml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(xml, encoding="utf-8")
    # TT601/TT602: an example of a registry entry is one of the bundled registry's (the same id), used by no letter
    result = validate_paths([str(path)], ValidateOptions(jobs=1, ignore=("TT601", "TT602")))
    problems = [f"{d.line}: {d.code} {d.message}" for d in result.diagnostics if d.severity.value != "info"]
    assert problems == [], f"docs/encoding.md:{line}: the example does not validate:\n" + "\n".join(problems) + "\n" + xml
