"""Pointer rules: every local pointer resolves in the file or the registry; prefixes are declared (TT202, TT203)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..errors import Diagnostic
from ..model import Entity
from ..xmlfile import NS, XML_ID, expand_prefix, parse_file
from . import RuleContext, rule

POINTER_ATTRS = ("ref", "target", "corresp", "wit", "source", "who")

# URI schemes that are never a TEI private prefix: pointers using them are absolute and not checked.
URI_SCHEMES = frozenset(
    ["http", "https", "mailto", "urn", "ftp", "ftps", "file", "data", "tel", "doi", "info", "tag", "geo", "news", "irc", "ark", "isbn", "issn", "hdl"]
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)\Z", re.DOTALL)

# status values of a `Resolution`
LOCAL, REGISTRY, FILE, EXTERNAL, UNRESOLVED, UNDECLARED = (
    "local", "registry", "file", "external", "unresolved", "undeclared",
)


@dataclass(frozen=True)
class Resolution:
    """What one pointer token resolves to, and why not where it does not."""

    status: str
    target: str
    message: str = ""
    entity: Entity | None = None


_IDS_CACHE: dict[tuple[str, int, int], frozenset[str]] = {}


def ids_of_file(path: str | os.PathLike[str]) -> frozenset[str]:
    """Every `xml:id` in an XML file (cached per path and modification time; empty when unreadable)."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except OSError:
        return frozenset()
    key = (name, st.st_mtime_ns, st.st_size)
    cached = _IDS_CACHE.get(key)
    if cached is None:
        parsed = parse_file(name, require_tei=False)
        cached = frozenset() if parsed.tree is None else _ids_of_tree(parsed.tree)
        _IDS_CACHE[key] = cached
    return cached


def _ids_of_tree(tree: etree._ElementTree) -> frozenset[str]:
    return frozenset(v for el in tree.iter() if isinstance(el.tag, str) and (v := el.get(XML_ID)) is not None)


def local_ids(ctx: RuleContext) -> frozenset[str]:
    """The `xml:id`s of the file being checked (computed once per context)."""
    ids = ctx.extra.get("local_ids")
    if not isinstance(ids, frozenset):
        ids = _ids_of_tree(ctx.tree)
        ctx.extra["local_ids"] = ids
    return ids


def _prefix_defs(ctx: RuleContext) -> dict[str, list[tuple[str, str]]]:
    """The file's own `listPrefixDef`s: ident -> [(matchPattern, replacementPattern)]."""
    cached = ctx.extra.get("prefix_defs")
    if isinstance(cached, dict):
        return cached
    defs: dict[str, list[tuple[str, str]]] = {}
    for pd in ctx.tree.getroot().iterfind("tei:teiHeader//tei:listPrefixDef/tei:prefixDef", NS):
        defs.setdefault(pd.get("ident", ""), []).append((pd.get("matchPattern", ""), pd.get("replacementPattern", "")))
    ctx.extra["prefix_defs"] = defs
    return defs


def _registry_ids(ctx: RuleContext) -> dict[str, list[str]]:
    """Every `xml:id` in the registry's files: id -> [file names that hold it]."""
    cached = ctx.extra.get("registry_ids")
    if isinstance(cached, dict):
        return cached
    table: dict[str, list[str]] = {}
    for f in ctx.registry.files:
        for i in ids_of_file(f):
            table.setdefault(i, []).append(Path(f).name)
    ctx.extra["registry_ids"] = table
    return table


def expand(defs: list[tuple[str, str]], rest: str) -> str | None:
    """Expand the part after `prefix:` by the first `prefixDef` whose matchPattern matches it whole."""
    return expand_prefix(defs, rest)


def _authority_entity(ctx: RuleContext, uri: str, prefix: str = "", rest: str = "") -> Entity | None:
    """A registry entry whose `idno` is this URI (or whose idno of type `prefix` is `rest`)."""
    for entity in ctx.registry.entries.values():
        for t, v in entity.idnos:
            if v == uri or (prefix and t.lower() == prefix.lower() and v == rest):
                return entity
    return None


def resolve(ctx: RuleContext, token: str, el: etree._Element | None = None) -> Resolution:
    """Resolve one pointer token found on `el` in `ctx.path` (see docs/validate.md for the order of the steps)."""
    memo = ctx.extra.setdefault("resolved", {})
    assert isinstance(memo, dict)
    key = (token, el.base if el is not None else None)
    res = memo.get(key)
    if res is None:
        res = memo[key] = _resolve(ctx, token, el)
    return res


