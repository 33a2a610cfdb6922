"""Corpus collection for whole-edition exports: letter records in date order, pointers resolved, registers, links."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from ..callnumbers import structured_call_numbers
from ..errors import Diagnostic, Severity
from ..i18n import N_
from ..model import Edition, Entity, Letter, Mention
from ..reader import text_of
from ..refs import References
from ..registry import Registry
from ..xmlfile import NS
from .core import safe_href

if TYPE_CHECKING:
    from ..letter_pass import PassResult

# authority id type -> URL template ({} is the id); ids that are already http(s) URLs are used as they are
AUTHORITY_URLS: dict[str, tuple[str, str]] = {
    "wikidata": ("Wikidata", "https://www.wikidata.org/wiki/{}"),
    "viaf": ("VIAF", "https://viaf.org/viaf/{}"),
    "gnd": ("GND", "https://d-nb.info/gnd/{}"),
    "geonames": ("GeoNames", "https://www.geonames.org/{}"),
    "isni": ("ISNI", "https://isni.org/isni/{}"),
}

REGISTER_KINDS = (("person", "persons", N_("People")), ("place", "places", N_("Places")), ("org", "orgs", N_("Organisations")))
# registers an edition has only where it has such entries (its letters' own lists of works and events)
EXTRA_REGISTER_KINDS = (("work", "works", N_("Works")), ("event", "events", N_("Events")))
REGISTER_PAGES = {"person": "persons", "place": "places", "org": "orgs", "repository": "orgs", "work": "works", "event": "events"}


def register_kinds(registry: Registry) -> tuple[tuple[str, str, str], ...]:
    """The registers of an edition: people, places and organisations always, works and events where it has some."""
    extra = tuple(k for k in EXTRA_REGISTER_KINDS if any(e.kind == k[0] for e in registry.entries.values()))
    return REGISTER_KINDS + extra
ROLES = ("sent", "received", "mentioned", "credited")
# how a register entry introduces its letters in each role (a place "sends" the letters written at it)
ROLE_WORDS = {"sent": N_("Letters from"), "received": N_("Letters to"), "mentioned": N_("Mentioned in"), "credited": N_("Credited in")}
PLACE_SENT_WORDS = N_("Letters written at")


safe_url = safe_href  # one URL policy for every writer: http(s), mailto or relative, never "//host" or javascript:


def authority_links(entity: Entity) -> list[tuple[str, str, str]]:
    """(label, id, url) for each authority id of an entry that has a known, safe URL form."""
    out: list[tuple[str, str, str]] = []
    for type_, value in entity.idnos:
        value = value.strip()
        if not value:
            continue
        known = AUTHORITY_URLS.get(type_.lower())
        if value.lower().startswith(("http://", "https://")):
            url = safe_url(value)
        elif known is not None and re.fullmatch(r"[A-Za-z0-9._-]+", value):
            url = known[1].format(value)
        else:
            url = None
        if url:
            out.append((known[0] if known else type_, value, url))
    return out


MAX_SLUG = 80  # characters of a file name made from a document's id or title (file systems allow 255 bytes)


def slugify(text: str) -> str:
    """A file-name-safe, bounded, stable slug (ASCII letters, digits, '.', '_' and '-'): a longer one keeps its
    first 64 characters and a short hash of the whole text, so long or near-identical names stay apart."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    if len(slug) > MAX_SLUG:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        slug = f"{slug[:64].rstrip('-.')}-{digest}"
    return slug or "letter"


@dataclass(frozen=True)
class LetterInfo:
    """One letter as the edition exports see it: its record, page slug, resolved people and places, credits."""

    letter: Letter
    slug: str
    senders: tuple[tuple[str, Entity | None], ...]  # (name as written, registry entry)
    recipients: tuple[tuple[str, Entity | None], ...]
    place_sent: tuple[str, Entity | None] | None
    mentioned: tuple[Entity, ...]  # registry entries named in the text, de-duplicated, in order
    credits: tuple[tuple[str, str], ...] = ()  # (responsibility, name) from titleStmt, as the file says
    credited: tuple[Entity, ...] = ()  # registry entries the credits point to (translator, transcriber, editor…)
    rights: str = ""  # publicationStmt/availability text, as the file says
    place_received: tuple[str, Entity | None] | None = None  # where the letter was received (name as written, entry)
    # what an edition without an edition file takes from its letters' headers (`edition_from_letters`)
    series: str = ""  # titleStmt/title[@level='s']: the series, the edition the letter belongs to
    publisher: str = ""  # publicationStmt/publisher (or authority)
    licence: tuple[str, str] = ("", "")  # publicationStmt/availability/licence: (@target, its text)
    editors: tuple[str, ...] = ()  # titleStmt/editor: each name it gives

    @property
    def lang(self) -> str:
        return self.letter.main_language or (self.letter.languages[0][0] if self.letter.languages else "")

    @property
    def correspondence(self) -> frozenset[str]:
        """The set of correspondents (registry ids, else names) that defines 'the same correspondence'."""
        return frozenset(correspondent(n, e)[0] for n, e in (*self.senders, *self.recipients) if n or e)


