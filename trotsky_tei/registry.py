"""The registry: people, places, organisations and repositories from `corpus/registry/*.xml`; pointer resolution."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from .errors import Diagnostic, Severity
from .keys import key_of
from .model import Collection, Entity
from .reader import is_data_list, text_of
from .xmlfile import NS, TEI_NS, XML_ID, Parsed, expand_prefix, line_of, local_name, parse_file

if TYPE_CHECKING:
    from .matching import Candidate, Matcher, MatchResult

ENTRY_TAGS = {"person": "person", "place": "place", "org": "org"}
REPOSITORY_NOTE_TYPES = ("callNumberPattern",)  # typed notes that are data, not the entry's description


# what the letter being processed looked up in the registry (its dependencies), per thread or task
_LOOKUPS: ContextVar[set[str] | None] = ContextVar("registry_lookups", default=None)
_AUTHORITY_URL = re.compile(
    r"(?:wikidata\.org/(?:wiki|entity)/(?P<wikidata>Q\d+))|(?:viaf\.org/viaf/(?P<viaf>\d+))|"
    r"(?:d-nb\.info/gnd/(?P<gnd>[0-9X-]+))|(?:geonames\.org/(?P<geonames>\d+))|(?:isni\.org/isni/(?P<isni>[0-9X]+))"
)


def _file_state(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return f"{st.st_mtime_ns}:{st.st_size}"


def note_dependency(what: str) -> None:
    """Note, for the letter being processed, something besides the registry its results depend on (`@file:PATH`)."""
    _note(what)


def _note(what: str) -> None:
    seen = _LOOKUPS.get()
    if seen is not None:
        seen.add(what)


@dataclass
class Registry:
    """All registry entries by `xml:id`, and the `prefixDef`s that make short pointers (`wikidata:Q33391`) resolve.

    Every lookup of an entry is noted while `recording()` is active, so a letter's results can be keyed on exactly
    the entries it used (a registry change then redoes only the letters that looked up a changed entry).
    Lookups that look at many entries at once (name matching, authority ids, a kind's list) are noted as groups.
    Work that is the same for every letter (real paths of the files, the authority index) is done once, lazily.
    """

    entries: dict[str, Entity] = field(default_factory=dict)
    prefixes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # prefix -> [(matchPattern, replacementPattern)]
    files: list[str] = field(default_factory=list)
    # (path, line) of TT601 repeats whose first entry is in the same file (rule TT201 also sees those)
    repeats_within_file: set[tuple[str, int]] = field(default_factory=set)
    # every xml:id in the registry files -> the names of the files that hold it (entries, collections, roots)
    ids_in_files: dict[str, list[str]] = field(default_factory=dict)
    # the corpus folders of the run: a pointer never opens a file outside them (nor outside its own corpus root)
    roots: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        # lazily built indexes and hashes are made again where they are needed (a worker process)
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __contains__(self, entry_id: str) -> bool:
        _note(entry_id)
        return entry_id in self.entries

    def get(self, entry_id: str) -> Entity | None:
        _note(entry_id)
        return self.entries.get(entry_id)

    # --- what a letter used --------------------------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[set[str]]:
        """Note every lookup made inside the block (in this thread) into the set it yields."""
        seen: set[str] = set()
        token = _LOOKUPS.set(seen)
        try:
            yield seen
        finally:
            _LOOKUPS.reset(token)

    def state_key(self) -> str:
        """One hash of everything a lookup can find: the entries, every id of the registry files, files and prefixes."""
        found: str | None = self.__dict__.get("_state_key")
        if found is None:
            found = self.__dict__["_state_key"] = key_of(self.content_key(), sorted(self.ids_in_files.items()), self.layout_key())
        return found

    def content_key(self) -> str:
        """One hash of every entry (what the registers show)."""
        return self._hash_of("@all")

    def layout_key(self) -> str:
        """What every letter's pointer resolution depends on: the registry's files and the prefixes they declare."""
        return key_of([Path(f).name for f in self.files], self.prefixes)

    def dependency_key(self, lookups: Iterable[str]) -> str:
        """One hash of what `lookups` found: each entry looked up (or its absence) and each group looked at."""
        return key_of(*((name, self._hash_of(name)) for name in sorted(lookups)))

    def _hash_of(self, name: str) -> str:
        cache: dict[str, str] = self.__dict__.setdefault("_hashes", {})
        found = cache.get(name)
        if found is None:
            if name.startswith("@kind:"):
                kind = name[6:]
                found = key_of(*(e for e in self.entries.values() if e.kind == kind))
            elif name == "@all":
                found = key_of(*self.entries.values())
            elif name == "@names":
                found = key_of(*((e.id, e.kind, e.names) for e in self.entries.values()))
            elif name == "@authority":
                found = key_of(*((e.id, e.idnos) for e in self.entries.values()))
            elif name.startswith("@file:"):  # another file a pointer leads into (its ids), or its existence
                found = _file_state(name[6:])
            else:
                found = key_of(self.entries.get(name), self.ids_in_files.get(name))
            cache[name] = found
        return found

    # --- indexes made once per process ----------------------------------------------------------------

    def real_files(self) -> dict[str, str]:
        """Each registry file's real path -> the path as loaded (symlinks and `..` resolved once, not per pointer)."""
        found: dict[str, str] | None = self.__dict__.get("_real_files")
        if found is None:
            found = self.__dict__["_real_files"] = {os.path.realpath(f): f for f in self.files}
        return found

    def file_names(self) -> frozenset[str]:
        """The base names of the registry files."""
        found: frozenset[str] | None = self.__dict__.get("_file_names")
        if found is None:
            found = self.__dict__["_file_names"] = frozenset(Path(f).name for f in self.files)
        return found

    def _authority(self) -> tuple[dict[str, int], dict[tuple[str, str], int], dict[tuple[str, str], int], list[Entity]]:
        """(value -> entry, (type, value) -> entry, (type, last URL segment) -> entry, entries), first entry wins."""
        index = self.__dict__.get("_authority_index")
        if index is None:
            order = list(self.entries.values())
            by_value: dict[str, int] = {}
            by_type: dict[tuple[str, str], int] = {}
            by_segment: dict[tuple[str, str], int] = {}
            for n, entity in enumerate(order):
                for type_, value in entity.idnos:
                    by_value.setdefault(value, n)
                    by_type.setdefault((type_.lower(), value), n)
                    if value:
                        by_segment.setdefault((type_.lower(), value.rstrip("/").rsplit("/", 1)[-1]), n)
            index = self.__dict__["_authority_index"] = (by_value, by_type, by_segment, order)
        return index

    def by_authority(self, value: str, type_: str = "", rest: str = "") -> Entity | None:
        """The first entry with an `idno` whose value is `value`, or (with `type_`) of that type whose value is `rest`."""
        _note("@authority")
        by_value, by_type, _, order = self._authority()
        hits = [by_value.get(value), by_type.get((type_.lower(), rest)) if type_ else None]
        found = [n for n in hits if n is not None]
        return order[min(found)] if found else None

    def by_authority_uri(self, uri: str) -> Entity | None:
        """The entry whose authority id is this URI, or the Wikidata, VIAF, GND, GeoNames or ISNI id inside it."""
        _note("@authority")
        by_value, _, by_segment, order = self._authority()
        m = _AUTHORITY_URL.search(uri)
        ids = {k: v for k, v in m.groupdict().items() if v} if m else {}
        hits = [by_value.get(uri), *(by_segment.get((t, v)) for t, v in ids.items())]
        found = [n for n in hits if n is not None]
        return order[min(found)] if found else None

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
            return self.get(pointer[1:])
        if "#" in pointer and not pointer.startswith(("http:", "https:")):
            return self.get(pointer.rpartition("#")[2])
        expanded = self.expand(pointer)
        if expanded is not None and expanded != pointer:
            return self.resolve(expanded)
        # an authority URI or id stored as idno (e.g. wikidata:Q33391 -> the entry with that Wikidata id)
        prefix, sep, rest = pointer.partition(":")
        if sep:
            _note("@authority")
            return self._authority()[3][n] if (n := self._authority()[1].get((prefix.lower(), rest))) is not None else None
        return None

    def by_kind(self, kind: str) -> list[Entity]:
        _note(f"@kind:{kind}")
        return sorted((e for e in self.entries.values() if e.kind == kind), key=lambda e: (e.label.casefold(), e.id))

    def match(self, name: str, kind: str) -> MatchResult:
        """Every entry of a compatible kind that `name` fits (initials, particles, order, variants; see matching.py)."""
        _note("@names")
        return self._matcher().match(name, kind)

    def suggest(self, name: str, kind: str) -> tuple[Candidate, ...]:
        """Entries whose names hold every word of `name` (a hint for an unmatched short form; see matching.py)."""
        _note("@names")
        return self._matcher().suggest(name, kind)

    def _matcher(self) -> Matcher:
        from .matching import Matcher

        cached = self.__dict__.get("_matcher_cache")
        if cached is None or cached[0] != len(self.entries):
            cached = self.__dict__["_matcher_cache"] = (len(self.entries), Matcher(self.entries.values()))
        matcher: Matcher = cached[1]
        return matcher


LIST_KINDS = {"listPerson": ("person", "person"), "listPlace": ("place", "place"), "listOrg": ("org", "org"),
              "listBibl": ("work", "bibl"), "listEvent": ("event", "event")}


def letter_entries(root: etree._Element, path: str) -> dict[str, Entity]:
    """A letter's own registry: the people, places and organisations its `back` lists (as editions such as the
    Schnitzler letters give each letter the entries it names), by `xml:id`; the first of an id wins."""
    out: dict[str, Entity] = {}
    text = root.find("tei:text", NS)
    if text is None:
        return out
    for back in text.iter(f"{{{TEI_NS}}}back"):
        for lst in back.iter(*(f"{{{TEI_NS}}}{n}" for n in LIST_KINDS)):
            if not is_data_list(lst):
                continue
            kind, item = LIST_KINDS[lst.tag.rpartition("}")[2]]
            for el in lst.iterfind(f"tei:{item}", NS):
                made = _entity(el, kind, path) if kind in ("person", "place", "org") else _work_or_event(el, kind, path)
                ent = replace(made, local=True)
                if ent.id and ent.id not in out:
                    out[ent.id] = ent
    return out


def _work_or_event(el: etree._Element, kind: str, path: str) -> Entity:
    """A work (`bibl`: its titles, the main one first; its authors as the note) or an event (`event`: its names)."""
    if kind == "work":
        titles = list(el.iterfind("tei:title[@type='main']", NS)) + list(el.iterfind("tei:title", NS))
        names = tuple(dict.fromkeys(t for t in (text_of(x) for x in titles) if t))
        note = "; ".join(t for t in (text_of(a) for a in el.iterfind("tei:author", NS)) if t)
    else:
        names = tuple(t for t in (text_of(x) for x in el.iterfind("tei:eventName", NS)) if t) or tuple(
            t for t in (text_of(x) for x in el.iterfind("tei:label", NS)) if t) or ((text_of(el),) if text_of(el) else ())
        note = ""
    idnos = tuple((i.get("type", ""), (i.text or "").strip()) for i in el.iterfind("tei:idno", NS))
    date = el.find("tei:date", NS)
    return Entity(id=el.get(XML_ID, ""), kind=kind, names=names, idnos=idnos, note=note, path=path, line=line_of(el),
                  birth=(date.get("when") or text_of(date) or None) if date is not None and kind == "work" else None)


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
    registry, diags, _parsed = load_registry_files(folder)
    return registry, diags


def load_registry_files(folder: str | Path | None) -> tuple[Registry, list[Diagnostic], dict[str, Parsed]]:
    """`load_registry`, and each registry file as parsed (path as loaded -> tree and digest), for checking them too.

    Each file is parsed once: whoever validates the registry files takes their trees from here.
    """
    reg = Registry()
    diags: list[Diagnostic] = []
    trees: dict[str, Parsed] = {}
    if folder is None or not Path(folder).is_dir():
        return reg, diags, trees
    for path in sorted(Path(folder).glob("*.xml")):
        sp = str(path)
        parsed = parse_file(path)
        diags.extend(parsed.diagnostics)
        if parsed.tree is None:
            continue
        trees[sp] = parsed
        reg.files.append(sp)
        root = parsed.tree.getroot()
        for pd in root.iterfind(".//tei:listPrefixDef/tei:prefixDef", NS):
            reg.prefixes.setdefault(pd.get("ident", ""), []).append(
                (pd.get("matchPattern", ""), pd.get("replacementPattern", ""))
            )
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            xml_id = el.get(XML_ID)
            if xml_id is not None:
                holders = reg.ids_in_files.setdefault(xml_id, [])
                if path.name not in holders:
                    holders.append(path.name)
            kind = ENTRY_TAGS.get(local_name(el))
            if kind is None or xml_id is None:
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
    return reg, diags, trees
