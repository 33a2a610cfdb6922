"""Call numbers that stand only in prose: find them, and the `msIdentifier` to add or complete (lossless edits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .callnumbers import (
    RepositoryForm,
    prose_references,
    repository_forms,
    same_item,
    structured_call_numbers,
    written_collection,
)
from .errors import Diagnostic, Severity
from .model import CallNumber
from .patch import AppendChild, Edit, ElementIndex, apply_edits, detect_codec, scan
from .registry import Registry
from .xmlfile import NS, line_of, local_name


@dataclass(frozen=True)
class MsIdentifierFix:
    """What to do about one call number that stands only in prose.

    `action` is "add-msDesc" (a new `msDesc` at the end of `sourceDesc`), "complete-msIdentifier" (children
    appended to an `msIdentifier` that has no `idno`), or "manual" (no safe edit; `reason` says why).
    `fragment` is the XML to insert as the last content of the element at `target_line` (`target` names it).
    """

    call_number: CallNumber
    line: int  # the note/bibl that cites it
    action: str
    target: str
    target_line: int
    fragment: str = ""
    reason: str = ""
    edit: Edit | None = None


def prose_only(tree: etree._ElementTree, registry: Registry) -> list[tuple[CallNumber, etree._Element]]:
    """Prose references (note, bibl) with no `msIdentifier` for the same item."""
    structured = [cn for cn, _ in structured_call_numbers(tree, registry)]
    return [(cn, el) for cn, el in prose_references(tree, registry) if not any(same_item(cn, s) for s in structured)]


def _pointer(tree: etree._ElementTree, registry: Registry, repository_id: str | None) -> str | None:
    """A short pointer to the repository by a prefix the letter declares (e.g. "arc:houghton"), if any."""
    entity = registry.get(repository_id or "")
    if entity is None:
        return None
    target = Path(entity.path).name
    for pd in tree.getroot().iterfind(".//tei:teiHeader//tei:listPrefixDef/tei:prefixDef", NS):
        match, repl, ident = pd.get("matchPattern", ""), pd.get("replacementPattern", ""), pd.get("ident", "")
        try:
            m = re.fullmatch(match, entity.id)
        except re.error:
            continue
        if m and ident and repl.rpartition("#")[0].endswith(target):
            return f"{ident}:{entity.id}"
    return None


def _children(cn: CallNumber, form: RepositoryForm | None, ref: str | None, have: set[str]) -> list[str]:
    """The msIdentifier children for `cn` in TEI order, leaving out those in `have`."""
    from xml.sax.saxutils import escape  # here: it imports much of urllib, which checking needs not

    out: list[str] = []
    if form is not None and form.settlement and not have & {"settlement", "institution", "repository"}:
        out.append(f"<settlement>{escape(form.settlement)}</settlement>")
    if form is not None and form.institution and not have & {"institution", "repository"}:
        out.append(f"<institution>{escape(form.institution)}</institution>")
    if "repository" not in have:
        ref_attr = f' ref="{escape(ref)}"' if ref else ""
        out.append(f"<repository{ref_attr}>{escape(cn.repository)}</repository>")
    coll = written_collection(cn)
    if coll and "collection" not in have:
        out.append(f"<collection>{escape(coll)}</collection>")
    out.append(f"<idno>{escape(cn.idno)}</idno>")
    return out


def _layout(text: str, element: int, tree: etree._ElementTree) -> tuple[str, str] | None:
    """(indent of the element's end tag, one indent step) when its end tag stands on a line of its own."""
    tags = scan(text)
    tag = tags[element]
    line_start = text.rfind("\n", 0, tag.close_start) + 1
    before = text[line_start : tag.close_start]
    if before.strip() or tag.self_closing:
        return None
    start_line = text.rfind("\n", 0, tag.start) + 1
    own = text[start_line : tag.start]
    children = [t for t in tags[element + 1 :] if t.start < tag.close_start]
    step = "  "
    if children:
        first = children[0]
        child_indent = text[text.rfind("\n", 0, first.start) + 1 : first.start]
        if not child_indent.strip() and len(child_indent) > len(own):
            step = child_indent[len(own) :]
    return before, step


def _fragment(lines: list[str], layout: tuple[str, str] | None, depth: int) -> str:
    """Lay out nested lines (each `(level, xml)`) as an appended child block, or inline without layout."""
    if layout is None:
        return "".join(lines)
    indent, step = layout
    # the end tag's own indent stays in place; each inserted line ends with a newline and that indent
    return "".join(f"{step * (1 + lvl)}{x}\n{indent}" for lvl, x in _levels(lines, depth))


def _levels(lines: list[str], depth: int) -> list[tuple[int, str]]:
    if depth == 0:
        return [(0, x) for x in lines]
    return [(0, "<msDesc>"), (1, "<msIdentifier>"), *[(2, x) for x in lines], (1, "</msIdentifier>"), (0, "</msDesc>")]


def propose(tree: etree._ElementTree, registry: Registry, data: bytes | None = None) -> list[MsIdentifierFix]:
    """For each prose-only call number, the `msIdentifier` to add or complete (with a lossless edit where `data` is given)."""
    forms = repository_forms(registry)
    root = tree.getroot()
    text = None
    if data is not None:
        text = data.decode(detect_codec(data))
    index = ElementIndex(tree)
    fixes: list[MsIdentifierFix] = []
    for cn, el in prose_only(tree, registry):
        form = next((f for f in forms if f.id == cn.repository_id), None)
        ref = _pointer(tree, registry, cn.repository_id)
        line = line_of(el)
        incomplete = [
            ms
            for ms in root.iterfind("tei:teiHeader//tei:msDesc/tei:msIdentifier", NS)
            if ms.find("tei:idno", NS) is None
        ]
        if incomplete:
            ms = incomplete[0]
            have = {local_name(c) for c in ms if isinstance(c.tag, str)}
            if have & {"altIdentifier", "msName"}:
                fixes.append(
                    MsIdentifierFix(cn, line, "manual", "msIdentifier", line_of(ms), reason="msIdentifier has altIdentifier/msName; add the idno by hand")
                )
                continue
            parts = _children(cn, form, ref, have)
            layout = _layout(text, index[ms], tree) if text is not None else None
            frag = _fragment(parts, layout, 0)
            fixes.append(
                MsIdentifierFix(cn, line, "complete-msIdentifier", "msIdentifier", line_of(ms), frag, edit=AppendChild(index[ms], frag))
            )
            continue
        if any(ms.find("tei:idno", NS) is not None for ms in root.iterfind("tei:teiHeader//tei:msIdentifier", NS)):
            fixes.append(
                MsIdentifierFix(cn, line, "manual", "msIdentifier", 0, reason="the letter's msIdentifier names another item; add an altIdentifier or msDesc by hand")
            )
            continue
        sd = root.find("tei:teiHeader/tei:fileDesc/tei:sourceDesc", NS)
        if sd is None or any(local_name(c) == "p" for c in sd):
            fixes.append(
                MsIdentifierFix(cn, line, "manual", "sourceDesc", line_of(sd) if sd is not None else 0, reason="sourceDesc holds prose paragraphs; an msDesc cannot be added beside them")
            )
            continue
        parts = _children(cn, form, ref, set())
        layout = _layout(text, index[sd], tree) if text is not None else None
        frag = _fragment(parts, layout, 1) if layout is not None else "<msDesc><msIdentifier>" + "".join(parts) + "</msIdentifier></msDesc>"
        fixes.append(MsIdentifierFix(cn, line, "add-msDesc", "sourceDesc", line_of(sd), frag, edit=AppendChild(index[sd], frag)))
    return fixes


def apply_fixes(data: bytes, tree: etree._ElementTree, fixes: list[MsIdentifierFix]) -> bytes:
    """The file's bytes with every fix that has an edit applied; nothing else changes."""
    return apply_edits(data, [f.edit for f in fixes if f.edit is not None], tree=tree)


def describe(fix: MsIdentifierFix) -> str:
    """One line for people: what the fix does."""
    cn = fix.call_number
    where = f"{fix.target} (line {fix.target_line})" if fix.target_line else fix.target
    if fix.action == "manual":
        return f"{cn.repository} {cn.idno}: {fix.reason}"
    verb = "add an msDesc to" if fix.action == "add-msDesc" else "complete"
    return f"{cn.repository} {cn.idno}: {verb} {where}: {' '.join(fix.fragment.split())}"



def fix_diagnostics(path: str, fixes: list[MsIdentifierFix], *, written: bool) -> list[Diagnostic]:
    """What `link` reports for each fix: TT503 (a warning) until it is written, then an info line."""
    out: list[Diagnostic] = []
    for fix in fixes:
        if written and fix.edit is not None:
            out.append(Diagnostic(path, fix.target_line, 1 if fix.target_line else 0, Severity.INFO, "TT503",
                                  "call-number-in-prose-only", f"written: {describe(fix)}"))
        else:
            hint = "" if fix.edit is None else " (--write does it)"
            out.append(Diagnostic(path, fix.line, 1 if fix.line else 0, Severity.WARNING, "TT503",
                                  "call-number-in-prose-only", f"{describe(fix)}{hint}"))
    return out
