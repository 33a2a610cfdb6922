"""docs/schema-reference.md is generated from the letter schema, and a test fails when it is out of date.

What an element is for comes from the `#` comments of `schema/letter.rnc` (the comment lines right above the
definition, or above the content class the element belongs to); its attributes, their closed lists of values, its
children and where it may appear come from the grammar itself (`schema/letter.rng`, which tests/test_schema.py
keeps in sync with the .rnc). After changing letter.rnc (and regenerating letter.rng), regenerate the reference:

    .venv/bin/python tests/test_schema_reference.py --update
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
RNC = REPO / "schema" / "letter.rnc"
RNG = REPO / "schema" / "letter.rng"
DOC = REPO / "docs" / "schema-reference.md"
RNG_NS = "{http://relaxng.org/ns/structure/1.0}"
# attributes of every element (the schema's att.global): listed once, at the top, not under each element
GLOBAL = "att.global"
# how the schema's own datatypes read in the reference
DATATYPES = {
    "data.word": "a word",
    "data.words": "words",
    "data.pointer": "a pointer",
    "data.pointers": "pointers",
    "data.temporal": "a W3C date",
    "data.certainty": "`high`, `medium`, `low`, `unknown` or 0–1",
}


def rnc_comments(text: str) -> dict[str, str]:
    """Each definition's comment: the `#` lines directly above `name =` (a line of dashes or a blank line ends it)."""
    out: dict[str, str] = {}
    block: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            body = line.lstrip("#").strip()
            block = [] if set(body) <= {"-"} else [*block, body]
            continue
        m = re.match(r"\\?([A-Za-z][\w.]*)\s*=", line)
        if m and block:
            out[m.group(1)] = " ".join(block)
        block = []
    return out


@dataclass
class Attr:
    name: str
    required: bool
    values: str


@dataclass
class Element:
    name: str
    define: str
    attrs: dict[str, Attr] = field(default_factory=dict)
    children: set[str] = field(default_factory=set)
    text: bool = False
    empty: bool = True
    refs: set[str] = field(default_factory=set)


class Grammar:
    def __init__(self, path: Path) -> None:
        self.root = etree.parse(str(path)).getroot()
        self.defines = {d.get("name"): d for d in self.root.iter(f"{RNG_NS}define")}

    def enclosing_define(self, el: etree._Element) -> str:
        parent = el.getparent()
        while parent is not None and parent.tag != f"{RNG_NS}define":
            parent = parent.getparent()
        return parent.get("name") if parent is not None else "start"

    def value_summary(self, attr: etree._Element) -> str:
        values = [v.text or "" for v in attr.iter(f"{RNG_NS}value")]
        if values:
            return ", ".join(f"`{v}`" for v in values)
        for node in attr.iter():
            if node.tag == f"{RNG_NS}ref":
                return DATATYPES.get(node.get("name"), node.get("name"))
            if node.tag == f"{RNG_NS}data":
                return f"xsd:{node.get('type')}"
            if node.tag == f"{RNG_NS}text":
                return "text"
        return "text"

    def walk(self, node: etree._Element, el: Element, optional: bool, seen: set[str], groups: set[str]) -> None:
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == f"{RNG_NS}element":
                el.children.add(child.get("name"))
                el.empty = False
            elif tag == f"{RNG_NS}attribute":
                name = child.get("name")
                values = self.value_summary(child)
                old = el.attrs.get(name)
                if old is not None and old.values != values and "`" in old.values and "`" in values:
                    values = f"{old.values}, {values}"  # TEI/@type: one closed value in each kind of document
                if old is None or not optional or values != old.values:
                    el.attrs[name] = Attr(name, not optional and (old is None or old.required), values)
            elif tag in (f"{RNG_NS}text", f"{RNG_NS}data", f"{RNG_NS}value", f"{RNG_NS}list"):
                el.text = True
                el.empty = False
            elif tag == f"{RNG_NS}ref":
                name = child.get("name")
                if name.startswith("att."):
                    groups.add(name)
                el.refs.add(name)
                if name in seen:
                    continue
                self.walk(self.defines[name], el, optional, seen | {name}, groups)
            elif tag in (f"{RNG_NS}optional", f"{RNG_NS}zeroOrMore", f"{RNG_NS}choice"):
                self.walk(child, el, True, seen, groups)
            elif tag:
                self.walk(child, el, optional, seen, groups)

    def elements(self) -> dict[str, list[Element]]:
        out: dict[str, list[Element]] = defaultdict(list)
        for node in self.root.iter(f"{RNG_NS}element"):
            el = Element(node.get("name"), self.enclosing_define(node))
            groups: set[str] = set()
            self.walk(node, el, False, set(), groups)
            if GLOBAL in groups or "att.global.id" in groups:
                for name in self.global_attrs():
                    if name != "xml:id" or "att.global.id" not in groups:
                        el.attrs.pop(name, None)
            out[el.name].append(el)
        return out

    def global_attrs(self) -> list[str]:
        return [a.get("name") for a in self.defines[GLOBAL].iter(f"{RNG_NS}attribute")]

    def class_members(self) -> dict[str, list[str]]:
        """For each element name, the content classes (`model.*` definitions) that name it directly."""
        out: dict[str, list[str]] = defaultdict(list)
        for name, define in self.defines.items():
            if not name.startswith("model."):
                continue
            for ref in define.iter(f"{RNG_NS}ref"):
                target = self.defines.get(ref.get("name"))
                if target is not None and len(target) and target[0].tag == f"{RNG_NS}element":
                    out[target[0].get("name")].append(name)
        return out