def correspondent(name: str, entity: Entity | None) -> tuple[str, str]:
    """(key, label) of a correspondent: its registry id and entry label, else the name as written (case-folded in
    the key), so that letters to the same unregistered person are one correspondence."""
    return (entity.id, entity.label) if entity is not None else (name.casefold(), name)


@dataclass
class EditionData:
    """Everything a whole-edition export needs: edition metadata, registry, letters in date order."""

    edition: Edition
    registry: Registry
    letters: list[LetterInfo]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root: Path | None = None

    def letters_of(self, entity_id: str) -> dict[str, list[LetterInfo]]:
        """The letters an entry sent, received, is mentioned or credited in (a place: sent from, or mentioned)."""
        index = self.__dict__.get("_roles")
        if index is None or index[0] != len(self.letters):  # every entry's letters, in one walk over the letters
            roles: dict[str, dict[str, list[LetterInfo]]] = {}

            def add(entity: Entity | None, role: str, info: LetterInfo) -> None:
                if entity is not None:
                    found = roles.setdefault(entity.id, {r: [] for r in ROLES})[role]
                    if not found or found[-1] is not info:
                        found.append(info)

            for info in self.letters:
                for _, e in info.senders:
                    add(e, "sent", info)
                if info.place_sent is not None:
                    add(info.place_sent[1], "sent", info)
                for _, e in info.recipients:
                    add(e, "received", info)
                for e in info.mentioned:
                    add(e, "mentioned", info)
                for e in info.credited:
                    add(e, "credited", info)
            index = self.__dict__["_roles"] = (len(self.letters), roles)
        found = index[1].get(entity_id)
        return {r: list(found[r]) for r in ROLES} if found else {r: [] for r in ROLES}

    def neighbours(self, index: int, same_correspondence: bool = False) -> tuple[LetterInfo | None, LetterInfo | None]:
        """The previous and next letter overall, or within the same correspondence."""
        if not same_correspondence:
            prev = self.letters[index - 1] if index > 0 else None
            return prev, (self.letters[index + 1] if index + 1 < len(self.letters) else None)
        groups = self.__dict__.get("_groups")
        if groups is None or groups[0] != len(self.letters):  # each letter's correspondence, once per letter list
            by: dict[frozenset[str], list[int]] = {}
            place: dict[int, tuple[list[int], int]] = {}
            for i, info in enumerate(self.letters):
                members = by.setdefault(info.correspondence, []) if info.correspondence else [i]
                place[i] = (members, len(members) - (0 if info.correspondence else 1))
                if info.correspondence:
                    members.append(i)
            groups = self.__dict__["_groups"] = (len(self.letters), place)
        pool, pos = groups[1][index]
        prev = self.letters[pool[pos - 1]] if pos > 0 else None
        nxt = self.letters[pool[pos + 1]] if pos + 1 < len(pool) else None
        return prev, nxt


def _credited(root: etree._Element, refs: References) -> tuple[Entity, ...]:
    """Registry entries named with a pointer in the credits (titleStmt: respStmt, editor, funder…), in order."""
    found: dict[str, Entity] = {}
    ts = root.find("tei:teiHeader/tei:fileDesc/tei:titleStmt", NS)
    for el in ts.iter() if ts is not None else ():
        if isinstance(el.tag, str) and el.tag.rpartition("}")[2] in ("persName", "orgName", "name") and el.get("ref"):
            parent = el.getparent()
            if parent is not None and parent.tag.rpartition("}")[2] == "author":
                continue  # the author is the sender: a correspondent, not a credit
            ent = refs.entity(el.get("ref"))
            if ent is not None:
                found.setdefault(ent.id, ent)
    return tuple(found.values())


