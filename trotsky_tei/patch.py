"""Lossless edits of an XML file's original bytes: set or remove an attribute, insert a fragment — nothing else moves.

The tree lxml builds is never serialised back to disk. Instead the original text is scanned once into its start
tags (skipping comments, processing instructions, CDATA sections and the DOCTYPE), and an edit names its element by
**document-order index**: element 0 is the root, then every element in the order its start tag appears — exactly
the order of ``[e for e in root.iter() if isinstance(e.tag, str)]``. `ElementIndex` computes that index for an lxml
element and checks that the scanned tag has the same name and line, so an edit never lands on the wrong element.

API::

    idx = ElementIndex(tree)                                   # once per parsed file
    data2 = apply_edits(data, [SetAttribute(idx[el], "ref", "psn:trotsky"),
                               AppendChild(idx[ms], "<idno>10708</idno>"),
                               InsertAfter(idx[repo], "\\n  <collection>MS Russ 13.1</collection>")],
                        tree=tree)

`SetAttribute` replaces the value of an existing attribute in place (keeping its quote character) or inserts
`` name="value"`` after the tag's last attribute (before any trailing white space and the ``>``/``/>``), using the
quote character the tag already uses. Values are escaped (``&``, ``<``, the quote, and TAB/LF/CR as character
references, so attribute-value normalisation gives the value back). `RemoveAttribute` removes an attribute and the
white space before it. `InsertAfter`, `InsertBefore` and `AppendChild` splice a raw XML fragment (the caller writes
it well-formed; `apply_edits` re-parses the result and raises `PatchError` if it is not). Characters the file's
encoding cannot hold are written as character references. Everything else — XML declaration, comments, PIs,
white space, attribute order and quoting, entity and character references, CDATA — stays byte for byte.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml import etree

from .errors import TeiError
from .xmlfile import line_of


class PatchError(TeiError):
    """An edit cannot be applied losslessly (unknown element, unsupported encoding, result not well-formed)."""

    exit_code = 1


@dataclass(frozen=True)
class SetAttribute:
    """Set attribute `name` (a qualified name as written, e.g. "ref" or "xml:lang") on element `element` to `value`."""

    element: int
    name: str
    value: str


@dataclass(frozen=True)
class RemoveAttribute:
    """Remove attribute `name` from element `element` (nothing happens if it is absent)."""

    element: int
    name: str


@dataclass(frozen=True)
class InsertAfter:
    """Insert the raw XML `fragment` right after the end of element `element` (after its end tag or ``/>``)."""

    element: int
    fragment: str


@dataclass(frozen=True)
class InsertBefore:
    """Insert the raw XML `fragment` right before the start tag of element `element`."""

    element: int
    fragment: str


@dataclass(frozen=True)
class AppendChild:
    """Insert the raw XML `fragment` as the last content of element `element` (an empty ``<x/>`` is opened up)."""

    element: int
    fragment: str


Edit = SetAttribute | RemoveAttribute | InsertAfter | InsertBefore | AppendChild


@dataclass(frozen=True)
class Attribute:
    """One attribute as written: spans (character offsets) of the whole attribute incl. leading space, and of its value."""

    name: str
    start: int  # offset of the white space before the name
    end: int  # offset just after the closing quote
    value_start: int
    value_end: int
    quote: str


@dataclass(frozen=True)
class StartTag:
    """A start tag as written: its qualified name, offsets, line, attributes, and where its element ends."""

    name: str
    start: int  # offset of "<"
    end: int  # offset just after ">"
    attrs_end: int  # offset just after the last attribute (or the name)
    line: int  # line of "<"
    end_line: int  # line of ">" (libxml2 may give an element this line as its sourceline)
    self_closing: bool
    attributes: tuple[Attribute, ...]
    close_start: int  # offset of "</name>" (== end for an empty-element tag)
    close_end: int  # offset just after the element's end


_NAME = r"[^\s=/>\"'<]+"
_TAG_RE = re.compile(rf"<({_NAME})((?:\s+{_NAME}\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)(\s*)(/?)>")
_ATTR_RE = re.compile(rf"(\s+)({_NAME})\s*=\s*(\"([^\"]*)\"|'([^']*)')")
_END_RE = re.compile(rf"</({_NAME})\s*>")


def _skip_doctype(text: str, pos: int) -> int:
    """Offset just after a DOCTYPE declaration starting at `pos` (handles an internal subset and quoted strings)."""
    depth = 0
    i = pos + 2
    n = len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = text.find(c, i + 1)
            i = (j if j >= 0 else n) + 1
            continue
        if text.startswith("<!--", i):
            j = text.find("-->", i + 4)
            i = (j if j >= 0 else n) + 3
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif c == ">" and depth <= 0:
            return i + 1
        i += 1
    raise PatchError("unterminated DOCTYPE declaration")


def scan(text: str) -> list[StartTag]:
    """Every element's start tag in document order, with its attributes and the span of its end tag."""
    tags: list[dict[str, object]] = []
    stack: list[int] = []
    pos = 0
    line = 1
    line_pos = 0
    n = len(text)
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            break
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            pos = (end if end >= 0 else n) + 3
        elif text.startswith("<![CDATA[", lt):
            end = text.find("]]>", lt + 9)
            pos = (end if end >= 0 else n) + 3
        elif text.startswith("<?", lt):
            end = text.find("?>", lt + 2)
            pos = (end if end >= 0 else n) + 2
        elif text.startswith("<!", lt):
            pos = _skip_doctype(text, lt)
        elif text.startswith("</", lt):
            m = _END_RE.match(text, lt)
            if m is None or not stack:
                raise PatchError(f"malformed end tag at offset {lt}")
            opened = stack.pop()
            tags[opened]["close_start"] = lt
            tags[opened]["close_end"] = m.end()
            pos = m.end()
        else:
            m = _TAG_RE.match(text, lt)
            if m is None:
                raise PatchError(f"malformed start tag at offset {lt}")
            line += text.count("\n", line_pos, lt)
            line_pos = lt
            attrs = tuple(
                Attribute(
                    a.group(2),
                    a.start(),
                    a.end(),
                    a.start(4) if a.group(4) is not None else a.start(5),
                    a.end(4) if a.group(4) is not None else a.end(5),
                    a.group(3)[0],
                )
                for a in _ATTR_RE.finditer(m.group(2))
            )
            offset = m.start(2)
            attrs = tuple(
                Attribute(a.name, a.start + offset, a.end + offset, a.value_start + offset, a.value_end + offset, a.quote)
                for a in attrs
            )
            closing = m.group(4) == "/"
            tags.append(
                {
                    "name": m.group(1),
                    "start": lt,
                    "end": m.end(),
                    "attrs_end": m.end(2),
                    "line": line,
                    "end_line": line + text.count("\n", lt, m.end()),
                    "self_closing": closing,
                    "attributes": attrs,
                    "close_start": m.end(),
                    "close_end": m.end(),
                }
            )
            if not closing:
                stack.append(len(tags) - 1)
            pos = m.end()
    if stack:
        raise PatchError("unclosed element")
    return [StartTag(**t) for t in tags]  # type: ignore[arg-type]


