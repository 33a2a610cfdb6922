"""The consumers of the one pass: what each output takes from a letter's one tree, as a table `CONSUMERS`.

A consumer is a function `(doc: LetterDoc) -> Part`, run in the letter's task (`letter_pass.process_letter`), in
the table's order; shared work (the record, the rendered HTML trees) is made once per letter through `doc.memo`.
A new output is one more function and one more row; if it needs one, a step in its caller's assembly.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from .i18n import messages
from .letter_pass import LetterDoc, Part, check_tree
from .registry import Registry


def _validate(doc: LetterDoc) -> Part:
    return Part(diagnostics=tuple(check_tree(doc.run, doc.path, doc.parsed.tree, doc.kind or "letter", doc.registry, doc.letter,
                                             doc.refs, source=doc.data)))


def _link(doc: LetterDoc) -> Part:
    from .link import link_doc

    if doc.kind != "letter":
        return Part()
    mode = doc.run.options.link_write
    report = link_doc(
        doc.path, doc.tree, doc.registry, doc.refs, doc.data, write=mode == "write", dry_run=mode == "dry-run",
        registry_folder=doc.registry_key or None,
    )
    return Part(value=report)


def _link_counts(doc: LetterDoc) -> Part:
    """The link report of `build`: counts by status only (the report itself is `trotsky-tei link`'s)."""
    from .link import link_counts

    if doc.kind != "letter":
        return Part()
    return Part(value=tuple(sorted(link_counts(doc.tree, doc.path, doc.registry, doc.refs).items())))


def record_of(doc: LetterDoc) -> Any:
    from .render.collect import letter_info

    return doc.memo("record", lambda: letter_info(doc.tree, doc.letter, doc.registry, doc.refs))


def _record(doc: LetterDoc) -> Part:
    if doc.kind != "letter" or doc.letter is None:
        return Part()
    return Part(value=record_of(doc))


def _cmif(doc: LetterDoc) -> Part:
    from .render.cmif import letter_record

    if doc.kind != "letter" or doc.letter is None:
        return Part()
    record, diags = letter_record(doc.tree, doc.letter, doc.registry, doc.run.options.cmif_base_url)
    return Part(value=record, diagnostics=tuple(diags))


def _html_trees(doc: LetterDoc, mode: str) -> Any:
    """The letter's HTML trees in `mode`, rendered once per mode (site and EPUB share them where the modes agree)."""
    from .render.core import RenderContext
    from .render.html import render_letter_trees

    def make() -> Any:
        ctx = RenderContext(registry=doc.registry, link_for=_site_link(doc.registry, doc.refs.local), mode=mode, path=doc.path, refs=doc.refs,
                            t=messages(doc.run.lang))
        return render_letter_trees(doc.tree, record_of(doc).letter, ctx, mode=mode)  # call numbers from the registry

    return doc.memo(f"html-{mode}", make)


def _site_link(registry: Registry, local: dict[str, Any]) -> Callable[[str], str | None]:
    """A letter page's link to a register entry (made once per entry and process: the same for every letter), or to
    an entry of the letter's own list (`local`: its back), which the registers show too."""
    from .render.site import entity_href

    links: dict[str, str | None] = registry.__dict__.setdefault("_site_links", {})

    def link_for(entity_id: str) -> str | None:
        if entity_id in local and entity_id not in registry.entries:
            return entity_href(local[entity_id], "../")
        if entity_id not in links:
            ent = registry.entries.get(entity_id)  # looked up (and noted) already by the name's own resolution
            links[entity_id] = entity_href(ent, "../") if ent is not None else None
        return links[entity_id]

    return link_for


def _site(doc: LetterDoc) -> Part:
    """The letter page's parts (metadata, text, notes, apparatus) as HTML, for the page template (render/site.py)."""
    if doc.kind != "letter" or doc.letter is None:
        return Part()
    trees = _html_trees(doc, doc.run.options.site_mode)
    frag = trees.serialise()
    parts = {"metadata": frag.metadata_html, "body": frag.body_html, "notes": frag.notes_html.strip() and frag.notes_html,
             "apparatus": frag.apparatus_html.strip() and frag.apparatus_html}
    return Part(content=json.dumps(parts, ensure_ascii=False, sort_keys=True), diagnostics=tuple(trees.warnings), title=frag.title)


def _source(doc: LetterDoc) -> Part:
    """The letter's file, byte for byte as it was read, for the site to offer beside the letter's page."""
    if doc.kind != "letter" or doc.letter is None:
        return Part()
    return Part(content=doc.data)


def _epub(doc: LetterDoc) -> Part:
    from .render.epub import book_lang, chapter

    if doc.kind != "letter" or doc.letter is None:
        return Part()
    mode = "diplomatic" if doc.run.options.epub_mode == "diplomatic" else "reading"
    site_mode = doc.run.options.site_mode if "site" in doc.run.options.consumers else None
    primary = {"both": "reading", "reading": "reading", "diplomatic": "diplomatic"}.get(site_mode or "")
    # the page's own trees where its main view is the book's (taken apart after the page is serialised)
    trees = _html_trees(doc, site_mode if primary == mode else mode)  # type: ignore[arg-type]
    xhtml = chapter(trees, record_of(doc), mode, book_lang(doc.run.edition), doc.registry)
    doc._memo.pop(f"html-{site_mode}", None)  # the trees are taken apart: nobody may use them again
    return Part(content=xhtml, diagnostics=tuple(trees.warnings), title=trees.title)


def _with_call_numbers(doc: LetterDoc) -> Any:
    """The letter's record with its call numbers completed from the registry (the record's, where it is made)."""
    if "record" in doc._memo or "record" in doc.run.options.consumers:
        return record_of(doc).letter
    from .callnumbers import structured_call_numbers

    structured = tuple(cn for cn, _ms in structured_call_numbers(doc.tree, doc.registry))
    return dataclasses.replace(doc.letter, call_numbers=structured or doc.letter.call_numbers)


def _text(doc: LetterDoc) -> Part:
    from .render.core import RenderContext
    from .render.text import render_letter_text

    if doc.kind != "letter" or doc.letter is None:
        return Part()
    opts = doc.run.options
    # no `refs`: the text links to nothing (a text-only run makes none; RenderContext.entity would, if ever asked)
    ctx = RenderContext(registry=doc.registry, path=doc.path, t=messages(doc.run.lang))
    letter = _with_call_numbers(doc)  # call numbers completed from the registry, as every page shows them
    text, warnings = render_letter_text(doc.tree, letter, ctx, opts.text_width, opts.text_mode)  # type: ignore[arg-type]
    return Part(content=text, diagnostics=tuple(warnings))


def _pdf(doc: LetterDoc) -> Part:
    from .render.core import RenderContext
    from .render.pdf import render_letter_pdf

    if doc.kind != "letter" or doc.letter is None:
        return Part()
    ctx = RenderContext(registry=doc.registry, path=doc.path, refs=doc.refs, t=messages(doc.run.lang))
    mode = "diplomatic" if doc.run.options.pdf_mode == "diplomatic" else "reading"
    content, warnings = render_letter_pdf(doc.tree, record_of(doc), ctx, mode)  # type: ignore[arg-type]
    return Part(content=content, diagnostics=tuple(warnings))


def _index(doc: LetterDoc) -> Part:
    from .index import letter_entries

    if doc.kind != "letter" or doc.letter is None:
        return Part()
    return Part(value=letter_entries(doc.tree, doc.letter, doc.registry))


# name -> consumer, in the order they run (the site page is serialised before the EPUB chapter takes its trees apart)
CONSUMERS: dict[str, Callable[[LetterDoc], Part]] = {
    "validate": _validate,
    "link": _link,
    "link-counts": _link_counts,
    "record": _record,
    "cmif": _cmif,
    "site": _site,
    "source": _source,
    "epub": _epub,
    "text": _text,
    "pdf": _pdf,
    "index": _index,
}
# consumers that need the names in a letter's text (Letter.mentions)
MENTION_CONSUMERS = frozenset({"record", "index"})
# consumers whose results depend on the edition file (its language, its base URL)
EDITION_CONSUMERS = frozenset({"cmif", "site", "epub"})
# consumers whose small value is kept (in memory and in the store); the others' values go to the caller only
STORED_VALUES = frozenset({"link-counts", "record", "cmif"})
# stored values the main process needs once, at the end of a run (the CMIF file's records): kept as their JSON
# text until then (a fifth of what a letter's results take in memory), decoded when asked for
LATE_VALUES = frozenset({"cmif"})
# the type of each stored value, to read it back from the store
VALUE_TYPES: dict[str, Any] = {}


def value_types() -> dict[str, Any]:
    if not VALUE_TYPES:
        from .render.cmif import CmifRecord
        from .render.collect import LetterInfo

        VALUE_TYPES.update({"link-counts": tuple[tuple[str, int], ...], "record": LetterInfo, "cmif": CmifRecord})
    return VALUE_TYPES
