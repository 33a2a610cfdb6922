"""Corpus collection for whole-edition exports: letter records in date order, pointers resolved, registers, links."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from ..callnumbers import structured_call_numbers
from ..errors import Diagnostic
from ..model import Edition, Entity, Letter, Mention
from ..reader import (
    REGISTRY_DIR,
    discover,
    find_corpus_root,
    read,
    read_edition,
    text_of,
)
from ..registry import Registry, load_registry
from ..xmlfile import NS, expand_prefix
from .core import safe_href

# the conventional letter-to-registry prefixes (DESIGN: psn:, plc:, org:, arc:), used when a letter declares none
DEFAULT_PREFIXES = ("psn", "plc", "org", "arc")

# authority id type -> URL template ({} is the id); ids that are already http(s) URLs are used as they are
AUTHORITY_URLS: dict[str, tuple[str, str]] = {
    "wikidata": ("Wikidata", "https://www.wikidata.org/wiki/{}"),
    "viaf": ("VIAF", "https://viaf.org/viaf/{}"),
    "gnd": ("GND", "https://d-nb.info/gnd/{}"),
    "geonames": ("GeoNames", "https://www.geonames.org/{}"),
    "isni": ("ISNI", "https://isni.org/isni/{}"),
}

REGISTER_KINDS = (("person", "persons", "People"), ("place", "places", "Places"), ("org", "orgs", "Organisations"))
ROLES = ("sent", "received", "mentioned", "credited")
# how a register entry introduces its letters in each role (a place "sends" the letters written at it)
ROLE_WORDS = {"sent": "Letters from", "received": "Letters to", "mentioned": "Mentioned in", "credited": "Credited in"}
PLACE_SENT_WORDS = "Letters written at"


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


def slugify(text: str) -> str:
    """A file-name-safe slug (ASCII letters, digits, '.', '_' and '-')."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
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

    @property
    def lang(self) -> str:
        return self.letter.main_language or (self.letter.languages[0][0] if self.letter.languages else "")

    @property
    def correspondence(self) -> frozenset[str]:
        """The set of correspondents (registry ids, else names) that defines 'the same correspondence'."""
        keys = {e.id if e is not None else n.casefold() for n, e in (*self.senders, *self.recipients) if n or e}
        return frozenset(keys)


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
        out: dict[str, list[LetterInfo]] = {r: [] for r in ROLES}
        for info in self.letters:
            place = info.place_sent[1] if info.place_sent is not None else None
            if any(e is not None and e.id == entity_id for _, e in info.senders) or (place is not None and place.id == entity_id):
                out["sent"].append(info)
            if any(e is not None and e.id == entity_id for _, e in info.recipients):
                out["received"].append(info)
            if any(e.id == entity_id for e in info.mentioned):
                out["mentioned"].append(info)
            if any(e.id == entity_id for e in info.credited):
                out["credited"].append(info)
        return out

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


def letter_prefixes(tree: etree._ElementTree) -> dict[str, list[tuple[str, str]]]:
    """The `prefixDef`s a letter declares in its header: prefix -> [(matchPattern, replacementPattern)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    for pd in tree.getroot().iterfind("tei:teiHeader//tei:listPrefixDef/tei:prefixDef", NS):
        out.setdefault(pd.get("ident", ""), []).append((pd.get("matchPattern", ""), pd.get("replacementPattern", "")))
    return out


def resolve_pointer(registry: Registry, pointer: str | None, prefixes: dict[str, list[tuple[str, str]]]) -> Entity | None:
    """The registry entry a (possibly prefixed, possibly multi-valued) pointer names; the first that resolves."""
    for ptr in (pointer or "").split():
        prefix, sep, rest = ptr.partition(":")
        if sep and prefix in prefixes:
            expanded = expand_prefix(prefixes[prefix], rest)
            found = registry.resolve(expanded) if expanded is not None else None
            if found is not None:
                return found
        found = registry.resolve(ptr)
        if found is not None:
            return found
        if sep and prefix in DEFAULT_PREFIXES and rest in registry:
            return registry.get(rest)
    return None


def _credited(
    root: etree._Element, registry: Registry, prefixes: dict[str, list[tuple[str, str]]]
) -> tuple[Entity, ...]:
    """Registry entries named with a pointer in the credits (titleStmt: respStmt, editor, funder…), in order."""
    found: dict[str, Entity] = {}
    ts = root.find("tei:teiHeader/tei:fileDesc/tei:titleStmt", NS)
    for el in ts.iter() if ts is not None else ():
        if isinstance(el.tag, str) and el.tag.rpartition("}")[2] in ("persName", "orgName", "name") and el.get("ref"):
            parent = el.getparent()
            if parent is not None and parent.tag.rpartition("}")[2] == "author":
                continue  # the author is the sender: a correspondent, not a credit
            ent = resolve_pointer(registry, el.get("ref"), prefixes)
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


def _resolved(registry: Registry, people: Iterable[Mention], prefixes: dict[str, list[tuple[str, str]]]) -> tuple[tuple[str, Entity | None], ...]:
    return tuple((m.name, resolve_pointer(registry, m.ref, prefixes)) for m in people)


def collect(paths: list[str] | tuple[str, ...], *, registry_dir: str | Path | None = None) -> EditionData:
    """Read every letter under `paths` (registry and edition files are recognised and skipped) into EditionData."""
    files, diags = discover(paths)
    root = find_corpus_root(paths[0]) if paths else None
    if registry_dir is None and root is not None:
        registry_dir = root / REGISTRY_DIR
    registry, reg_diags = load_registry(registry_dir)
    diags.extend(reg_diags)
    edition = read_edition(root)
    infos: list[LetterInfo] = []
    for path in files:
        lf = read(path)
        diags.extend(lf.parsed.diagnostics)
        if lf.letter is None or lf.parsed.tree is None:
            continue
        tree = lf.parsed.tree
        prefixes = letter_prefixes(tree)
        # call numbers enriched from the registry (repository form, finding-aid link) for every page that shows them
        structured = tuple(cn for cn, _ms in structured_call_numbers(tree, registry))
        letter = replace(lf.letter, call_numbers=structured) if structured else lf.letter
        mentioned: dict[str, Entity] = {}
        for m in letter.mentions:
            ent = resolve_pointer(registry, m.ref, prefixes)
            if ent is not None:
                mentioned.setdefault(ent.id, ent)
        avail = tree.getroot().find("tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:availability", NS)
        infos.append(
            LetterInfo(
                letter=letter,
                slug="",
                senders=_resolved(registry, letter.senders, prefixes),
                recipients=_resolved(registry, letter.recipients, prefixes),
                place_sent=(
                    (letter.place_sent.name, resolve_pointer(registry, letter.place_sent.ref, prefixes))
                    if letter.place_sent is not None
                    else None
                ),
                mentioned=tuple(mentioned.values()),
                credits=_credits(tree.getroot()),
                credited=_credited(tree.getroot(), registry, prefixes),
                rights=text_of(avail),
            )
        )
    infos.sort(key=lambda i: (i.letter.sort_key, i.letter.path))
    used: set[str] = set()
    out: list[LetterInfo] = []
    for info in infos:
        base = slugify(info.letter.id)
        slug, n = base, 2
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        out.append(LetterInfo(**{**info.__dict__, "slug": slug}))
    return EditionData(edition=edition, registry=registry, letters=out, diagnostics=diags, root=root)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders '9' before '10' and '780' before '780a'."""
    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in re.findall(r"\d+|\D+", text))
