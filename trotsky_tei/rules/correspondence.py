"""Correspondence rules: `correspDesc` has a sent and a received action whose people are registered (TT4xx)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from lxml import etree

from ..errors import Diagnostic
from ..xmlfile import NS, local_name
from . import RuleContext, rule
from .pointers import EXTERNAL, REGISTRY, UNDECLARED, UNRESOLVED, resolve

PEOPLE_TAGS = ("persName", "orgName", "name", "rs")


def _actions(ctx: RuleContext, kind: str) -> tuple[etree._Element, list[etree._Element]]:
    """The element to report at (correspDesc, or the header where there is none) and the actions of `kind`."""
    found = ctx.extra.get("actions")  # the three rules ask: the header is searched once
    if found is None:
        root = ctx.tree.getroot()
        descs = root.findall("tei:teiHeader/tei:profileDesc/tei:correspDesc", NS)
        header = root.find("tei:teiHeader", NS)
        anchor = descs[0] if descs else (header if header is not None else root)
        found = ctx.extra["actions"] = (anchor, [a for cd in descs for a in cd.iterfind("tei:correspAction", NS)])
    where, actions = cast("tuple[etree._Element, list[etree._Element]]", found)
    return where, [a for a in actions if a.get("type") == kind]


def _missing(ctx: RuleContext, kind: str, code: str, name: str) -> Iterator[Diagnostic]:
    anchor, actions = _actions(ctx, kind)
    if not actions:
        where = "correspDesc" if local_name(anchor) == "correspDesc" else "the teiHeader (it has no profileDesc/correspDesc)"
        yield ctx.diag(anchor, code, name, f"{where} has no correspAction type=\"{kind}\"")


@rule("TT401", "missing-sent-action")
def missing_sent_action(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A letter whose correspDesc has no correspAction type="sent"."""
    return _missing(ctx, "sent", "TT401", "missing-sent-action")


@rule("TT402", "missing-received-action")
def missing_received_action(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A letter whose correspDesc has no correspAction type="received"."""
    return _missing(ctx, "received", "TT402", "missing-received-action")


@rule("TT403", "unregistered-correspondent")
def unregistered_correspondent(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A sender or addressee without a @ref, or whose @ref names no registry entry (nor an entry of the letter's own
    `listPerson`/`listOrg` in its back)."""
    for kind in ("sent", "received"):
        for action in _actions(ctx, kind)[1]:
            people = [el for el in action if local_name(el) in PEOPLE_TAGS]
            if not people:
                yield ctx.diag(action, "TT403", "unregistered-correspondent", f"the {kind} action names no correspondent")
            for el in people:
                yield from _check_person(ctx, kind, el)


def _check_person(ctx: RuleContext, kind: str, el: etree._Element) -> Iterator[Diagnostic]:
    who = " ".join((el.text or "").split()) or local_name(el)
    ref = el.get("ref")
    if not ref or not ref.split():
        yield ctx.diag(el, "TT403", "unregistered-correspondent", f"{kind} action: '{who}' has no @ref into the registry")
        return
    results = [resolve(ctx, token, el) for token in ref.split()]
    if any(r.status == REGISTRY or (r.status == EXTERNAL and r.entity is not None) for r in results):
        return
    if any(t.startswith("#") and t[1:] in ctx.refs.local for t in ref.split()):
        return  # an entry of the letter's own list (its back's listPerson): the letter's registry
    if all(r.status in (UNRESOLVED, UNDECLARED) for r in results):
        return  # already reported by TT202 / TT203
    hint = "" if ctx.registry.files else " (no registry found: use --registry DIR)"
    yield ctx.diag(
        el, "TT403", "unregistered-correspondent", f"{kind} action: '{who}' (@ref='{ref}') is not a registry entry{hint}"
    )
