"""Identifier rules: every `xml:id` is unique within its file (TT201)."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Diagnostic
from ..xmlfile import XML_ID, line_of
from . import RuleContext, rule


@rule("TT201", "duplicate-id", kinds=("letter", "registry", "edition"))
def duplicate_id(ctx: RuleContext) -> Iterator[Diagnostic]:
    """An `xml:id` used by more than one element of the same file."""
    first_line: dict[str, int] = {}
    for el, attrs in ctx.refs.attribute_scan():
        value = attrs.get(XML_ID)
        if value is None:
            continue
        if value in first_line:
            yield ctx.diag(
                el, "TT201", "duplicate-id", f"xml:id '{value}' is already used on line {first_line[value]}"
            )
        else:
            first_line[value] = line_of(el)