def _links(names: set[str] | list[str]) -> str:
    return ", ".join(f"[`{n}`](#{n.lower()})" for n in sorted(names, key=lambda n: (n.lower(), n)))


def _sentence(comment: str) -> str:
    text = comment[0].upper() + comment[1:]
    return text if text.endswith((".", ")", ":")) else text + "."


def _cover(items: set[str], sets: dict[str, set[str]]) -> tuple[list[str], set[str]]:
    """Classes (largest first) whose sets lie within `items` and cover at least four of what is left; and the rest."""
    chosen: list[str] = []
    rest = set(items)
    while True:
        fits = [(len(s & rest), name) for name, s in sets.items() if s <= items and len(s & rest) >= 4]
        if not fits:
            return chosen, rest
        _, best = max(fits, key=lambda f: (f[0], -len(f[1]), f[1]))
        chosen.append(best)
        rest -= sets[best]


CLASSES_HEADING = "Content classes"


def generated_reference() -> str:
    comments = rnc_comments(RNC.read_text(encoding="utf-8"))
    grammar = Grammar(RNG)
    elements = grammar.elements()
    classes = grammar.class_members()
    parents: dict[str, set[str]] = defaultdict(set)
    for name, variants in elements.items():
        for el in variants:
            for child in el.children:
                parents[child].add(name)
    # the content classes and macros: the elements each holds, and the elements whose content uses it
    members: dict[str, set[str]] = {}
    for cname, define in grammar.defines.items():
        if cname.startswith(("model.", "macro.")):
            probe = Element(cname, cname)
            grammar.walk(define, probe, False, {cname}, set())
            members[cname] = probe.children
    used_by = {c: {n for n, vs in elements.items() if any(c in v.refs for v in vs)} for c in members}
    order = sorted(elements, key=lambda n: (n.lower(), n))
    shown_classes: set[str] = set()
    body: list[str] = []
    for name in order:
        variants = elements[name]
        body += [f"## {name}", ""]
        # the comment of the definition named like the element first (teiHeader's, not letter.document's)
        said = [comments[v.define] for v in sorted(variants, key=lambda v: v.define != name) if v.define in comments]
        if said:
            body += [_sentence(said[0]), ""]
        else:
            member = [c for c in classes.get(name, []) if c in comments]
            if member:
                c = member[0]
                body += [f"A member of [`{c}`](#content-classes): {_sentence(comments[c])[0].lower()}{_sentence(comments[c])[1:]}", ""]
                shown_classes.add(c)
        attrs: dict[str, Attr] = {}
        for v in variants:
            for a in v.attrs.values():
                old = attrs.get(a.name)
                if old is not None and old.values != a.values and "`" in old.values and "`" in a.values:
                    a = Attr(a.name, old.required and a.required, f"{old.values}, {a.values}")
                attrs[a.name] = a
        if attrs:
            body.append(
                "- Attributes: "
                + "; ".join(
                    f"`@{a.name}`" + (" (**required**)" if a.required else "") + f": {a.values}"
                    for a in sorted(attrs.values(), key=lambda a: a.name.lower())
                )
            )
        children = {c for v in variants for c in v.children}
        refs = {r for v in variants for r in v.refs}
        text = any(v.text for v in variants)
        if children:
            used, rest = _cover(children, {c: s for c, s in members.items() if c in refs})
            shown_classes.update(used)
            parts = (["text"] if text else []) + [f"[`{c}`](#content-classes)" for c in used]
            parts += [_links(rest)] if rest else []
            body.append("- Contains: " + ", ".join(parts))
        elif text:
            body.append("- Contains: text only")
        else:
            body.append("- Empty")
        where = parents.get(name, set())
        if where:
            holding = {c: used_by[c] for c, s in members.items() if name in s and used_by[c]}
            used, rest = _cover(where, holding)
            shown_classes.update(used)
            parts = [f"wherever [`{c}`](#content-classes) is allowed" for c in used]
            parts += [_links(rest)] if rest else []
            body.append(f"- May appear in ({len(where)} element{'s' if len(where) != 1 else ''}): " + "; ".join(parts))
        else:
            body.append("- May appear in: nothing: it is the root of every document")
        if len(variants) > 1:
            body.append(f"- Defined {len(variants)} times: " + ", ".join(f"`{v.define}`" for v in variants))
        body.append("")
    lines = [
        "# Schema reference",
        "",
        "<!-- Generated from schema/letter.rnc by `.venv/bin/python tests/test_schema_reference.py --update`;"
        " do not edit by hand. -->",
        "",
        f"Every element that the letter schema (`schema/letter.rnc`) allows: {len(order)} elements, in alphabetical"
        " order. What each is for is the schema's own comment (or that of the content class it belongs to); the"
        " attributes, their closed lists of values, the children and the parents are read from the grammar. How the"
        " edition uses them: [the encoding guidelines](encoding.md); what the schema is and how it reports errors:"
        " [schema](schema.md).",
        "",
        "**On every element** (`att.global`): " + ", ".join(f"`@{a}`" for a in grammar.global_attrs()) + ". "
        "`@cert` takes " + DATATYPES["data.certainty"] + "; `@xml:id` is an NCName, unique within its file"
        " (rule TT201); `@rend` is a list of words, not a closed list. Attributes marked **required** must be there.",
        "",
        "Elements: " + _links(order) + ".",
        "",
        f"## {CLASSES_HEADING}",
        "",
        "Groups of elements that content models share (TEI's `model.*` classes, narrowed; `macro.*` are whole content"
        " models). Below, an element's content and places are given through them where they fit.",
        "",
    ]
    for c in sorted(shown_classes):
        what = f": {comments[c]}" if c in comments else ""
        lines += [f"- **`{c}`**{what}. Holds {_links(members[c])}. Allowed in {len(used_by[c])} elements: {_links(used_by[c])}."]
    lines.append("")
    return "\n".join(lines + body).rstrip("\n") + "\n"


def test_schema_reference_is_up_to_date() -> None:
    assert DOC.is_file(), "docs/schema-reference.md is missing: run .venv/bin/python tests/test_schema_reference.py --update"
    assert DOC.read_text(encoding="utf-8") == generated_reference(), (
        "docs/schema-reference.md is out of date with schema/letter.rnc; run: .venv/bin/python tests/test_schema_reference.py --update"
    )


def test_every_element_of_the_schema_is_in_the_reference() -> None:
    text = generated_reference()
    names = set(re.findall(r'<element name="([^"]+)"', RNG.read_text(encoding="utf-8")))
    assert names and all(f"\n## {n}\n" in text for n in names)


def test_comments_are_read_from_the_rnc() -> None:
    comments = rnc_comments(RNC.read_text(encoding="utf-8"))
    assert comments["msIdentifier"].startswith("where the original is kept")
    assert "data.word" in comments and "att.global" in comments
    assert all(not set(c) <= {"-", " "} for c in comments.values())


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        DOC.write_text(generated_reference(), encoding="utf-8")
        print(f"updated {DOC}")
    else:
        print(__doc__)
