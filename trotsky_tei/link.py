"""The link report (every name in a letter against the registry) and lossless `--write` of the missing `@ref`s."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from . import msident
from .errors import Diagnostic, Severity
from .matching import fits
from .patch import Edit, ElementIndex, PatchError, SetAttribute, apply_edits, detect_codec
from .refs import References
from .registry import Registry
from .xmlfile import atomic_write, line_of, local_name

if TYPE_CHECKING:
    from .source import SourceLines

NAME_KINDS = {"persName": "person", "placeName": "place", "orgName": "org"}
TYPED_KINDS = {
    "person": "person", "persons": "person", "people": "person", "place": "place", "places": "place",
    "org": "org", "organisation": "org", "organization": "org", "institution": "org",
}
# every element name `_kind` gives a kind to, as lxml tag patterns of any namespace (what the counts walk over)
NAME_TAGS = tuple(f"{{*}}{name}" for name in (*NAME_KINDS, "rs", "name"))
DEFINITION_ANCESTORS = frozenset({"person", "personGrp", "place", "org", "standOff", "listPrefixDef"})
DEFINITION_TAGS = tuple(f"{{*}}{name}" for name in sorted(DEFINITION_ANCESTORS))  # any namespace, as local_name
CORRESPONDENT_TAGS = frozenset({"persName", "orgName", "name", "rs"})
PREFERRED = {"sic": "corr", "orig": "reg", "abbr": "expan"}

# status -> (diagnostic code, name, severity) for what the report shows as a problem
CODES: dict[str, tuple[str, str, Severity]] = {
    "correspondent": ("TT801", "unresolved-correspondent", Severity.ERROR),
    "broken": ("TT802", "broken-registry-pointer", Severity.ERROR),
    "ambiguous": ("TT803", "ambiguous-name", Severity.ERROR),
    "unknown": ("TT804", "name-not-in-registry", Severity.ERROR),
    "unlinked": ("TT805", "unlinked-name", Severity.ERROR),
    "mismatch": ("TT806", "name-differs-from-entry", Severity.INFO),
    "external": ("TT807", "external-pointer", Severity.INFO),
}


@dataclass(frozen=True)
class MentionReport:
    """One name in a letter: where, what it says, where it points, and what linking found."""

    line: int
    element: str
    kind: str
    text: str
    ref: str | None
    status: str  # linked | external | broken | unlinked | ambiguous | unknown
    entity: str | None = None
    label: str | None = None
    text_matches: bool | None = None
    candidates: tuple[str, ...] = ()
    proposed_ref: str | None = None
    written: bool = False
    correspondent: bool = False
    note: str = ""
    index: int = -1  # document-order element index (for patch.py); not part of the JSON

    @property
    def problem(self) -> str | None:
        """The key of `CODES` this mention is reported under, or None when it is fine as it is."""
        if self.written:
            return None
        if self.correspondent and self.status != "linked":
            return "correspondent"
        if self.status in ("broken", "ambiguous", "unknown", "unlinked", "external"):
            return self.status
        if self.status == "linked" and self.text_matches is False:
            return "mismatch"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line, "element": self.element, "kind": self.kind, "text": self.text, "ref": self.ref,
            "status": self.status, "entity": self.entity, "label": self.label, "text_matches": self.text_matches,
            "candidates": list(self.candidates), "proposed_ref": self.proposed_ref, "written": self.written,
            "correspondent": self.correspondent, "note": self.note,
        }


@dataclass
class LetterReport:
    """The link report of one file, and what `--write`/`--dry-run` did to it."""

    path: str
    mentions: list[MentionReport] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    registry: str | None = None
    changed: bool = False
    written: bool = False
    diff: str = ""
    skipped: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "registry": self.registry, "skipped": self.skipped or None, "changed": self.changed,
            "written": self.written, "mentions": [m.as_dict() for m in self.mentions],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


def mention_text(el: etree._Element) -> str:
    """A name's text as read: notes left out, and of `choice` only the corrected/regular/expanded reading."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        names = {local_name(c) for c in node}
        for child in node:
            name = local_name(child)
            skip = name == "note" or not name or (local_name(node) == "choice" and PREFERRED.get(name) in names)
            if not skip:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return " ".join("".join(parts).split())


def _kind(el: etree._Element) -> str | None:
    name = local_name(el)
    if name in NAME_KINDS:
        return NAME_KINDS[name]
    if name in ("rs", "name"):
        return TYPED_KINDS.get((el.get("type") or "").lower())
    return None


def _in_definition(el: etree._Element) -> bool:
    return next(el.iterancestors(*DEFINITION_TAGS), None) is not None  # lxml picks them out, not a Python loop