class ElementIndex:
    """Document-order indexes of the elements of one parsed tree (the `element` of an `Edit`)."""

    def __init__(self, tree: etree._ElementTree | etree._Element) -> None:
        root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree.getroottree().getroot()
        self.elements: list[etree._Element] = [e for e in root.iter() if isinstance(e.tag, str)]
        self._index = {e: i for i, e in enumerate(self.elements)}

    def __getitem__(self, el: etree._Element) -> int:
        try:
            return self._index[el]
        except KeyError:
            raise PatchError(f"element <{el.tag}> is not in this tree") from None


def detect_codec(data: bytes) -> str:
    """A Python codec under which decoding then encoding `data` gives the same bytes (BOM and declaration aware)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    if data.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if data.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    m = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", data)
    if m:
        name = m.group(1).decode("ascii").lower()
        try:
            codec = codecs.lookup(name).name
        except LookupError as exc:
            raise PatchError(f"unknown encoding {name!r}") from exc
        if codec in ("utf-16", "utf-32"):  # declared without byte order and no BOM: cannot be; keep it safe
            raise PatchError(f"cannot edit a {name} file without a byte order mark")
        return codec
    return "utf-8"


def escape_attribute(value: str, quote: str = '"') -> str:
    """Escape `value` for an attribute delimited by `quote`; TAB/LF/CR survive attribute-value normalisation."""
    out = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    return out.replace('"', "&quot;") if quote == '"' else out.replace("'", "&apos;")


def _local(qname: str) -> str:
    return qname.rpartition(":")[2]


def _check_element(tag: StartTag, el: etree._Element | None, index: int) -> None:
    if el is None:
        return
    expected = etree.QName(el).localname
    if _local(tag.name) != expected:
        raise PatchError(f"element {index}: the file has <{tag.name}> where the tree has <{expected}>")
    line = line_of(el)
    if line and line < 65535 and not tag.line <= line <= tag.end_line:
        raise PatchError(f"element {index} <{tag.name}>: line {tag.line} in the file, {line} in the tree")


def _splices(text: str, tags: list[StartTag], edit: Edit) -> list[tuple[int, int, str]]:
    """The (start, end, replacement) text splices that carry out one edit."""
    if not 0 <= edit.element < len(tags):
        raise PatchError(f"no element {edit.element} (the file has {len(tags)})")
    tag = tags[edit.element]
    if isinstance(edit, SetAttribute):
        if not re.fullmatch(_NAME, edit.name):
            raise PatchError(f"bad attribute name {edit.name!r}")
        for a in tag.attributes:
            if a.name == edit.name:
                return [(a.value_start, a.value_end, escape_attribute(edit.value, a.quote))]
        quote = tag.attributes[0].quote if tag.attributes else '"'
        return [(tag.attrs_end, tag.attrs_end, f" {edit.name}={quote}{escape_attribute(edit.value, quote)}{quote}")]
    if isinstance(edit, RemoveAttribute):
        return [(a.start, a.end, "") for a in tag.attributes if a.name == edit.name]
    if isinstance(edit, InsertBefore):
        return [(tag.start, tag.start, edit.fragment)]
    if isinstance(edit, InsertAfter):
        return [(tag.close_end, tag.close_end, edit.fragment)]
    # AppendChild
    if tag.self_closing:
        body = text[tag.attrs_end : tag.end - 2]  # white space before "/>"
        return [(tag.attrs_end, tag.end, f"{body}>{edit.fragment}</{tag.name}>")]
    return [(tag.close_start, tag.close_start, edit.fragment)]


def apply_edits(
    data: bytes, edits: list[Edit] | tuple[Edit, ...], *, tree: etree._ElementTree | None = None, check: bool = True
) -> bytes:
    """Apply `edits` to the original bytes `data`; every byte outside the edited spans is kept.

    With `tree` (the lxml tree parsed from `data`), each edited element is checked against the file (same name,
    same line) before anything changes. With `check`, the result is re-parsed and must be well-formed.
    Edits at the same offset apply in the order given; overlapping edits raise `PatchError`.
    """
    if not edits:
        return data
    codec = detect_codec(data)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise PatchError(f"the file is not valid {codec}") from exc
    if text.encode(codec) != data:
        raise PatchError(f"the file does not round-trip through {codec}")
    tags = scan(text)
    elements = ElementIndex(tree).elements if tree is not None else None
    if elements is not None and len(elements) != len(tags):
        raise PatchError(f"the tree has {len(elements)} elements, the file {len(tags)}")
    splices: list[tuple[int, int, int, str]] = []
    for seq, edit in enumerate(edits):
        if elements is not None and 0 <= edit.element < len(elements):
            _check_element(tags[edit.element], elements[edit.element], edit.element)
        for start, end, repl in _splices(text, tags, edit):
            splices.append((start, end, seq, repl))
    splices.sort(key=lambda s: (s[0], s[2]))
    pieces: list[bytes] = []
    pos = 0
    for start, end, _seq, repl in splices:
        if start < pos:
            raise PatchError("overlapping edits")
        pieces.append(text[pos:start].encode(codec))  # the original bytes, as the file round-trips
        pieces.append(repl.encode(codec, errors="xmlcharrefreplace"))
        pos = end
    pieces.append(text[pos:].encode(codec))
    result = b"".join(pieces)
    if check:
        try:
            etree.fromstring(result, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
        except etree.XMLSyntaxError as exc:
            raise PatchError(f"the edited file would not be well-formed: {exc}") from exc
    return result
