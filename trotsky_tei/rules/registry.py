"""Registry rules: entries no letter uses (TT602) and authority ids of the wrong shape (TT603)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from ..errors import Diagnostic, Severity
from ..refs import References
from ..registry import Registry
from ..xmlfile import NS, XML_ID, local_name
from . import RuleContext, rule

ENTRY_TAGS = ("person", "place", "org")

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


def registry_edges(trees: dict[str, etree._ElementTree], registry: Registry) -> dict[str, set[str]]:
    """Entry id -> the registry ids its pointers resolve to, inside the registry (a repository's settlement)."""
    edges: dict[str, set[str]] = {}
    for path, tree in trees.items():
        refs = References(tree, path, registry)
        for entry in tree.getroot().iter():
            if not isinstance(entry.tag, str) or local_name(entry) not in ENTRY_TAGS or not entry.get(XML_ID):
                continue
            edges.setdefault(entry.get(XML_ID, ""), set()).update(refs.used_ids(entry))
    return edges


def with_reached(used: set[str] | frozenset[str], edges: dict[str, set[str]]) -> frozenset[str]:
    """`used` and every entry reached from it through `edges`, transitively."""
    seen = set(used)
    todo = list(used)
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return frozenset(seen)


def _contains_used(el: etree._Element, used: frozenset[str]) -> bool:
    return any(
        d.get(XML_ID) in used for d in el.iter() if isinstance(d.tag, str) and local_name(d) in ENTRY_TAGS
    )


@rule("TT602", "unused-registry-entry", kinds=("registry",), severity=Severity.WARNING)
def unused_registry_entry(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A registry entry that no letter of the corpus points to, directly or through an entry a letter uses."""
    used = ctx.used_registry_ids  # computed from the letters' results of the run (with what they reach)
    if not used:
        return  # no letters in the run, or none links anything yet: every entry would be reported, which says nothing
    for el in ctx.tree.getroot().iter():
        if not isinstance(el.tag, str) or local_name(el) not in ENTRY_TAGS or el.get(XML_ID) is None:
            continue
        if not _contains_used(el, used):
            yield ctx.diag(
                el, "TT602", "unused-registry-entry",
                f"registry entry '{el.get(XML_ID)}' is not used by any letter", Severity.WARNING,
            )
