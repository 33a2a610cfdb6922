"""Archive rules: an archival letter's `msIdentifier` names a repository and an `idno` (TT501)."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Diagnostic
from ..reader import text_of
from ..xmlfile import NS
from . import RuleContext, rule


@rule("TT501", "incomplete-msidentifier")
def incomplete_msidentifier(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A manuscript description (msDesc) whose msIdentifier lacks a repository or an idno."""
    for ms in ctx.tree.getroot().iterfind("tei:teiHeader//tei:msDesc/tei:msIdentifier", NS):
        missing = [
            what
            for what, xpath in (("a repository", "tei:repository"), ("an idno", "tei:idno"))
            if not any(text_of(e) for e in ms.iterfind(xpath, NS))
        ]
        if missing:
            yield ctx.diag(
                ms, "TT501", "incomplete-msidentifier", f"msIdentifier lacks {' and '.join(missing)} (with text)"
            )
