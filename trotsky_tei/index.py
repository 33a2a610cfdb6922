"""The register of correspondents (letters sent, received, mentioned) and the call-number concordance."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .callnumbers import certainty_note, prose_references, same_item, structured_call_numbers
from .console import count
from .errors import Diagnostic
from .model import CallNumber, Letter, Mention
from .reader import REGISTRY_DIR, find_corpus_root
from .registry import Registry
from .rules.dates import check_w3c

ROLES = ("sent", "received", "mentioned")


@dataclass(frozen=True)
class LetterRef:
    """A letter as the index lists it: `date` is the date as shown ("12 March 1930", "undated"); `when`,
    `not_before` and `not_after` the ISO dates of the letter's date (`@when`; a range's `@notBefore`/`@from` and
    `@notAfter`/`@to`), each only where it is a real date (TT301), else None."""

    id: str
    path: str
    date: str
    title: str
    sort_key: tuple[str, str]
    when: str | None = None
    not_before: str | None = None
    not_after: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "path": self.path, "date": self.when, "not_before": self.not_before,
                "not_after": self.not_after, "date_text": self.date, "title": self.title}


@dataclass
class Correspondent:
    """Someone who sent or received a letter, and the letters they sent, received or are mentioned in."""

    key: str  # registry id, else the pointer as written, else "name:<name>"
    label: str
    kind: str
    link: str  # "registry" | "unresolved" (a pointer the registry does not know) | "none" (no pointer)
    pointer: str | None = None
    letters: dict[str, list[LetterRef]] = field(default_factory=lambda: {r: [] for r in ROLES})

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "link": self.link,
            "pointer": self.pointer,
            **{role: [r.as_dict() for r in self.letters[role]] for role in ROLES},
        }


@dataclass(frozen=True)
class ConcordanceEntry:
    """One call number and the letter it belongs to; `source` says where the letter records it."""

    call_number: CallNumber
    letter: LetterRef
    source: str  # "msIdentifier" | "prose"

    @property
    def label(self) -> str:
        cn = self.call_number
        coll = f"{cn.collection} ({cn.idno})" if cn.collection else cn.idno
        return f"{cn.repository}, {coll}" if cn.repository else coll

    def as_dict(self) -> dict[str, Any]:
        cn = self.call_number
        return {
            "call_number": self.label,
            "repository": cn.repository,
            "repository_id": cn.repository_id,
            "collection": cn.collection,
            "idno": cn.idno,
            "item": cn.item,
            "item_end": cn.item_end,
            "asterisk": cn.asterisk,
            "certainty": dict(cn.certainty),  # {part: @cert} of the parts the encoder infers, e.g. {"collection": "medium"}
            "url": cn.url,
            "source": self.source,
            "letter": self.letter.as_dict(),
        }


@dataclass
class Index:
    """What `trotsky-tei index` reports."""

    correspondents: list[Correspondent]
    concordance: list[ConcordanceEntry]
    letters: int
    diagnostics: list[Diagnostic]

    def summary(self) -> dict[str, int]:
        links = [c.link for c in self.correspondents]
        return {
            "letters": self.letters,
            "correspondents": len(self.correspondents),
            "in_registry": links.count("registry"),
            "unresolved_pointer": links.count("unresolved"),
            "no_pointer": links.count("none"),
            "call_numbers": len(self.concordance),
        }


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders '780a' < '7710' < '10708' (numbers by value)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in re.findall(r"\d+|\D+", text))


def _key(m: Mention, registry: Registry) -> tuple[str, str, str | None, str]:
    """(key, link status, pointer, label) of a name in a letter."""
    pointer = (m.ref or "").split()[0] if m.ref and m.ref.split() else None
    if pointer:
        entity = registry.resolve(pointer)
        if entity is not None:
            return entity.id, "registry", pointer, entity.label
        return pointer, "unresolved", pointer, m.name or pointer
    return f"name:{' '.join(m.name.split()).casefold()}", "none", None, m.name


def _iso(value: str | None) -> str | None:
    """A date of the letter as the index gives it: only a real W3C date (as TT301 checks it), else None."""
    return value if value and check_w3c(value) is None else None


def _ref(letter: Letter) -> LetterRef:
    d = letter.date
    if d is None:
        return LetterRef(letter.id, letter.path, "undated", letter.title, letter.sort_key)
    return LetterRef(letter.id, letter.path, d.display, letter.title, letter.sort_key, when=_iso(d.when),
                     not_before=_iso(d.not_before or d.from_), not_after=_iso(d.not_after or d.to))



@dataclass(frozen=True)
class LetterEntries:
    """What one letter gives the index (made in the letter's task of the one pass)."""

    ref: LetterRef
    people: tuple[tuple[str, str, str, str, str | None, str], ...]  # (role, key, kind, link, pointer, label)
    mentioned: tuple[str, ...]  # keys of the names in the text
    concordance: tuple[ConcordanceEntry, ...]


def letter_entries(tree: etree._ElementTree, letter: Letter, registry: Registry) -> LetterEntries:
    """The index entries of one parsed letter: its correspondents, the names it mentions, its call numbers."""
    ref = _ref(letter)
    people = []
    for role, names in (("sent", letter.senders), ("received", letter.recipients)):
        for m in names:
            key, link, pointer, label = _key(m, registry)
            people.append((role, key, m.kind, link, pointer, label))
    mentioned = tuple(_key(m, registry)[0] for m in letter.mentions)
    structured = structured_call_numbers(tree, registry)
    concordance = [ConcordanceEntry(cn, ref, "msIdentifier") for cn, _el in structured]
    for cn, _el in prose_references(tree, registry):
        if not any(same_item(cn, s) for s, _ in structured):
            concordance.append(ConcordanceEntry(cn, ref, "prose"))
    return LetterEntries(ref, tuple(people), mentioned, tuple(concordance))


def assemble(entries: list[LetterEntries], diags: list[Diagnostic]) -> Index:
    """The register of correspondents and the concordance from every letter's entries (in file order)."""
    people: dict[str, Correspondent] = {}
    concordance: list[ConcordanceEntry] = []
    for e in entries:
        for role, key, kind, link, pointer, label in e.people:
            entry = people.setdefault(key, Correspondent(key, label, kind, link, pointer))
            if e.ref not in entry.letters[role]:
                entry.letters[role].append(e.ref)
        concordance.extend(e.concordance)
    for e in entries:
        for key in e.mentioned:
            named = people.get(key)
            if named is not None and e.ref not in named.letters["mentioned"]:
                named.letters["mentioned"].append(e.ref)
    for entry in people.values():
        for role in ROLES:
            entry.letters[role].sort(key=lambda r: r.sort_key)
    correspondents = sorted(people.values(), key=lambda c: (c.label.casefold(), c.key))
    concordance.sort(
        key=lambda e: (
            e.call_number.repository.casefold(),
            (e.call_number.collection or "").casefold(),
            _natural(e.call_number.idno),
            e.letter.sort_key,
        )
    )
    return Index(correspondents, concordance, len(entries), sorted(set(diags)))


# --- output ---------------------------------------------------------------------------------------------


def to_json(index: Index, what: str = "all") -> str:
    """The index as JSON (stable key order, UTF-8 text)."""
    # version 2: a letter's "date" is its ISO date (version 1 gave the text shown, now "date_text")
    doc: dict[str, Any] = {"version": 2, "summary": index.summary()}
    if what in ("all", "correspondents"):
        doc["correspondents"] = [c.as_dict() for c in index.correspondents]
    if what in ("all", "concordance"):
        doc["concordance"] = [e.as_dict() for e in index.concordance]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# the columns added later come last, so that those before them keep their places
DATE_FIELDS = ["date_text", "not_before", "not_after"]
CORRESPONDENT_FIELDS = ["key", "label", "kind", "link", "role", "letter_id", "date", "title", "path", *DATE_FIELDS]
CONCORDANCE_FIELDS = ["call_number", "repository", "repository_id", "collection", "idno", "asterisk", "url", "source",
                      "letter_id", "date", "title", "path", "certainty", *DATE_FIELDS]


def _dates(r: LetterRef) -> list[str]:
    return [r.date, r.not_before or "", r.not_after or ""]


def to_csv(index: Index, what: str) -> str:
    """One table as CSV: a row per (correspondent, role, letter), or per (call number, letter)."""
    buf = io.StringIO()
    if what == "correspondents":
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CORRESPONDENT_FIELDS)
        for c in index.correspondents:
            for role in ROLES:
                for r in c.letters[role]:
                    w.writerow([c.key, c.label, c.kind, c.link, role, r.id, r.when or "", r.title, r.path, *_dates(r)])
    else:
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CONCORDANCE_FIELDS)
        for e in index.concordance:
            cn, r = e.call_number, e.letter
            w.writerow([e.label, cn.repository, cn.repository_id or "", cn.collection or "", cn.idno,
                        "yes" if cn.asterisk else "", cn.url or "", e.source, r.id, r.when or "", r.title, r.path,
                        certainty_note(cn) or "", *_dates(r)])
    return buf.getvalue()


