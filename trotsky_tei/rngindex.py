"""An index of a RELAX NG grammar (which children, attributes and text each element may have) for precise messages.

libxml2 reports a schema error at the parent with column 0 and a cascade of "failed to validate" lines. The index
finds the offending node itself: an unknown element, an element or text where it is not allowed, an attribute that
is not allowed or missing. It is sound but incomplete: whatever it reports is a real error; problems of order or
number (a missing required child, two <body>s) are left to libxml2's messages.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources

from lxml import etree

from .xmlfile import line_of

RNG_NS = "http://relaxng.org/ns/structure/1.0"
TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_LISTED = 12

QName = tuple[str, str]  # (namespace, local name)


@dataclass
class Summary:
    """What one content pattern allows without entering a child element."""

    children: set[QName] = field(default_factory=set)
    any_child: bool = False
    text: bool = False
    attrs: set[QName] = field(default_factory=set)
    any_attr: bool = False
    required: frozenset[QName] | None = frozenset()  # attributes every match must carry; None: unsatisfiable

    def seq(self, other: Summary) -> Summary:
        """Both patterns in sequence (group, interleave)."""
        req = None if self.required is None or other.required is None else self.required | other.required
        return Summary(
            self.children | other.children,
            self.any_child or other.any_child,
            self.text or other.text,
            self.attrs | other.attrs,
            self.any_attr or other.any_attr,
            req,
        )

    def alt(self, other: Summary) -> Summary:
        """Either pattern (choice)."""
        if self.required is None:
            req = other.required
        elif other.required is None:
            req = self.required
        else:
            req = self.required & other.required
        s = self.seq(other)
        s.required = req
        return s

    def optional(self) -> Summary:
        s = self.seq(Summary())
        s.required = frozenset()
        return s


class Unsupported(Exception):
    """The grammar uses a construct the index does not model (it then stays silent)."""


def _r(local: str) -> str:
    return f"{{{RNG_NS}}}{local}"


class SchemaIndex:
    """Per element name: the union of what its patterns allow; the names a document may start with."""

    def __init__(self) -> None:
        self.enabled = False
        self.start: set[QName] = set()
        self.elements: dict[QName, Summary] = {}
        self._defines: dict[str, list[etree._Element]] = {}
        self._memo: dict[str, Summary] = {}
        self._active: set[str] = set()

    @classmethod
    def from_rng(cls, doc: etree._ElementTree) -> SchemaIndex:
        """Index a parsed `.rng`; a grammar it cannot model gives a disabled index (no messages of its own)."""
        index = cls()
        try:
            index._build(doc.getroot())
            index.enabled = True
        except (Unsupported, RecursionError, KeyError):
            index.enabled = False
            index.elements.clear()
        index._defines.clear()
        index._memo.clear()
        return index

    # --- building ------------------------------------------------------------------------------------

    def _build(self, root: etree._Element) -> None:
        if root.tag != _r("grammar"):
            start = self._names_of_element(root) if root.tag == _r("element") else None
            if start is None:
                raise Unsupported(root.tag)
            self.start |= start
            self._element(root)
            return
        starts: list[etree._Element] = []
        for el in self._grammar_children(root):
            if el.tag == _r("define"):
                self._defines.setdefault(el.get("name", ""), []).append(el)
            elif el.tag == _r("start"):
                starts.append(el)
            else:
                raise Unsupported(el.tag)
        for el in root.iter(_r("include"), _r("externalRef"), _r("parentRef"), _r("grammar")):
            if el is not root:
                raise Unsupported(el.tag)
        for s in starts:
            self.start |= self._start_names(s)
        for el in root.iter(_r("element")):
            self._element(el)

    def _grammar_children(self, el: etree._Element) -> Iterator[etree._Element]:
        for child in el:
            if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{RNG_NS}}}"):
                continue
            if child.tag == _r("div"):
                yield from self._grammar_children(child)
            else:
                yield child

    def _start_names(self, el: etree._Element, seen: frozenset[str] = frozenset()) -> set[QName]:
        out: set[QName] = set()
        for child in self._patterns(el):
            if child.tag == _r("element"):
                names = self._names_of_element(child)
                if names is None:
                    raise Unsupported("wildcard start")
                out |= names
            elif child.tag == _r("ref"):
                name = child.get("name", "")
                if name not in seen:
                    for d in self._defines[name]:
                        out |= self._start_names(d, seen | {name})
            else:
                out |= self._start_names(child, seen)
        return out

    def _patterns(self, el: etree._Element) -> Iterator[etree._Element]:
        for child in el:
            if isinstance(child.tag, str) and child.tag.startswith(f"{{{RNG_NS}}}"):
                yield child

    def _ns(self, el: etree._Element) -> str:
        node: etree._Element | None = el
        while node is not None:
            ns = node.get("ns")
            if ns is not None:
                return ns
            node = node.getparent()
        return ""

    def _qname(self, el: etree._Element, value: str, attribute: bool) -> QName:
        value = value.strip()
        if ":" in value:
            prefix, _, local = value.partition(":")
            uri = XML_NS if prefix == "xml" else el.nsmap.get(prefix)
            if uri is None:
                raise Unsupported(f"prefix {prefix}")
            return (uri, local)
        if attribute:
            return (el.get("ns", ""), value)
        return (self._ns(el), value)

    def _name_class(self, nc: etree._Element, attribute: bool) -> set[QName] | None:
        """The names a name class allows; None for wildcards (anyName, nsName)."""
        if nc.tag == _r("name"):
            ns = nc.get("ns")
            if ns is None:
                ns = "" if attribute else self._ns(nc)
            text = (nc.text or "").strip()
            if ":" in text:
                return {self._qname(nc, text, attribute)}
            return {(ns, text)}
        if nc.tag == _r("choice"):
            out: set[QName] = set()
            for c in self._patterns(nc):
                names = self._name_class(c, attribute)
                if names is None:
                    return None
                out |= names
            return out
        return None

    def _names_of_element(self, el: etree._Element) -> set[QName] | None:
        if el.get("name") is not None:
            return {self._qname(el, el.get("name", ""), attribute=False)}
        first = next(self._patterns(el), None)
        return self._name_class(first, attribute=False) if first is not None else None

    def _names_of_attribute(self, el: etree._Element) -> set[QName] | None:
        if el.get("name") is not None:
            return {self._qname(el, el.get("name", ""), attribute=True)}
        first = next(self._patterns(el), None)
        return self._name_class(first, attribute=True) if first is not None else None

    def _element(self, el: etree._Element) -> None:
        names = self._names_of_element(el)
        if names is None:
            raise Unsupported("wildcard element")  # any element might match: no "not allowed" messages
        patterns = list(self._patterns(el))
        if el.get("name") is None:
            patterns = patterns[1:]
        summary = self._group(patterns)
        for name in names:
            known = self.elements.get(name)
            self.elements[name] = summary if known is None else known.alt(summary)

    def _group(self, patterns: list[etree._Element]) -> Summary:
        s = Summary()
        for p in patterns:
            s = s.seq(self._summary(p))
        return s

    def _summary(self, p: etree._Element) -> Summary:
        tag = p.tag
        kids = list(self._patterns(p))
        if tag == _r("element"):
            names = self._names_of_element(p)
            return Summary(children=names or set(), any_child=names is None)
        if tag == _r("attribute"):
            anames = self._names_of_attribute(p)
            return Summary(attrs=anames or set(), any_attr=anames is None, required=frozenset(anames or ()))
        if tag in (_r("text"), _r("data"), _r("value"), _r("list")):
            return Summary(text=True)
        if tag == _r("empty"):
            return Summary()
        if tag == _r("notAllowed"):
            return Summary(required=None)
        if tag == _r("ref"):
            return self._ref(p.get("name", ""))
        if tag in (_r("group"), _r("interleave"), _r("oneOrMore")):
            return self._group(kids)
        if tag in (_r("optional"), _r("zeroOrMore")):
            return self._group(kids).optional()
        if tag == _r("mixed"):
            s = self._group(kids)
            s.text = True
            return s
        if tag == _r("choice"):
            out: Summary | None = None
            for k in kids:
                out = self._summary(k) if out is None else out.alt(self._summary(k))
            return out or Summary()
        raise Unsupported(str(tag))

    def _ref(self, name: str) -> Summary:
        if name in self._memo:
            return self._memo[name]
        if name in self._active:
            raise Unsupported(f"recursive define {name}")
        self._active.add(name)
        defines = self._defines[name]
        combined: Summary | None = None
        for d in defines:
            s = self._group(list(self._patterns(d)))
            if combined is None:
                combined = s
            elif d.get("combine") == "interleave" or any(x.get("combine") == "interleave" for x in defines):
                combined = combined.seq(s)
            else:
                combined = combined.alt(s)
        self._active.discard(name)
        result = combined or Summary()
        self._memo[name] = result
        return result

    # --- checking ------------------------------------------------------------------------------------

    def check(self, tree: etree._ElementTree) -> list[tuple[str, int, str]]:
        """(element path, line, message) for each problem the index can pinpoint; [] when disabled or none found."""
        if not self.enabled:
            return []
        root = tree.getroot()
        out: list[tuple[str, int, str]] = []
        name = _qn(root)
        if name not in self.start:
            expected = ", ".join(f"<{_show(n)}>" for n in sorted(self.start))
            out.append(("/" + _show(name), line_of(root), f"/{_show(name)}: the root element must be {expected}"))
            return out
        self._check(root, "/" + _show(name), out)
        return out

    def _check(self, el: etree._Element, where: str, out: list[tuple[str, int, str]]) -> None:
        name = _qn(el)
        info = self.elements.get(name)
        line = line_of(el)
        if info is None:
            out.append((where, line, f"{where}: {_unknown(name, self.elements)}"))
            return
        for attr in el.attrib:
            aname = _qn_attr(str(attr))
            if not info.any_attr and aname not in info.attrs:
                out.append((where, line, f"{where}: attribute {_show_attr(aname)} is not allowed on <{_show(name)}>"))
        for req in sorted(info.required or ()):
            if _clark(req) not in el.attrib:
                out.append((where, line, f"{where}: <{_show(name)}> lacks the required attribute {_show_attr(req)}"))
        if not info.text:
            stray = _stray_text(el)
            if stray is not None:
                text, at = stray
                out.append((where, at or line, f"{where}: text is not allowed directly inside <{_show(name)}> (found {text!r})"))
        counts: dict[str, int] = {}
        elements = [c for c in el if isinstance(c.tag, str)]
        totals: dict[str, int] = {}
        for c in elements:
            totals[c.tag] = totals.get(c.tag, 0) + 1
        for child in elements:
            cname = _qn(child)
            counts[child.tag] = counts.get(child.tag, 0) + 1
            step = _show(cname) + (f"[{counts[child.tag]}]" if totals[child.tag] > 1 else "")
            cwhere = f"{where}/{step}"
            if cname in self.elements and not info.any_child and cname not in info.children:
                out.append((cwhere, line_of(child), f"{cwhere}: <{_show(cname)}> is not allowed inside <{_show(name)}>{_allowed(info)}"))
            self._check(child, cwhere, out)


def _qn(el: etree._Element) -> QName:
    q = etree.QName(el)
    return (q.namespace or "", q.localname)


def _qn_attr(clark: str) -> QName:
    if clark.startswith("{"):
        ns, _, local = clark[1:].partition("}")
        return (ns, local)
    return ("", clark)


def _clark(name: QName) -> str:
    return f"{{{name[0]}}}{name[1]}" if name[0] else name[1]


def _show(name: QName) -> str:
    return name[1] if name[0] in (TEI_NS, "") else f"{{{name[0]}}}{name[1]}"


def _show_attr(name: QName) -> str:
    if name[0] == XML_NS:
        return f"@xml:{name[1]}"
    return f"@{name[1]}" if not name[0] else f"@{{{name[0]}}}{name[1]}"


@functools.cache
def tei_elements() -> frozenset[str]:
    """The element names of TEI P5 (`data/tei-elements.txt`)."""
    text = (resources.files("trotsky_tei") / "data" / "tei-elements.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _unknown(name: QName, known: dict[QName, Summary]) -> str:
    """What an element the schema does not have is: valid TEI that it leaves out, or a name TEI does not have (with
    the nearest names, where one is near)."""
    ns, local = name
    if ns == TEI_NS and local in tei_elements():
        return (f"<{local}> is a TEI element that this schema leaves out (valid TEI P5; for an edition's own encoding "
                "give its schema, or tei_all, with --schema)")
    if ns == TEI_NS:
        near = difflib.get_close_matches(local, sorted({n for q, n in known if q == TEI_NS} | tei_elements()), n=3)
        hint = f"; did you mean {' or '.join(f'<{n}>' for n in near)}?" if near else ""
        return f"unknown element <{_show(name)}>: not a TEI element{hint}"
    return f"unknown element <{_show(name)}>{_ns_note(name)}"


def _ns_note(name: QName) -> str:
    if name[0] == TEI_NS:
        return ""
    return " (not in the TEI namespace)" if name[0] == "" else f" (namespace {name[0]})"


def _allowed(info: Summary) -> str:
    names = sorted({_show(n) for n in info.children})
    if not names:
        return " (it takes no child elements)"
    if len(names) > MAX_LISTED:
        return ""
    return "; allowed there: " + ", ".join(f"<{n}>" for n in names)


def _stray_text(el: etree._Element) -> tuple[str, int] | None:
    """The first non-blank text directly inside `el`, and the line it starts on (0: the element's own)."""
    if el.text and el.text.strip():
        lead = len(el.text) - len(el.text.lstrip())
        line = line_of(el)
        return _short(el.text), line + el.text[:lead].count("\n") if line else 0
    for child in el:
        if child.tail and child.tail.strip():
            following = child.getnext()
            if following is not None and line_of(following):
                stripped = child.tail.lstrip()
                return _short(child.tail), line_of(following) - stripped.count("\n")
            return _short(child.tail), line_of(child)
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"
