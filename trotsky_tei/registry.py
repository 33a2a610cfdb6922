"""The registry: people, places, organisations and repositories from `corpus/registry/*.xml`; pointer resolution."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from .errors import Diagnostic, Severity
from .model import Collection, Entity
from .reader import text_of
from .xmlfile import NS, XML_ID, expand_prefix, line_of, local_name, parse_file

if TYPE_CHECKING:
    from .matching import Candidate, Matcher, MatchResult

ENTRY_TAGS = {"person": "person", "place": "place", "org": "org"}
REPOSITORY_NOTE_TYPES = ("callNumberPattern",)  # typed notes that are data, not the entry's description


@dataclass
class Registry:
    """All registry entries by `xml:id`, and the `prefixDef`s that make short pointers (`wikidata:Q33391`) resolve."""

    entries: dict[str, Entity] = field(default_factory=dict)
    prefixes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # prefix -> [(matchPattern, replacementPattern)]
    files: list[str] = field(default_factory=list)
    # (path, line) of TT601 repeats whose first entry is in the same file (rule TT201 also sees those)
    repeats_within_file: set[tuple[str, int]] = field(default_factory=set)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self.entries

    def get(self, entry_id: str) -> Entity | None:
        return self.entries.get(entry_id)

    def expand(self, pointer: str) -> str | None:
        """Expand a prefixed pointer by the declared `prefixDef`s; None where the prefix is not declared."""
        prefix, sep, rest = pointer.partition(":")
        if not sep or prefix not in self.prefixes:
            return None
        return expand_prefix(self.prefixes[prefix], rest)

    def resolve(self, pointer: str) -> Entity | None:
        """The entry a pointer names: `#id`, `file.xml#id`, or a declared prefix that expands to one of those."""
        pointer = pointer.strip()
        if pointer.startswith("#"):
            return self.entries.get(pointer[1:])
        if "#" in pointer and not pointer.startswith(("http:", "https:")):
            return self.entries.get(pointer.rpartition("#")[2])
        expanded = self.expand(pointer)
        if expanded is not None and expanded != pointer:
            return self.resolve(expanded)
        # an authority URI or id stored as idno (e.g. wikidata:Q33391 -> the entry with that Wikidata id)
        prefix, sep, rest = pointer.partition(":")
        if sep:
            for entity in self.entries.values():
                if any(t.lower() == prefix.lower() and v == rest for t, v in entity.idnos):
                    return entity
        return None

    def by_kind(self, kind: str) -> list[Entity]:
        return sorted((e for e in self.entries.values() if e.kind == kind), key=lambda e: (e.label.casefold(), e.id))

    def match(self, name: str, kind: str) -> MatchResult:
        """Every entry of a compatible kind that `name` fits (initials, particles, order, variants; see matching.py)."""
        return self._matcher().match(name, kind)

    def suggest(self, name: str, kind: str) -> tuple[Candidate, ...]:
        """Entries whose names hold every word of `name` (a hint for an unmatched short form; see matching.py)."""
        return self._matcher().suggest(name, kind)

    def _matcher(self) -> Matcher:
        from .matching import Matcher

        cached = self.__dict__.get("_matcher_cache")
        if cached is None or cached[0] != len(self.entries):
            cached = self.__dict__["_matcher_cache"] = (len(self.entries), Matcher(self.entries.values()))
        matcher: Matcher = cached[1]
        return matcher


def _entity(el: etree._Element, kind: str, path: str) -> Entity:
    name_tag = {"person": "persName", "place": "placeName", "org": "orgName"}[kind]
    names = tuple(t for t in (text_of(n) for n in el.iterfind(f"tei:{name_tag}", NS)) if t)
    idnos = tuple((i.get("type", ""), (i.text or "").strip()) for i in el.iterfind("tei:idno", NS))
    birth = el.find("tei:birth", NS)
    death = el.find("tei:death", NS)
    note = next((n for n in el.iterfind("tei:note", NS) if n.get("type") not in REPOSITORY_NOTE_TYPES), None)
    extra: tuple[tuple[str, str], ...] = ()
    collections: tuple[Collection, ...] = ()
    if kind == "org" and el.get("type") in ("repository", "archive"):
        kind = "repository"
        extra, collections = _repository_facts(el)
    return Entity(
        id=el.get(XML_ID, ""),
        kind=kind,
        names=names,
        idnos=idnos,
        birth=(birth.get("when") or text_of(birth) or None) if birth is not None else None,
        death=(death.get("when") or text_of(death) or None) if death is not None else None,
        note=text_of(note),
        path=path,
        line=line_of(el),
        extra=extra,
        collections=collections,
    )


def _repository_facts(el: etree._Element) -> tuple[tuple[tuple[str, str], ...], tuple[Collection, ...]]:
    """What a repository entry says about itself: institution (the enclosing `org`), place, call-number
    pattern (`note type="callNumberPattern"`), finding aid (`ptr type="findingAid"`), and its collections
    (`bibl type="collection"`, each with `idno type="callNumber"`s, `title`, `date`, `ptr type="findingAid"`)."""
    facts: list[tuple[str, str]] = []
    parent = el.getparent()
    if parent is not None and local_name(parent) == "listOrg":  # org/listOrg/org, as the letter schema has it
        parent = parent.getparent()
    if parent is not None and local_name(parent) == "org":
        inst = text_of(parent.find("tei:orgName", NS))
        if inst:
            facts.append(("institution", inst))
    for tag in ("settlement", "region", "country"):
        place = el.find(f"tei:location/tei:{tag}", NS)
        if place is None:
            place = el.find(f"tei:location/tei:address/tei:{tag}", NS)
        if place is None and tag == "settlement":
            place = el.find("tei:placeName", NS)
        if place is not None and text_of(place):
            facts.append((tag, text_of(place)))
    pattern = el.find("tei:note[@type='callNumberPattern']", NS)
    if pattern is not None and (pattern.text or "").strip():
        facts.append(("callNumberPattern", (pattern.text or "").strip()))
    ptr = el.find("tei:ptr[@type='findingAid']", NS)
    if ptr is not None and ptr.get("target"):
        facts.append(("findingAid", ptr.get("target", "")))
    collections: list[Collection] = []
    own = [*el.iterfind("tei:bibl[@type='collection']", NS), *el.iterfind("tei:listBibl/tei:bibl[@type='collection']", NS)]
    for bibl in own:
        numbers = [text_of(i) for i in bibl.iterfind("tei:idno", NS) if i.get("type") in (None, "callNumber")]
        numbers = [n for n in numbers if n]
        if not numbers:
            continue
        date = bibl.find("tei:date", NS)
        date_text = ""
        if date is not None:
            date_text = text_of(date) or "–".join(v for v in (date.get("from"), date.get("to")) if v) or date.get("when", "")
        aid = bibl.find("tei:ptr[@type='findingAid']", NS)
        if aid is None:
            aid = bibl.find("tei:idno[@type='URI']", NS)
        aid_url = (aid.get("target") or text_of(aid)) if aid is not None else ""
        collections.append(
            Collection(
                id=bibl.get(XML_ID, ""),
                call_number=numbers[0],
                title=text_of(bibl.find("tei:title", NS)),
                date=date_text,
                variants=tuple(numbers[1:]),
                finding_aid=aid_url,
            )
        )
    return tuple(facts), tuple(collections)


def load_registry(folder: str | Path | None) -> tuple[Registry, list[Diagnostic]]:
    """Read every `*.xml` in `folder`; an unreadable file or a duplicate id is a diagnostic."""
    reg = Registry()
    diags: list[Diagnostic] = []
    if folder is None or not Path(folder).is_dir():
        return reg, diags
    for path in sorted(Path(folder).glob("*.xml")):
        sp = str(path)
        parsed = parse_file(path)
        diags.extend(parsed.diagnostics)
        if parsed.tree is None:
            continue
        reg.files.append(sp)
        root = parsed.tree.getroot()
        for pd in root.iterfind(".//tei:listPrefixDef/tei:prefixDef", NS):
            reg.prefixes.setdefault(pd.get("ident", ""), []).append(
                (pd.get("matchPattern", ""), pd.get("replacementPattern", ""))
            )
        for el in root.iter():
            kind = ENTRY_TAGS.get(local_name(el))
            if kind is None or el.get(XML_ID) is None:
                continue
            ent = _entity(el, kind, sp)
            if ent.id in reg.entries:
                other = reg.entries[ent.id]
                if other.path == sp:
                    reg.repeats_within_file.add((sp, ent.line))
                diags.append(
                    Diagnostic(
                        sp, ent.line, 1, Severity.ERROR, "TT601", "duplicate-registry-id",
                        f"registry id '{ent.id}' is already used at {other.path}:{other.line}",
                    )
                )
                continue
            reg.entries[ent.id] = ent
    return reg, diags