def _ids(refs: list[LetterRef]) -> str:
    return "\n".join(f"{r.id} ({r.date})" for r in refs)


def print_index(console: Console, index: Index, what: str = "all") -> None:
    """Rich tables of the correspondents and/or the concordance, and a summary line."""
    if what in ("all", "correspondents"):
        t = Table(title="Correspondents", show_lines=True)
        for col in ("Correspondent", "Key", "Sent", "Received", "Mentioned in"):
            t.add_column(col, overflow="fold")
        for c in index.correspondents:
            key = c.key if c.link == "registry" else f"{c.key} [{c.link}]"
            # every cell as Text: a letter's names are data, never rich markup ("[bold]…" stays as written)
            t.add_row(Text(c.label), Text(key), *(Text(_ids(c.letters[role])) for role in ROLES))
        console.print(t)
    if what in ("all", "concordance"):
        t = Table(title="Concordance of call numbers", show_lines=False)
        for col in ("Call number", "Letter", "Date", "Recorded in", "Finding aid"):
            t.add_column(col, overflow="fold")
        for e in index.concordance:
            note = certainty_note(e.call_number)  # an inferred part is said so, never shown as plain fact
            t.add_row(*(Text(x) for x in (f"{e.label} ({note})" if note else e.label, e.letter.id, e.letter.date, e.source,
                                          e.call_number.url or "")))
        console.print(t)
    s = index.summary()
    console.print(
        f"{count(s['letters'], 'letter')}, {count(s['correspondents'], 'correspondent')} "
        f"({s['in_registry']} in the registry, {s['unresolved_pointer']} with a pointer the registry does not know, "
        f"{s['no_pointer']} without a pointer), {count(s['call_numbers'], 'call number')}"
    )


def index_paths(paths: list[str] | tuple[str, ...], registry_dir: str | None = None) -> Index:
    """The index of the letters under `paths`, each read once (the one pass); the registry of the first path's
    corpus (or `registry_dir`)."""
    from .letter_pass import CorpusPass, PassOptions

    if registry_dir is None and paths:
        root = find_corpus_root(paths[0])
        registry_dir = str(root / REGISTRY_DIR) if root is not None and (root / REGISTRY_DIR).is_dir() else None
    result = CorpusPass(list(paths), PassOptions(consumers=("index",)), registry_dir=registry_dir).run()
    diags = [*result.lead, *result.extra]
    entries: list[LetterEntries] = []
    for outcome in result.outcomes:
        diags.extend(outcome.meta.read)
        diags.extend(result.corpus.get(outcome.path, ()))
        diags.extend(outcome.meta.diagnostics_of("index"))
        if "index" in outcome.extra:
            entries.append(outcome.extra["index"])
    return assemble(entries, diags)
