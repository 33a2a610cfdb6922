"""The link report (every name in a letter against the registry) and lossless `--write` of the missing `@ref`s."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from . import msident
from .errors import Diagnostic, Severity
from .matching import fits
from .model import Entity
from .parallel import ordered_map
from .patch import Edit, ElementIndex, PatchError, SetAttribute, apply_edits, detect_codec
from .reader import REGISTRY_DIR, discover, document_kind, find_corpus_root
from .registry import Registry, load_registry
from .xmlfile import NS, XML_ID, atomic_write, expand_prefix, line_of, local_name, parse_bytes

NAME_KINDS = {"persName": "person", "placeName": "place", "orgName": "org"}
TYPED_KINDS = {
    "person": "person", "persons": "person", "people": "person", "place": "place", "places": "place",
    "org": "org", "organisation": "org", "organization": "org", "institution": "org",
}
DEFINITION_ANCESTORS = frozenset({"person", "personGrp", "place", "org", "standOff", "listPrefixDef"})
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
    return any(local_name(a) in DEFINITION_ANCESTORS for a in el.iterancestors())


def _is_correspondent(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and local_name(parent) == "correspAction" and local_name(el) in CORRESPONDENT_TAGS


@dataclass
class LetterContext:
    """What resolving a pointer from one letter needs: its folder, its declared prefixes, its ids, the registry."""

    path: str
    registry: Registry
    prefixes: list[tuple[str, str, str]]  # (ident, matchPattern, replacementPattern), in document order
    ids: set[str]
    registry_files: dict[str, str]  # resolved path -> path as loaded

    def expand(self, pointer: str) -> str | None:
        prefix, sep, rest = pointer.partition(":")
        if not sep:
            return None
        return expand_prefix([(match, repl) for ident, match, repl in self.prefixes if ident == prefix], rest)

    def registry_file(self, target: str) -> str | None:
        """The registry file a relative file reference points to (None if it is not one of ours)."""
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            return None
        resolved = os.path.realpath(Path(self.path).parent / target)
        return self.registry_files.get(resolved)

    def resolve(self, pointer: str) -> tuple[str, str | None, str]:
        """(status, entity id, note) of one pointer: linked, broken (into our registry, no such id) or external."""
        expanded = self.expand(pointer)
        declared = expanded is not None
        target = expanded if expanded is not None else pointer
        if target.startswith("#"):
            frag = target[1:]
            if frag in self.registry.entries:
                return "linked", frag, ""
            if frag in self.ids:
                return "external", None, f"points into this letter ({target})"
            return "external", None, "not in this letter or the registry"
        file_part, hash_, frag = target.partition("#")
        if hash_ and file_part:
            reg_file = self.registry_file(file_part)
            if reg_file is not None:
                ent = self.registry.entries.get(frag)
                if ent is not None and os.path.realpath(ent.path) == os.path.realpath(reg_file):
                    return "linked", frag, ""
                where = f" (it is in {Path(ent.path).name})" if ent is not None else ""
                return "broken", None, f"no entry '{frag}' in {Path(reg_file).name}{where}"
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", file_part) and declared:
                return "external", None, f"prefix points to {file_part}, not a registry file"
        ent = self.registry.resolve(target)
        if ent is None and target.startswith(("http://", "https://")):
            ent = _by_authority_uri(self.registry, target)
        if ent is not None:
            return "linked", ent.id, ""
        if declared:
            return "external", None, f"{pointer} expands to {target}"
        return "external", None, "not in the registry"


_AUTHORITY_RE = re.compile(
    r"(?:wikidata\.org/(?:wiki|entity)/(?P<wikidata>Q\d+))|(?:viaf\.org/viaf/(?P<viaf>\d+))|"
    r"(?:d-nb\.info/gnd/(?P<gnd>[0-9X-]+))|(?:geonames\.org/(?P<geonames>\d+))|(?:isni\.org/isni/(?P<isni>[0-9X]+))"
)


def _by_authority_uri(registry: Registry, uri: str) -> Entity | None:
    """The entry whose authority id (`idno`) is this URI or the id inside it (Wikidata, VIAF, GND, GeoNames, ISNI)."""
    m = _AUTHORITY_RE.search(uri)
    found = {k: v for k, v in m.groupdict().items() if v} if m else {}
    for entity in registry.entries.values():
        for type_, value in entity.idnos:
            if value == uri or (value and found.get(type_.lower()) == value.rstrip("/").rsplit("/", 1)[-1]):
                return entity
    return None


def _letter_context(tree: etree._ElementTree, path: str, registry: Registry) -> LetterContext:
    root = tree.getroot()
    prefixes = [
        (pd.get("ident", ""), pd.get("matchPattern", ""), pd.get("replacementPattern", ""))
        for pd in root.iterfind(".//tei:teiHeader//tei:listPrefixDef/tei:prefixDef", NS)
    ]
    ids = {e.get(XML_ID, "") for e in root.iter() if isinstance(e.tag, str) and e.get(XML_ID)}
    files = {os.path.realpath(f): f for f in registry.files}
    return LetterContext(path, registry, prefixes, ids, files)


def pointer_for(entity_id: str, entity_path: str, ctx: LetterContext, forms: list[str]) -> str:
    """The pointer `--write` adds: the letter's own prefix for that registry file, else the form it already uses."""
    target = os.path.realpath(entity_path)
    for ident, _match, _repl in ctx.prefixes:
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