def _is_correspondent(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and local_name(parent) == "correspAction" and local_name(el) in CORRESPONDENT_TAGS


def pointer_for(entity_id: str, entity_path: str, ctx: References, forms: list[str]) -> str:
    """The pointer `--write` adds: the letter's own prefix for that registry file, else the form it already uses."""
    target = os.path.realpath(entity_path)
    for ident, _match, _repl in ctx.prefix_list:
        candidate = f"{ident}:{entity_id}"
        expanded = ctx.expand(candidate)
        if expanded is None:
            continue
        file_part, _, frag = expanded.partition("#")
        if frag == entity_id and file_part and os.path.realpath(Path(path_dir(ctx.path)) / file_part) == target:
            return candidate
    if forms and all(f.startswith("#") for f in forms):
        return f"#{entity_id}"
    rel = os.path.relpath(target, os.path.realpath(path_dir(ctx.path)))
    return f"{Path(rel).as_posix()}#{entity_id}"


def path_dir(path: str) -> str:
    return str(Path(path).parent)


def _pointer_status(ctx: References, ref: str) -> tuple[str, str | None, str]:
    """The status of a name's @ref: broken if any token is, else linked if any is, else the first token's."""
    results = [ctx.link_status(p) for p in ref.split()]
    return next((r for r in results if r[0] == "broken"), next((r for r in results if r[0] == "linked"), results[0]))


def link_counts(tree: etree._ElementTree, path: str, registry: Registry, refs: References | None = None) -> dict[str, int]:
    """How many names of a letter are linked, external, broken, unlinked, ambiguous or unknown: `link_tree`'s
    statuses, without the rest of the report (what `build` shows in its summary)."""
    ctx = refs if refs is not None else References(tree, path, registry)
    counts: dict[str, int] = {}
    for el in tree.iter(NAME_TAGS):  # only the elements `_kind` can accept, in any namespace
        kind = _kind(el)
        if kind is None or _in_definition(el):
            continue
        ref = el.get("ref")
        if ref is not None and ref.strip():
            status = _pointer_status(ctx, ref)[0]
        elif el.get("key") is not None:
            status = "external"
        else:
            text = mention_text(el)
            if not text:
                continue
            found = registry.match(text, kind).status
            status = "unlinked" if found == "unique" else "ambiguous" if found == "ambiguous" else "unknown"
        counts[status] = counts.get(status, 0) + 1
    return counts


def link_tree(tree: etree._ElementTree, path: str, registry: Registry, refs: References | None = None) -> list[MentionReport]:
    """The report of every name in one parsed letter (header and text), in document order."""
    ctx = refs if refs is not None else References(tree, path, registry)
    index = ElementIndex(tree)
    raw: list[tuple[etree._Element, str]] = []
    for el in index.elements:
        kind = _kind(el)
        if kind is None or _in_definition(el):
            continue
        raw.append((el, kind))
    # the pointer forms the letter already uses for registry entries (to write new ones alike)
    forms = [
        p for el, _k in raw for p in (el.get("ref") or "").split()
        if ctx.link_status(p)[0] == "linked" and ctx.expand(p) is None
    ]
    out: list[MentionReport] = []
    for el, kind in raw:
        text = mention_text(el)
        ref = el.get("ref")
        key = el.get("key")
        is_corr = _is_correspondent(el)
        base: dict[str, Any] = {
            "line": line_of(el), "element": local_name(el), "kind": kind, "text": text,
            "ref": ref if ref is not None else key, "correspondent": is_corr, "index": index[el],
        }
        if ref is not None and ref.strip():
            status, ent_id, note = _pointer_status(ctx, ref)
            ent = registry.get(ent_id) if ent_id else None
            matches = fits(text, ent) if ent is not None and local_name(el) != "rs" and text else None
            out.append(
                MentionReport(
                    **base, status=status, entity=ent_id, label=ent.label if ent else None, text_matches=matches,
                    note=note,
                )
            )
            continue
        if key is not None:
            out.append(MentionReport(**base, status="external", note="@key only (another edition's index)"))
            continue
        if not text:
            continue  # an empty name with nothing to link
        result = registry.match(text, kind)
        ids = tuple(c.entity.id for c in result.candidates)
        if result.status == "unique":
            ent = result.candidates[0].entity
            out.append(
                MentionReport(
                    **base, status="unlinked", entity=ent.id, label=ent.label, candidates=ids,
                    proposed_ref=pointer_for(ent.id, ent.path, ctx, forms),
                )
            )
        elif result.status == "ambiguous":
            out.append(MentionReport(**base, status="ambiguous", candidates=ids))
        else:
            hints = tuple(c.entity.id for c in registry.suggest(text, kind))
            out.append(MentionReport(**base, status="unknown", candidates=hints))
    return out


def _diagnostics(path: str, mentions: list[MentionReport]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for m in mentions:
        problem = m.problem
        if problem is None:
            continue
        code, name, severity = CODES[problem]
        what = f"<{m.element}> '{m.text}'"
        if problem == "correspondent":
            detail = {
                "unlinked": f"no @ref; it fits {m.entity} (--write adds ref=\"{m.proposed_ref}\")",
                "ambiguous": f"no @ref; it fits several entries: {', '.join(m.candidates)}",
                "unknown": "no @ref, and no registry entry fits",
            }.get(m.status, f"{m.ref}: {m.note}" if m.note else m.status)
            msg = f"correspondent {what} does not resolve to the registry ({detail})"
        elif problem == "broken":
            msg = f"{what} points to {m.ref}: {m.note}"
        elif problem == "ambiguous":
            msg = f"{what} fits several entries: {', '.join(m.candidates)}; add @ref by hand"
        elif problem == "unknown":
            msg = f"{what} has no @ref and fits no registry entry"
            if m.candidates:  # entries whose names hold every word of it: a hint, never written
                msg += f" by its whole name; it may be a short form of: {', '.join(m.candidates)} (add @ref by hand)"
        elif problem == "unlinked":
            msg = f"{what} has no @ref; it fits {m.entity} (--write adds ref=\"{m.proposed_ref}\")"
        elif problem == "mismatch":
            msg = f"{what} points to {m.entity}, whose names are not this text ({m.label})"
        else:
            msg = f"{what} points outside the registry ({m.ref}): {m.note}"
        diags.append(Diagnostic(path, m.line, 1 if m.line else 0, severity, code, name, msg))
    return diags


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    """The change as a unified diff of the file's text."""
    codec = detect_codec(old)
    a = old.decode(codec).splitlines(keepends=True)
    b = new.decode(codec).splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}"))


def link_doc(
    path: str, tree: etree._ElementTree, registry: Registry, refs: References | None = None, data: bytes | None = None,
    *, write: bool = False, dry_run: bool = False, registry_folder: str | None = None,
) -> LetterReport:
    """Link one parsed letter; with `write`, add the unambiguous `@ref`s to its file (`data`: its bytes) losslessly
    (with `dry_run`, only diff them)."""
    report = LetterReport(path, registry=registry_folder)
    mentions = link_tree(tree, path, registry, refs)
    proposals = [m for m in mentions if m.status == "unlinked" and m.proposed_ref]
    # call numbers that stand only in prose: the msIdentifier to add or complete (msident.py, same lossless edits)
    fixes = msident.propose(tree, registry, data)
    if (proposals or any(f.edit for f in fixes)) and (write or dry_run) and data is not None:
        edits: list[Edit] = [SetAttribute(m.index, "ref", m.proposed_ref or "") for m in proposals]
        edits += [f.edit for f in fixes if f.edit is not None]
        try:
            new = apply_edits(data, edits, tree=tree)
        except PatchError as exc:
            report.diagnostics.append(
                Diagnostic(path, 0, 0, Severity.ERROR, "TT808", "cannot-write", f"not written: {exc}")
            )
        else:
            report.changed = new != data
            if dry_run:
                report.diff = unified_diff(path, data, new)
            else:
                atomic_write(path, new)  # the user's own file: synced to disk before it replaces the old one
                report.written = True
                done = {m.index for m in proposals}
                mentions = [
                    replace(m, written=True, ref=m.proposed_ref) if m.index in done else m
                    for m in mentions
                ]
    report.mentions = mentions
    report.diagnostics.extend(_diagnostics(path, mentions))
    report.diagnostics.extend(msident.fix_diagnostics(path, fixes, written=report.written))
    return report


def link_paths(
    paths: list[str] | tuple[str, ...],
    *,
    registry: str | None = None,
    write: bool = False,
    dry_run: bool = False,
    jobs: int | None = 1,
    sources: SourceLines | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[LetterReport], list[Diagnostic]]:
    """Link every letter under `paths` (files and folders); registry files and the edition file are skipped.

    Each file is read and parsed once; `jobs` processes (None: every core) share them, the reports come back in
    the files' order. Registry problems are `validate`'s (TT6xx); link reports names. `sources` receives the lines
    the diagnostics point at, from the bytes read (as they were before `write`); `progress` (files done, files).
    """
    from .letter_pass import CorpusPass, PassOptions
    from .parallel import LocalExecutor

    mode = "dry-run" if dry_run else "write" if write else ""
    result = CorpusPass(
        list(paths), PassOptions(consumers=("link",), link_write=mode), registry_dir=registry, executor=LocalExecutor(jobs),
        sources=sources,
    ).run(progress)
    diags = list(result.lead)
    reports: list[LetterReport] = []
    for outcome in result.outcomes:
        report = outcome.extra.get("link")
        if report is None and outcome.meta.kind is None:  # unreadable: its diagnostics stand in a report of its own
            report = LetterReport(outcome.path, diagnostics=list(outcome.meta.read))
        elif report is not None:
            report.diagnostics[:0] = outcome.meta.read
        if report is not None:
            reports.append(report)
    return reports, diags


def summary(reports: list[LetterReport]) -> dict[str, int]:
    """Counts by status over all reports, plus files changed and problems by severity."""
    counts: dict[str, int] = {
        s: 0 for s in ("linked", "external", "broken", "unlinked", "ambiguous", "unknown", "written")
    }
    counts.update(files=len(reports), changed=0, errors=0, warnings=0)
    for r in reports:
        counts["changed"] += int(r.changed)
        for m in r.mentions:
            counts["written" if m.written else m.status] += 1
        for d in r.diagnostics:
            if d.severity is Severity.ERROR:
                counts["errors"] += 1
            elif d.severity is Severity.WARNING:
                counts["warnings"] += 1
    return counts
