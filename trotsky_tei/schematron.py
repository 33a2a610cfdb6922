"""ISO Schematron rules on a parsed letter: `validate --schematron FILE.sch`, evaluated with elementpath.

A Schematron file is compiled once per process (`load_schematron`): read by the hardened parser, checked, and every
XPath in it parsed, so that a file that is not XML, not Schematron, uses an unsupported query binding or construct,
or has a broken XPath is a `SchemaError` (exit 2) naming the file and line before any letter is checked. Then
`Schematron.validate(tree, path, source)` runs its patterns on a letter's tree (the one the pass parsed; never read
again) and gives diagnostics:

    TT110 (a failed assert), TT111 (a successful report), TT112 (an XPath that fails on this document, e.g. a cast
    of a value that is not a date): at the line and column of the context node's start tag (of its element, for an
    attribute or text node), named by the assertion's @id, else the rule's, else the pattern's.

elementpath (XPath 1.0, 2.0, 3.0 and 3.1 on lxml trees) evaluates the expressions; lxml's own `isoschematron` runs
only XSLT 1 (queryBinding "xslt"; it refuses "xslt2", which TEI ODDs generate). No expression can read a file or
the network: elementpath's doc() sees only the documents it is given (none), and external resources are off.

Supported: `schema/@queryBinding` (absent, xslt, xpath: XPath 1.0; xslt2, xpath2: 2.0; xslt3, xpath3: 3.0; xpath31:
3.1), `ns`, `let` with @value (schema, phase, pattern, rule), `phase`/`active` through `schema/@defaultPhase`,
`pattern`, `rule` (@context, @subject, abstract rules and `extends @rule`), `assert`/`report` (@test, @id, @role,
@subject, @diagnostics), `diagnostics`/`diagnostic`, and in messages `value-of`, `name`, `emph`, `dir`, `span`.
`title`, `p` and foreign (non-XSLT) elements are documentation. Anything else (`include`, abstract patterns and
`is-a`/`param`, `extends @href`, `let` without @value, `properties`, `xsl:` elements such as `xsl:key` and
`xsl:function`) is an error: a rule is never silently left out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from .errors import Diagnostic, SchemaError, Severity
from .xmlfile import line_of, make_parser

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
ASSERT_CODE = "TT110"
REPORT_CODE = "TT111"
ERROR_CODE = "TT112"
CODES = (ASSERT_CODE, REPORT_CODE, ERROR_CODE)
MAX_VALUE = 200  # characters of one <value-of> in a message (the whole message is bounded by errors.MAX_MESSAGE)
MAX_NAME = 60  # characters of a diagnostic's name taken from an @id

# queryBinding -> elementpath parser (its module, its class)
BINDINGS: dict[str, tuple[str, str]] = {
    "xslt": ("elementpath", "XPath1Parser"),
    "xpath": ("elementpath", "XPath1Parser"),
    "xslt2": ("elementpath", "XPath2Parser"),
    "xpath2": ("elementpath", "XPath2Parser"),
    "xslt3": ("elementpath.xpath30", "XPath30Parser"),
    "xpath3": ("elementpath.xpath30", "XPath30Parser"),
    "xpath31": ("elementpath.xpath31", "XPath31Parser"),
}
_SEVERITY = {"error": Severity.ERROR, "fatal": Severity.ERROR, "warning": Severity.WARNING, "warn": Severity.WARNING,
             "info": Severity.INFO, "information": Severity.INFO}
_NAME_OK = re.compile(r"^[A-Za-z_][\w.:-]*$")
_DOC_ELEMENTS = {"title", "p"}
_MESSAGE_ELEMENTS = {"value-of", "name", "emph", "dir", "span"}


@dataclass
class _Expr:
    """One compiled XPath, with the text and the line of the .sch it comes from."""

    text: str
    line: int
    token: Any


@dataclass
class _Message:
    """An assertion's text: strings and expressions (value-of: its value; name: the node's name)."""

    parts: list[tuple[str, Any]]  # ("text", str) | ("value-of", _Expr) | ("name", _Expr | None)


@dataclass
class _Assertion:
    report: bool
    test: _Expr
    name: str
    severity: Severity
    message: _Message
    subject: _Expr | None
    diagnostics: list[_Message] = field(default_factory=list)


@dataclass
class _Rule:
    context: list[_Expr]  # the alternatives of the pattern (a | b), each as a selection from the root
    lets: list[tuple[str, _Expr]]
    assertions: list[_Assertion]
    name: str
    subject: _Expr | None


@dataclass
class _Pattern:
    name: str
    lets: list[tuple[str, _Expr]]
    rules: list[_Rule]


@dataclass
class Schematron:
    """A compiled Schematron file: its patterns, run on each parsed document."""

    source: str  # the file as given
    binding: str
    namespaces: dict[str, str]
    lets: list[tuple[str, _Expr]]
    patterns: list[_Pattern]
    parser: Any = field(repr=False, default=None)

    def validate(self, tree: etree._ElementTree, path: str, source: bytes | None = None) -> list[Diagnostic]:
        """Every failed assert and successful report on `tree` (read from `path`), in document order."""
        from elementpath import XPathContext

        found: list[Diagnostic] = []
        root = XPathContext(tree, namespaces=self.namespaces)
        lines = source.split(b"\n") if source is not None else None
        top = root.root
        try:
            variables = self._bind({}, self.lets, root, top)
        except _Failed as exc:
            return [self._error(path, tree.getroot(), exc, lines)]
        for pattern in self.patterns:
            try:
                scope = self._bind(variables, pattern.lets, root, top)
            except _Failed as exc:
                found.append(self._error(path, tree.getroot(), exc, lines))
                continue
            fired: set[int] = set()  # a node is matched by the first rule of a pattern whose context it fits
            for rule in pattern.rules:
                for node in self._matches(rule, root, scope, path, tree, lines, found):
                    if id(node) in fired:
                        continue
                    fired.add(id(node))
                    found.extend(self._check(pattern, rule, node, root, scope, path, lines))
        return found

    # --- evaluation ---------------------------------------------------------------------------------

    def _eval(self, expr: _Expr, base: Any, item: Any, variables: dict[str, Any]) -> Any:
        ctx = copy.copy(base)
        ctx.item = item
        ctx.variables = variables
        try:
            return expr.token.evaluate(ctx)
        except Exception as exc:  # noqa: BLE001 - elementpath's errors (types, casts, …) on this document's data
            raise _Failed(expr, exc) from exc

    def _bind(self, outer: dict[str, Any], lets: list[tuple[str, _Expr]], base: Any, item: Any) -> dict[str, Any]:
        if not lets:
            return outer
        variables = dict(outer)
        for name, expr in lets:
            variables[name] = self._eval(expr, base, item, variables)
        return variables

    def _matches(self, rule: _Rule, base: Any, scope: dict[str, Any], path: str, tree: etree._ElementTree,
                 lines: list[bytes] | None, found: list[Diagnostic]) -> Iterator[Any]:
        seen: set[int] = set()
        nodes: list[Any] = []
        for expr in rule.context:
            try:
                value = self._eval(expr, base, base.root, scope)
            except _Failed as exc:
                found.append(self._error(path, tree.getroot(), exc, lines))
                continue
            for node in value if isinstance(value, list) else [value]:
                if _is_node(node) and id(node) not in seen:
                    seen.add(id(node))
                    nodes.append(node)
        if len(rule.context) > 1:
            nodes.sort(key=_document_position)
        yield from nodes

    def _check(self, pattern: _Pattern, rule: _Rule, node: Any, base: Any, scope: dict[str, Any], path: str,
               lines: list[bytes] | None) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        try:
            variables = self._bind(scope, rule.lets, base, node)
        except _Failed as exc:
            return [self._error(path, _element_of(node), exc, lines)]
        for a in rule.assertions:
            try:
                fired = bool(a.test.token.boolean_value(self._eval(a.test, base, node, variables)))
                if fired != a.report:
                    continue
                subject = a.subject or rule.subject
                at = node
                if subject is not None:
                    value = self._eval(subject, base, node, variables)
                    first = value[0] if isinstance(value, list) and value else value
                    at = first if _is_node(first) else node
                text = self._text(a.message, base, node, variables)
                extra = [self._text(m, base, node, variables) for m in a.diagnostics]
            except _Failed as exc:
                out.append(self._error(path, _element_of(node), exc, lines))
                continue
            if not text:
                text = f"{'report' if a.report else 'assert'} {a.test.text!r}" + (" is true" if a.report else " failed")
            message = " ".join([text, *(f"({e})" for e in extra if e)])
            name = a.name or rule.name or pattern.name or ("schematron-report" if a.report else "schematron-assert")
            el = _element_of(at)
            line = line_of(el) if el is not None else 0
            out.append(Diagnostic(path, line, _column(el, lines) if line else 0, a.severity,
                                  REPORT_CODE if a.report else ASSERT_CODE, name, message))
        return out

    def _text(self, message: _Message, base: Any, node: Any, variables: dict[str, Any]) -> str:
        out: list[str] = []
        for kind, value in message.parts:
            if kind == "text":
                out.append(value)
            elif kind == "value-of":
                out.append(_bounded(_string(self._eval(value, base, node, variables))))
            else:  # name
                target = node
                if value is not None:
                    found = self._eval(value, base, node, variables)
                    target = found[0] if isinstance(found, list) and found else found
                out.append(_node_name(target))
        return " ".join("".join(out).split())

    def _error(self, path: str, el: etree._Element | None, exc: _Failed, lines: list[bytes] | None) -> Diagnostic:
        line = line_of(el) if el is not None else 0
        detail = " ".join(str(exc.cause).split())
        return Diagnostic(path, line, _column(el, lines) if line else 0, Severity.ERROR, ERROR_CODE, "schematron-error",
                          f"{self.source}:{exc.expr.line}: {exc.expr.text!r} cannot be evaluated here: {detail}")


class _Failed(Exception):
    def __init__(self, expr: _Expr, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.expr = expr
        self.cause = cause


def _is_node(item: Any) -> bool:
    from elementpath.xpath_nodes import XPathNode

    return isinstance(item, XPathNode)


def _element_of(node: Any) -> etree._Element | None:
    """The lxml element a node is, or is in (an attribute's or a text's parent); None for the document node."""
    if isinstance(node, etree._Element):
        return node
    while node is not None:
        value = getattr(node, "elem", None)
        if isinstance(value, etree._Element):  # (a comment or processing instruction too: its line)
            return value
        node = getattr(node, "parent", None)
    return None


def _document_position(node: Any) -> tuple[int, ...]:
    position = getattr(node, "position", None)
    return (position,) if isinstance(position, int) else (0,)


def _node_name(node: Any) -> str:
    """name(): an element's name as the document writes it (tei:p where it has a prefix), an attribute's (xml:id)."""
    name = getattr(node, "name", None)
    elem = getattr(node, "elem", None)
    if isinstance(elem, etree._Element) and isinstance(elem.tag, str) and name == elem.tag:
        return _qname(elem)
    if isinstance(name, str):
        if name.startswith("{http://www.w3.org/XML/1998/namespace}"):
            return "xml:" + name.rpartition("}")[2]
        return name.rpartition("}")[2]
    return ""


def _qname(el: etree._Element) -> str:
    q = etree.QName(el)
    prefix = el.prefix
    return f"{prefix}:{q.localname}" if prefix else q.localname


def _string(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if item is None:
            continue
        string_value = getattr(item, "string_value", None)
        out.append(str(string_value) if string_value is not None else str(item).lower() if isinstance(item, bool) else str(item))
    return " ".join(out)


def _bounded(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def _column(el: etree._Element | None, lines: list[bytes] | None) -> int:
    """The 1-based column of `el`'s start tag on its line of `lines` (the file's bytes): the n-th `<name` on that line
    for the n-th element of that name starting there; 1 where it is not found or the bytes are not known."""
    line = line_of(el) if el is not None else 0
    if el is None or lines is None or not 0 < line <= len(lines) or not isinstance(el.tag, str):
        return 1
    same = 0
    root = el.getroottree().getroot()
    for other in root.iter(el.tag):
        if other is el:
            break
        if line_of(other) == line:
            same += 1
    text = lines[line - 1].decode("utf-8", "replace")
    local = re.escape(etree.QName(el).localname)
    hits = list(re.finditer(r"<(?:[\w.-]+:)?" + local + r"(?=[\s/>]|$)", text))
    return hits[same].start() + 1 if same < len(hits) else 1


# --- compiling ------------------------------------------------------------------------------------------

_CACHE: dict[tuple[str, str], Schematron] = {}


def load_schematron(path: str, digest: str = "") -> Schematron:
    """The compiled Schematron at `path` (once per process for the same file and content); SchemaError if unusable."""
    key = (str(Path(path).resolve()), digest)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = compile_schematron(path)
    return found


def compile_schematron(path: str) -> Schematron:
    from .xmlfile import read_bytes

    data, problems = read_bytes(path)
    if data is None:
        raise SchemaError(f"schematron file {path}: {problems[0].message if problems else 'cannot be read'}")
    try:
        doc = etree.fromstring(data, make_parser(), base_url=str(path)).getroottree()
    except etree.XMLSyntaxError as exc:
        raise SchemaError(f"schematron file {path}: not well-formed XML: {exc}") from None
    return _Compiler(path, doc).compile()


class _Compiler:
    def __init__(self, path: str, doc: etree._ElementTree) -> None:
        self.path = path
        self.doc = doc
        self.parser: Any = None
        self.abstract: dict[str, etree._Element] = {}
        self.diagnostics: dict[str, etree._Element] = {}

    def fail(self, el: etree._Element | None, message: str) -> SchemaError:
        line = line_of(el) if el is not None else 0
        return SchemaError(f"schematron file {self.path}:{line}: {message}" if line else f"schematron file {self.path}: {message}")

    def compile(self) -> Schematron:
        import importlib

        root = self.doc.getroot()
        if root.tag != f"{{{SCH}}}schema":
            raise self.fail(root, f"the root is <{root.tag}>, not an ISO Schematron <schema> in the namespace {SCH}")
        binding = (root.get("queryBinding") or "xslt").strip().lower()
        if binding not in BINDINGS:
            raise self.fail(root, f"queryBinding {binding!r} is not supported (supported: {', '.join(BINDINGS)})")
        namespaces: dict[str, str] = {}
        for el in root.iter(f"{{{SCH}}}ns"):
            prefix, uri = el.get("prefix"), el.get("uri")
            if not prefix or uri is None:
                raise self.fail(el, "<ns> needs @prefix and @uri")
            namespaces[prefix] = uri
        module, cls = BINDINGS[binding]
        parser_class = getattr(importlib.import_module(module), cls)
        kwargs: dict[str, Any] = {"namespaces": namespaces}
        if cls in ("XPath30Parser", "XPath31Parser"):
            kwargs["allow_external_resources"] = False
        self.parser = parser_class(**kwargs)
        for el in root:
            self.check_element(el)
        for el in root.iter(f"{{{SCH}}}rule"):
            if el.get("abstract") == "true":
                if not el.get("id"):
                    raise self.fail(el, "an abstract <rule> needs @id")
                self.abstract[el.get("id", "")] = el
        for el in root.iter(f"{{{SCH}}}diagnostic"):
            if el.get("id"):
                self.diagnostics[el.get("id", "")] = el
        lets = self.lets(root)
        patterns = [p for p in root if p.tag == f"{{{SCH}}}pattern"]
        phase = root.get("defaultPhase")
        if phase and phase != "#ALL":
            chosen = next((p for p in root if p.tag == f"{{{SCH}}}phase" and p.get("id") == phase), None)
            if chosen is None:
                raise self.fail(root, f"defaultPhase {phase!r}: there is no <phase id={phase!r}>")
            active = [a.get("pattern") for a in chosen if a.tag == f"{{{SCH}}}active"]
            unknown = [a for a in active if a not in {p.get("id") for p in patterns}]
            if unknown:
                raise self.fail(chosen, f"<active pattern={unknown[0]!r}> names no pattern")
            lets += self.lets(chosen)
            patterns = [p for p in patterns if p.get("id") in active]
        return Schematron(self.path, binding, namespaces, lets, [self.pattern(p) for p in patterns], self.parser)

    def check_element(self, el: etree._Element) -> None:
        """Refuse what is not supported, anywhere in the file (so nothing is silently left out)."""
        for sub in el.iter(etree.Element):
            tag = sub.tag if isinstance(sub.tag, str) else ""
            if tag.startswith(f"{{{XSL}}}"):
                raise self.fail(sub, f"<xsl:{etree.QName(sub).localname}> is not supported (XSLT inside Schematron)")
            if not tag.startswith(f"{{{SCH}}}"):
                continue
            local = etree.QName(sub).localname
            if local in ("include", "properties", "property", "param"):
                raise self.fail(sub, f"<{local}> is not supported")
            if local == "pattern" and (sub.get("abstract") == "true" or sub.get("is-a")):
                raise self.fail(sub, "abstract patterns (@abstract, @is-a, <param>) are not supported")
            if local == "extends" and (sub.get("href") or not sub.get("rule")):
                raise self.fail(sub, "<extends> is supported with @rule (an abstract rule of this file) only")
            if local == "let" and sub.get("value") is None:
                raise self.fail(sub, "<let> without @value is not supported")
            if local in ("assert", "report") and sub.get("properties"):
                raise self.fail(sub, "@properties is not supported")

    def expr(self, el: etree._Element, attr: str, text: str | None = None) -> _Expr:
        source = el.get(attr) if text is None else text
        if source is None or not source.strip():
            raise self.fail(el, f"<{etree.QName(el).localname}> needs @{attr}")
        try:
            token = self.parser.parse(source)
        except Exception as exc:  # noqa: BLE001 - elementpath's syntax, name and type errors
            raise self.fail(el, f"@{attr} {source!r} is not a valid XPath: {' '.join(str(exc).split())}") from None
        return _Expr(source, line_of(el), token)

    def lets(self, parent: etree._Element) -> list[tuple[str, _Expr]]:
        out = []
        for el in parent:
            if el.tag == f"{{{SCH}}}let":
                name = el.get("name")
                if not name:
                    raise self.fail(el, "<let> needs @name")
                out.append((name, self.expr(el, "value")))
        return out

    def pattern(self, el: etree._Element) -> _Pattern:
        rules = [self.rule(r) for r in el if r.tag == f"{{{SCH}}}rule" and r.get("abstract") != "true"]
        return _Pattern(_safe_name(el.get("id")), self.lets(el), rules)

    def rule(self, el: etree._Element) -> _Rule:
        context = el.get("context")
        if not context or not context.strip():
            raise self.fail(el, "<rule> needs @context")
        alternatives = [self.expr(el, "context", _as_selection(alt)) for alt in _alternatives(context)]
        for alt in alternatives:
            alt.text = context
        lets = self.lets(el)
        assertions = self.assertions(el)
        for ext in el:
            if ext.tag == f"{{{SCH}}}extends":
                base = self.abstract.get(ext.get("rule", ""))
                if base is None:
                    raise self.fail(ext, f"<extends rule={ext.get('rule')!r}> names no abstract rule")
                lets += self.lets(base)
                assertions += self.assertions(base)
        subject = self.expr(el, "subject") if el.get("subject") else None
        return _Rule(alternatives, lets, assertions, _safe_name(el.get("id")), subject)

    def assertions(self, rule: etree._Element) -> list[_Assertion]:
        out = []
        for el in rule:
            if el.tag not in (f"{{{SCH}}}assert", f"{{{SCH}}}report"):
                continue
            role = (el.get("role") or "error").strip().lower()
            diagnostics = []
            for ref in (el.get("diagnostics") or "").split():
                found = self.diagnostics.get(ref)
                if found is None:
                    raise self.fail(el, f"@diagnostics names {ref!r}, which no <diagnostic> has as @id")
                diagnostics.append(self.message(found))
            out.append(_Assertion(
                report=el.tag == f"{{{SCH}}}report",
                test=self.expr(el, "test"),
                name=_safe_name(el.get("id")),
                severity=_SEVERITY.get(role, Severity.ERROR),
                message=self.message(el),
                subject=self.expr(el, "subject") if el.get("subject") else None,
                diagnostics=diagnostics,
            ))
        return out

    def message(self, el: etree._Element) -> _Message:
        parts: list[tuple[str, Any]] = [("text", el.text or "")]
        for child in el:
            if isinstance(child.tag, str):
                local = etree.QName(child).localname
                if child.tag == f"{{{SCH}}}value-of":
                    parts.append(("value-of", self.expr(child, "select")))
                elif child.tag == f"{{{SCH}}}name":
                    parts.append(("name", self.expr(child, "path") if child.get("path") else None))
                elif child.tag.startswith(f"{{{SCH}}}") and local not in _MESSAGE_ELEMENTS:
                    raise self.fail(child, f"<{local}> is not allowed in a message")
                else:  # emph, dir, span, foreign markup: their text (and what is evaluated inside them)
                    parts.extend(self.message(child).parts)
            parts.append(("text", child.tail or ""))
        return _Message(parts)


def _safe_name(value: str | None) -> str:
    """An @id as a diagnostic's name ("" when there is none or it is not a name)."""
    value = (value or "").strip()
    return value[:MAX_NAME] if value and _NAME_OK.match(value) else ""


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of an XSLT pattern `a | b` (not splitting inside brackets, parentheses, strings)."""
    out: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for i, ch in enumerate(pattern):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
    out.append(pattern[start:])
    return [a.strip() for a in out if a.strip()]


def _as_selection(alternative: str) -> str:
    """A pattern alternative as an expression that selects, from the document node, every node it matches."""
    if alternative.startswith("/"):
        return alternative
    return "//" + alternative