def link_tree(tree: etree._ElementTree, path: str, registry: Registry) -> list[MentionReport]:
    """The report of every name in one parsed letter (header and text), in document order."""
    ctx = _letter_context(tree, path, registry)
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
        if ctx.resolve(p)[0] == "linked" and ctx.expand(p) is None
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
            results = [ctx.resolve(p) for p in ref.split()]
            status, ent_id, note = next(
                (r for r in results if r[0] == "broken"), next((r for r in results if r[0] == "linked"), results[0])
            )
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


class RegistryCache:
    """Registries by folder: the one given with `--registry`, else each file's corpus `registry/` folder."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder
        self._cache: dict[str, tuple[Registry, list[Diagnostic]]] = {}

    def for_file(self, path: str) -> tuple[str | None, Registry, list[Diagnostic]]:
        folder = self.folder
        if folder is None:
            root = find_corpus_root(path)
            folder = str(root / REGISTRY_DIR) if root is not None and (root / REGISTRY_DIR).is_dir() else None
        if folder is None:
            return None, Registry(), []
        key = os.path.realpath(folder)
        if key not in self._cache:
            self._cache[key] = load_registry(folder)
        reg, diags = self._cache[key]
        return folder, reg, diags


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    """The change as a unified diff of the file's text."""
    codec = detect_codec(old)
    a = old.decode(codec).splitlines(keepends=True)
    b = new.decode(codec).splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}"))


def link_file(path: str, registries: RegistryCache, *, write: bool = False, dry_run: bool = False) -> LetterReport:
    """Link one file; with `write`, add the unambiguous `@ref`s to it losslessly (with `dry_run`, only diff them)."""
    report = LetterReport(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        report.diagnostics.append(
            Diagnostic(path, 0, 0, Severity.ERROR, "TT000", "unreadable", exc.strerror or str(exc))
        )
        return report
    parsed = parse_bytes(data, path)
    report.diagnostics.extend(parsed.diagnostics)
    if parsed.tree is None:
        return report
    kind = document_kind(parsed.tree)
    if kind != "letter":
        report.skipped = f"a {kind} file, not a letter"
        return report
    folder, registry, reg_diags = registries.for_file(path)
    report.registry = folder
    mentions = link_tree(parsed.tree, path, registry)
    proposals = [m for m in mentions if m.status == "unlinked" and m.proposed_ref]
    # call numbers that stand only in prose: the msIdentifier to add or complete (msident.py, same lossless edits)
    fixes = msident.propose(parsed.tree, registry, data)
    if (proposals or any(f.edit for f in fixes)) and (write or dry_run):
        edits: list[Edit] = [SetAttribute(m.index, "ref", m.proposed_ref or "") for m in proposals]
        edits += [f.edit for f in fixes if f.edit is not None]
        try:
            new = apply_edits(data, edits, tree=parsed.tree)
        except PatchError as exc:
            report.diagnostics.append(
                Diagnostic(path, 0, 0, Severity.ERROR, "TT808", "cannot-write", f"not written: {exc}")
            )
        else:
            report.changed = new != data
            if dry_run:
                report.diff = unified_diff(path, data, new)
            else:
                atomic_write(path, new)
                report.written = True
                done = {m.index for m in proposals}
                mentions = [
                    replace(m, written=True, ref=m.proposed_ref) if m.index in done else m
                    for m in mentions
                ]
    report.mentions = mentions
    report.diagnostics.extend(_diagnostics(path, mentions))
    report.diagnostics.extend(msident.fix_diagnostics(path, fixes, written=report.written))
    del reg_diags  # registry problems are `validate`'s (TT6xx); link reports names
    return report


@dataclass
class _LinkWorker:
    """`link_file` for a worker process: plain data that pickles; each process loads the registries it needs once."""

    registry: str | None
    write: bool
    dry_run: bool
    _registries: RegistryCache | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"registry": self.registry, "write": self.write, "dry_run": self.dry_run, "_registries": None}

    def __call__(self, path: str) -> LetterReport:
        if self._registries is None:
            self._registries = RegistryCache(self.registry)
        return link_file(path, self._registries, write=self.write, dry_run=self.dry_run)


def link_paths(
    paths: list[str] | tuple[str, ...],
    *,
    registry: str | None = None,
    write: bool = False,
    dry_run: bool = False,
    jobs: int | None = 1,
) -> tuple[list[LetterReport], list[Diagnostic]]:
    """Link every letter under `paths` (files and folders); registry files and the edition file are skipped.

    `jobs` processes (None: every core) share the files; the reports come back in the files' order.
    """
    files, diags = discover(list(paths))
    reports = list(ordered_map(_LinkWorker(registry, write, dry_run), files, jobs))
    return [r for r in reports if not r.skipped], diags


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