def _resolve(ctx: RuleContext, token: str, el: etree._Element | None) -> Resolution:
    if token.startswith("#"):
        return _in_file(ctx, token, token[1:])
    m = _SCHEME.match(token)
    if m is None:
        base = el.base if el is not None else None
        if base and _SCHEME.match(base):  # relative to an absolute xml:base: an external URI
            return Resolution(EXTERNAL, token, entity=_authority_entity(ctx, token))
        return _expanded(ctx, token, token, Path(ctx.path).parent)
    prefix, rest = m.group(1), m.group(2)
    letter_defs = _prefix_defs(ctx).get(prefix)
    if letter_defs is not None:
        expanded = expand(letter_defs, rest)
        if expanded is None:
            return Resolution(UNRESOLVED, token, f"'{token}' does not match the prefixDef declared for '{prefix}:'")
        return _expanded(ctx, token, expanded, Path(ctx.path).parent)
    if prefix.lower() in URI_SCHEMES or rest.startswith("//"):
        return Resolution(EXTERNAL, token, entity=_authority_entity(ctx, token))
    registry_defs = ctx.registry.prefixes.get(prefix)
    if registry_defs is not None:
        expanded = expand(registry_defs, rest)
        if expanded is None:
            return Resolution(UNRESOLVED, token, f"'{token}' does not match the registry's prefixDef for '{prefix}:'")
        base_dir = Path(ctx.registry.files[0]).parent if ctx.registry.files else Path(ctx.path).parent
        res = _expanded(ctx, token, expanded, base_dir)
        if res.status == EXTERNAL and res.entity is None:
            return Resolution(EXTERNAL, expanded, entity=_authority_entity(ctx, expanded, prefix, rest))
        return res
    return Resolution(UNDECLARED, token, f"prefix '{prefix}:' of '{token}' is not declared (listPrefixDef)")


def _in_file(ctx: RuleContext, token: str, frag: str) -> Resolution:
    if not frag or frag in local_ids(ctx):
        return Resolution(LOCAL, token)
    return Resolution(UNRESOLVED, token, f"'{token}': no element with xml:id '{frag}' in this file")


def _expanded(ctx: RuleContext, token: str, target: str, base: Path) -> Resolution:
    """Resolve an expanded (or unprefixed) pointer: `#id`, `file#id`, `file`, or an absolute URI."""
    if _SCHEME.match(target):
        return Resolution(EXTERNAL, target, entity=_authority_entity(ctx, target))
    file_part, _, frag = target.partition("#")
    shown = f"'{token}'" if token == target else f"'{token}' (= {target})"
    if not file_part:
        res = _in_file(ctx, token, frag)
        return res if res.status == LOCAL else Resolution(UNRESOLVED, target, f"{shown}: no element with xml:id '{frag}' in this file")
    file_path = Path(os.path.normpath(os.path.join(os.path.abspath(base), file_part)))
    if file_path == Path(os.path.abspath(ctx.path)):
        res = _in_file(ctx, token, frag)
        return res if res.status == LOCAL else Resolution(UNRESOLVED, target, f"{shown}: no element with xml:id '{frag}' in this file")
    if not frag:
        if file_path.exists():
            return Resolution(FILE, target)
        return Resolution(UNRESOLVED, target, f"{shown}: file {file_part} does not exist")
    holders = _registry_ids(ctx).get(frag)
    if holders:
        name = Path(file_part).name
        if name in {Path(f).name for f in ctx.registry.files} and name not in holders:
            return Resolution(UNRESOLVED, target, f"{shown}: '{frag}' is in the registry's {', '.join(holders)}, not in {name}")
        return Resolution(REGISTRY, target, entity=ctx.registry.get(frag))
    if file_path.is_file():
        if frag in ids_of_file(file_path):
            return Resolution(FILE, target)
        return Resolution(UNRESOLVED, target, f"{shown}: no xml:id '{frag}' in {file_part}")
    where = "the registry" if ctx.registry.files else "the registry (none found: use --registry DIR)"
    return Resolution(UNRESOLVED, target, f"{shown}: '{frag}' is not in this file or {where}")


def pointer_tokens(ctx: RuleContext) -> Iterator[tuple[etree._Element, str, str]]:
    """Every (element, attribute, token) of the pointer attributes in the file, in document order."""
    for el in ctx.tree.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in POINTER_ATTRS:
            value = el.get(attr)
            if value:
                for token in value.split():
                    yield el, attr, token


@rule("TT202", "unresolved-pointer", kinds=("letter", "registry", "edition"))
def unresolved_pointer(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A local pointer (@ref @target @corresp @wit @source @who) that names nothing in the file or the registry."""
    for el, attr, token in pointer_tokens(ctx):
        res = resolve(ctx, token, el)
        if res.status == UNRESOLVED:
            yield ctx.diag(el, "TT202", "unresolved-pointer", f"@{attr} {res.message}")


@rule("TT203", "undeclared-prefix", kinds=("letter", "registry", "edition"))
def undeclared_prefix(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A pointer `prefix:value` whose prefix neither the file nor the registry declares in a listPrefixDef."""
    for el, attr, token in pointer_tokens(ctx):
        res = resolve(ctx, token, el)
        if res.status == UNDECLARED:
            yield ctx.diag(el, "TT203", "undeclared-prefix", f"@{attr} {res.message}")
