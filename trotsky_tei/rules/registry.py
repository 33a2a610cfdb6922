"""Registry rules: entries no letter uses (TT602) and authority ids of the wrong shape (TT603)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from ..errors import Diagnostic, Severity
from ..reader import EDITION_FILE, REGISTRY_DIR, document_kind, find_corpus_root, walk_xml
from ..registry import Registry
from ..xmlfile import NS, XML_ID, local_name, parse_file
from . import RuleContext, rule

if TYPE_CHECKING:
    from ..link import LetterContext

ENTRY_TAGS = ("person", "place", "org")
POINTER_ATTRS = ("ref", "key", "corresp", "target", "who", "source", "sameAs")

# authority id shapes: the bare id, or the authority's URI for it
AUTHORITY_SHAPES: dict[str, tuple[str, re.Pattern[str]]] = {
    "viaf": ("VIAF digits", re.compile(r"(?:https?://(?:www\.)?viaf\.org/viaf/)?[1-9]\d{0,21}/?")),
    "gnd": (
        "a GND id (e.g. 118578537, 2024379-3, 4027343-1)",
        re.compile(r"(?:https?://d-nb\.info/gnd/)?(?:1[0123]?\d{7}[0-9X]|[47]\d{6}-\d|[1-9]\d{0,7}-[0-9X]|3\d{7}[0-9X])"),
    ),
    "wikidata": ("Q and digits", re.compile(r"(?:https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/)?Q[1-9]\d*")),
    "geonames": ("GeoNames digits", re.compile(r"(?:https?://(?:www\.|sws\.)?geonames\.org/)?[1-9]\d*/?")),
    "isni": (
        "16 characters: 15 digits and a digit or X (spaces between groups of four allowed)",
        re.compile(r"(?:https?://(?:www\.)?isni\.org/isni/)?(?:\d{15}[\dX]|\d{4} \d{4} \d{4} \d{3}[\dX])"),
    ),
}


@rule("TT603", "bad-authority-id", kinds=("registry",))
def bad_authority_id(ctx: RuleContext) -> Iterator[Diagnostic]:
    """An authority id (idno type VIAF, GND, Wikidata, GeoNames, ISNI) whose value has the wrong shape."""
    for idno in ctx.tree.getroot().iterfind(".//tei:idno", NS):
        type_ = (idno.get("type") or "").strip()
        shape = AUTHORITY_SHAPES.get(type_.lower())
        if shape is None:
            continue
        value = (idno.text or "").strip()
        if not shape[1].fullmatch(value):
            yield ctx.diag(idno, "TT603", "bad-authority-id", f"{type_} id '{value}' is not {shape[0]}")


_USED_CACHE: dict[tuple[str, tuple[tuple[str, float], ...]], frozenset[str]] = {}


def _letter_files(root: Path) -> list[Path]:
    registry_dir = os.path.realpath(root / REGISTRY_DIR) + os.sep
    return [
        Path(f)
        for f in walk_xml(root)
        if not os.path.realpath(f).startswith(registry_dir) and Path(f) != root / EDITION_FILE
    ]


def _linked_ids(scope: etree._Element, lctx: LetterContext) -> set[str]:
    """The registry ids that pointer attributes in `scope` (and below) resolve to."""
    out: set[str] = set()
    for el in scope.iter():
        if isinstance(el.tag, str):
            for attr in POINTER_ATTRS:
                for token in (el.get(attr) or "").split():
                    status, entity_id, _note = lctx.resolve(token)
                    if status == "linked" and entity_id:
                        out.add(entity_id)
    return out


def used_registry_ids(root: Path, registry: Registry) -> frozenset[str]:
    """The registry ids the letters under a corpus root point to (any pointer attribute, prefixes expanded)."""
    from ..link import _letter_context  # the letter-aware pointer resolution `link` uses

    files = _letter_files(root)
    key = (str(root.resolve()), tuple((str(f), f.stat().st_mtime) for f in files))
    if key in _USED_CACHE:
        return _USED_CACHE[key]
    used: set[str] = set()
    for f in files:
        parsed = parse_file(f)
        if parsed.tree is None or document_kind(parsed.tree) != "letter":
            continue
        used |= _linked_ids(parsed.tree.getroot(), _letter_context(parsed.tree, str(f), registry))
    used |= _referenced_by(used, registry)
    result = frozenset(used)
    _USED_CACHE[key] = result
    return result


def _referenced_by(used: set[str], registry: Registry) -> set[str]:
    """Entries that used entries point to inside the registry (a repository's settlement), followed transitively."""
    from ..link import _letter_context

    edges: dict[str, set[str]] = {}
    for f in registry.files:
        parsed = parse_file(f)
        if parsed.tree is None:
            continue
        rctx = _letter_context(parsed.tree, f, registry)
        for entry in parsed.tree.getroot().iter():
            if not isinstance(entry.tag, str) or local_name(entry) not in ENTRY_TAGS or not entry.get(XML_ID):
                continue
            edges.setdefault(entry.get(XML_ID, ""), set()).update(_linked_ids(entry, rctx))
    seen: set[str] = set()
    todo = list(used)
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in used and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _contains_used(el: etree._Element, used: frozenset[str]) -> bool:
    return any(
        d.get(XML_ID) in used for d in el.iter() if isinstance(d.tag, str) and local_name(d) in ENTRY_TAGS
    )


@rule("TT602", "unused-registry-entry", kinds=("registry",), severity=Severity.WARNING)
def unused_registry_entry(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A registry entry that no letter of the corpus points to, directly or through an entry a letter uses."""
    root = find_corpus_root(ctx.path)
    if root is None or not _letter_files(root):
        return
    used = used_registry_ids(root, ctx.registry)
    if not used:
        return  # no letter links anything yet: every entry would be reported, which says nothing
    for el in ctx.tree.getroot().iter():
        if not isinstance(el.tag, str) or local_name(el) not in ENTRY_TAGS or el.get(XML_ID) is None:
            continue
        if not _contains_used(el, used):
            yield ctx.diag(
                el, "TT602", "unused-registry-entry",
                f"registry entry '{el.get(XML_ID)}' is not used by any letter", Severity.WARNING,
            )