def _credits(root: etree._Element) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    ts = root.find("tei:teiHeader/tei:fileDesc/tei:titleStmt", NS)
    if ts is None:
        return ()
    for el in ts:
        if not isinstance(el.tag, str):
            continue
        local = el.tag.rpartition("}")[2]
        if local == "respStmt":
            resp = text_of(el.find("tei:resp", NS))
            for name in el:
                if isinstance(name.tag, str) and name.tag.rpartition("}")[2] in ("persName", "name", "orgName"):
                    out.append((resp, text_of(name)))
        elif local in ("editor", "funder", "sponsor", "principal"):
            role = el.get("role") or local
            out.append((role, text_of(el)))
    return tuple((r, n) for r, n in out if n)


def _resolved(refs: References, people: Iterable[Mention]) -> tuple[tuple[str, Entity | None], ...]:
    return tuple((m.name, refs.entity(m.ref)) for m in people)


def letter_info(tree: etree._ElementTree, letter: Letter, registry: Registry, refs: References | None = None) -> LetterInfo:
    """A letter's record as the edition exports see it (slug still empty: slugs are given across the letters).

    The names in the text (`Letter.mentions`) are resolved into `mentioned` and then left out: a record is what
    the cross-letter pages keep of every letter, and it stays small.
    """
    refs = refs if refs is not None else References(tree, letter.path, registry)
    # call numbers enriched from the registry (repository form, finding-aid link) for every page that shows them
    structured = tuple(cn for cn, _ms in structured_call_numbers(tree, registry))
    mentioned: dict[str, Entity] = {}
    for ref in dict.fromkeys(m.ref for m in letter.mentions):  # each pointer once (a letter names some often)
        ent = refs.entity(ref)
        if ent is not None:
            mentioned.setdefault(ent.id, ent)
    kept = replace(letter, call_numbers=structured or letter.call_numbers, mentions=())
    avail = tree.getroot().find("tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:availability", NS)
    return LetterInfo(
        letter=kept,
        slug="",
        senders=_resolved(refs, letter.senders),
        recipients=_resolved(refs, letter.recipients),
        place_sent=(letter.place_sent.name, refs.entity(letter.place_sent.ref)) if letter.place_sent is not None else None,
        mentioned=tuple(mentioned.values()),
        credits=_credits(tree.getroot()),
        credited=_credited(tree.getroot(), refs),
        rights=text_of(avail),
        place_received=(
            (letter.place_received.name, refs.entity(letter.place_received.ref)) if letter.place_received is not None else None
        ),
        **_edition_facts(tree.getroot()),  # type: ignore[arg-type]
    )


def _edition_facts(root: etree._Element) -> dict[str, str | tuple[str, ...]]:
    fd = root.find("tei:teiHeader/tei:fileDesc", NS)
    if fd is None:
        return {}
    series = fd.find("tei:titleStmt/tei:title[@level='s']", NS)
    publisher = fd.find("tei:publicationStmt/tei:publisher", NS)
    if publisher is None:
        publisher = fd.find("tei:publicationStmt/tei:authority", NS)
    licence = fd.find("tei:publicationStmt/tei:availability/tei:licence", NS)
    editors: list[str] = []
    for ed in fd.iterfind("tei:titleStmt/tei:editor", NS):
        names = [text_of(n) for n in ed if isinstance(n.tag, str) and n.tag.rpartition("}")[2] in ("name", "persName", "orgName")]
        editors.extend(n for n in (names or [text_of(ed)]) if n)
    return {
        "editors": tuple(editors),
        "series": text_of(series),
        "publisher": text_of(publisher),
        "licence": ((licence.get("target") or "").strip(), text_of(licence)) if licence is not None else ("", ""),
    }


def with_slugs(infos: Iterable[LetterInfo]) -> list[LetterInfo]:
    """The records in date order, each with its page slug: the letter id made file-safe, told apart where two agree."""
    ordered = sorted(infos, key=lambda i: (i.letter.sort_key, i.letter.path))
    used: set[str] = set()
    out: list[LetterInfo] = []
    for info in ordered:
        base = slugify(info.letter.id)
        slug, n = base, 2
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        out.append(replace(info, slug=slug))
    return out


