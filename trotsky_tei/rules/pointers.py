"""Pointer rules: every local pointer resolves in the file or the registry; prefixes are declared (TT202, TT203)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ..errors import Diagnostic
from ..refs import (
    EXTERNAL,
    FILE,
    LOCAL,
    POINTER_ATTRS,
    REGISTRY,
    UNDECLARED,
    UNRESOLVED,
    URI_SCHEMES,
    Resolution,
    ids_of_file,
)
from ..xmlfile import TEI_NS, expand_prefix
from . import RuleContext, rule

__all__ = [
    "EXTERNAL", "FILE", "LOCAL", "POINTER_ATTRS", "REGISTRY", "UNDECLARED", "UNRESOLVED", "URI_SCHEMES",
    "Resolution", "expand", "ids_of_file", "local_ids", "pointer_tokens", "resolve",
]


_POINTERS = frozenset(POINTER_ATTRS)


def local_ids(ctx: RuleContext) -> frozenset[str]:
    """The `xml:id`s of the file being checked."""
    return ctx.refs.ids


def expand(defs: list[tuple[str, str]], rest: str) -> str | None:
    """Expand the part after `prefix:` by the first `prefixDef` whose matchPattern matches it whole."""
    return expand_prefix(defs, rest)


def resolve(ctx: RuleContext, token: str, el: etree._Element | None = None) -> Resolution:
    """Resolve one pointer token found on `el` in `ctx.path` (see docs/validate.md for the order of the steps)."""
    # only a relative pointer (no scheme, no '#') depends on the element's xml:base
    relative = not token.startswith("#") and ":" not in token
    return ctx.refs.resolution(token, el.base if el is not None and relative else None)


def pointer_tokens(ctx: RuleContext) -> list[tuple[etree._Element, str, str]]:
    """Every (element, attribute, token) of the pointer attributes in the file, in document order (an element's
    attributes in the order it gives them)."""
    found = ctx.extra.get("pointer_tokens")
    if found is None:
        found = ctx.extra["pointer_tokens"] = [
            (el, attr, token)
            for el, attrs in ctx.refs.attribute_scan()
            for attr, value in attrs.items()
            if value and attr in _POINTERS
            for token in value.split()
        ]
    return found  # type: ignore[return-value]


def _resolved(ctx: RuleContext) -> list[tuple[etree._Element, str, Resolution]]:
    """`pointer_tokens`, each resolved (once per file: TT202 and TT203 both read them)."""
    found = ctx.extra.get("resolved")
    if found is None:
        found = ctx.extra["resolved"] = [(el, attr, resolve(ctx, token, el)) for el, attr, token in pointer_tokens(ctx)]
    return found  # type: ignore[return-value]


@rule("TT202", "unresolved-pointer", kinds=("letter", "registry", "edition"))
def unresolved_pointer(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A local pointer (@ref @target @corresp @wit @source @who) that names nothing in the file or the registry."""
    for el, attr, res in _resolved(ctx):
        if res.status == UNRESOLVED:
            yield ctx.diag(el, "TT202", "unresolved-pointer", f"@{attr} {res.message}")


@rule("TT203", "undeclared-prefix", kinds=("letter", "registry", "edition"))
def undeclared_prefix(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A pointer `prefix:value` whose prefix neither the file nor the registry declares in a listPrefixDef."""
    for el, attr, res in _resolved(ctx):
        if res.status == UNDECLARED:
            yield ctx.diag(el, "TT203", "undeclared-prefix", f"@{attr} {res.message}")


@rule("TT205", "unsafe-pattern", kinds=("letter", "registry", "edition"))
def unsafe_pattern(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A prefixDef/@matchPattern that is not run: too long, not a regular expression, or not one that runs in linear
    time (RE2 syntax: no back-references or look-arounds); pointers with its prefix do not expand."""
    from ..xmlfile import document_pattern

    root = ctx.tree.getroot() if isinstance(ctx.tree, etree._ElementTree) else ctx.tree
    for pd in root.iter(f"{{{TEI_NS}}}prefixDef"):
        pattern = pd.get("matchPattern")
        if pattern is None:
            continue
        compiled, why = document_pattern(pattern)
        if compiled is None:
            shown = pattern if len(pattern) <= 80 else pattern[:80] + "…"
            yield ctx.diag(pd, "TT205", "unsafe-pattern", f"matchPattern {shown!r} of prefix '{pd.get('ident', '')}' is not run: {why}")
