"""Call-number rules: a call number fits its repository's declared form (TT502); none stands in prose only (TT503)."""

from __future__ import annotations

from collections.abc import Iterator

from ..callnumbers import fits_form, form_for, known_collection, repository_forms
from ..errors import Diagnostic, Severity
from ..msident import prose_only
from ..reader import text_of
from ..xmlfile import NS
from . import RuleContext, rule


@rule("TT502", "call-number-form")
def call_number_form(ctx: RuleContext) -> Iterator[Diagnostic]:
    """An msIdentifier whose idno or collection does not fit the form its repository declares in the registry."""
    forms = repository_forms(ctx.registry)
    if not forms:
        return
    for ms in ctx.tree.getroot().iterfind(".//tei:teiHeader//tei:msIdentifier", NS):
        repo = ms.find("tei:repository", NS)
        form = form_for(ctx.registry, forms, text_of(repo), repo.get("ref") if repo is not None else None)
        if form is None:
            continue
        for coll in ms.iterfind("tei:collection", NS):
            if text_of(coll) and not known_collection(text_of(coll), form):
                declared = ", ".join(c.call_number for c in form.collections)
                yield ctx.diag(
                    coll, "TT502", "call-number-form",
                    f"collection '{text_of(coll)}' is not one {form.label} declares ({declared})",
                )
        for idno in ms.iterfind("tei:idno", NS):
            if text_of(idno) and not fits_form(text_of(idno), form):
                yield ctx.diag(
                    idno, "TT502", "call-number-form",
                    f"item '{text_of(idno)}' does not fit {form.label}'s call-number pattern {form.pattern}",
                )


@rule("TT503", "call-number-in-prose-only", severity=Severity.WARNING)
def call_number_in_prose_only(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A note or bibl cites an archive item that no msIdentifier records (`link --write` can add it)."""
    for cn, el in prose_only(ctx.tree, ctx.registry):
        where = f"{cn.collection} ({cn.idno})" if cn.collection else cn.idno
        yield ctx.diag(
            el, "TT503", "call-number-in-prose-only",
            f"the text cites {cn.repository} {where} but no msIdentifier records it",
            Severity.WARNING,
        )