def collect(paths: list[str] | tuple[str, ...], *, registry_dir: str | Path | None = None) -> EditionData:
    """Read every letter under `paths` (registry and edition files are recognised and skipped) into EditionData."""
    from ..letter_pass import CorpusPass, PassOptions

    result = CorpusPass(list(paths), PassOptions(consumers=("record",)), registry_dir=str(registry_dir) if registry_dir else None).run()
    return edition_data(result)


def edition_data(result: PassResult) -> EditionData:
    """The EditionData of a pass: the letters' records (date order, slugs), the registry, the edition, what went wrong."""
    diags = [*result.lead, *result.extra]
    infos: list[LetterInfo] = []
    for outcome in result.outcomes:
        diags.extend(outcome.meta.read)
        diags.extend(result.corpus.get(outcome.path, ()))
        info = outcome.meta.value("record")
        if info is not None:
            infos.append(info)
    run = result.run
    registry = with_letter_entries(run.registries.get(result.main_registry) or run.registries[""], infos)
    edition = run.edition
    if edition.from_letters and infos:
        edition, note = edition_from_letters(edition, infos)
        if note is not None:
            diags.append(note)
    return EditionData(edition=edition, registry=registry, letters=with_slugs(infos), diagnostics=diags, root=result.root)


def edition_from_letters(edition: Edition, infos: list[LetterInfo]) -> tuple[Edition, Diagnostic | None]:
    """An edition without an edition file, described by what its letters' headers agree on: the series title of
    more than half of them (else the folder's name), the publisher of more than half, and a licence only where
    every letter states the same one (the CMIF file's licence must hold for all its records). Says what it took."""

    def most(values: list[str]) -> str:
        counts: dict[str, int] = {}
        for v in values:
            if v:
                counts[v] = counts.get(v, 0) + 1
        best = max(counts.items(), key=lambda kv: (kv[1], kv[0]), default=("", 0))
        return best[0] if best[1] * 2 > len(values) else ""

    title, publisher = most([i.series for i in infos]), most([i.publisher for i in infos])
    targets = {i.licence[0] for i in infos}
    target = next(iter(targets)) if len(targets) == 1 else ""
    texts = {i.licence[1] for i in infos}
    licence = (target, next(iter(texts)) if len(texts) == 1 else "") if target else ("", "")
    editors = tuple(n for n in dict.fromkeys(n for i in infos for n in i.editors)
                    if sum(n in i.editors for i in infos) * 2 > len(infos))
    folders = {Path(i.letter.path).resolve().parent.name for i in infos}
    fallback = next(iter(folders)) if len(folders) == 1 and edition.title == "TEI letters" else edition.title
    derived = replace(edition, title=title or fallback, publisher=publisher or edition.publisher,
                      licence=licence[1], licence_url=licence[0], editors=editors or edition.editors)
    taken = [f"title '{title}'" if title else f"title '{fallback}' (the letters share no series title)"]
    if editors:
        taken.append(f"editors {', '.join(editors)}")
    if publisher:
        taken.append(f"publisher '{publisher}'")
    taken.append(f"licence {licence[0] or licence[1]!r}" if any(licence) else
                 "no licence (the letters state none, or not the same one)")
    message = ("no edition.xml: the edition is described by its letters' headers: " + ", ".join(taken)
               + "; add an edition.xml to say otherwise (docs/existing-edition.md)")
    return derived, Diagnostic(infos[0].letter.path, 0, 0, Severity.INFO, "TT724", "edition-from-letters", message)


def with_letter_entries(registry: Registry, infos: Iterable[LetterInfo]) -> Registry:
    """The registry the registers show: the edition's, and the entries of the letters' own lists (their `back`) that
    the letters name and the edition's registry lacks (the first letter's entry of an id wins)."""
    extra: dict[str, Entity] = {}
    for info in infos:
        named = [e for _n, e in (*info.senders, *info.recipients)] + list(info.mentioned)
        for place in (info.place_sent, info.place_received):
            if place is not None:
                named.append(place[1])
        for ent in named:
            if ent is not None and ent.id not in registry.entries and ent.id not in extra:
                extra[ent.id] = ent
    if not extra:
        return registry
    return Registry(entries={**registry.entries, **extra}, prefixes=registry.prefixes, files=registry.files,
                    repeats_within_file=registry.repeats_within_file, ids_in_files=registry.ids_in_files)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders '9' before '10' and '780' before '780a'."""
    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in re.findall(r"\d+|\D+", text))
