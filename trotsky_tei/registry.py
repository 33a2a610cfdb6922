"""The registry: people, places, organisations and repositories from `corpus/registry/*.xml`; pointer resolution."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .errors import Diagnostic, Severity
from .model import Entity
from .reader import text_of
from .xmlfile import NS, XML_ID, local_name, parse_file

ENTRY_TAGS = {"person": "person", "place": "place", "org": "org"}


@dataclass
class Registry:
    """All registry entries by `xml:id`, and the `prefixDef`s that make short pointers (`wikidata:Q33391`) resolve."""

    entries: dict[str, Entity] = field(default_factory=dict)
    prefixes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # prefix -> [(matchPattern, replacementPattern)]
    files: list[str] = field(default_factory=list)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self.entries

    def get(self, entry_id: str) -> Entity | None:
        return self.entries.get(entry_id)

    def expand(self, pointer: str) -> str | None:
        """Expand a prefixed pointer by the declared `prefixDef`s; None where the prefix is not declared."""
        prefix, sep, rest = pointer.partition(":")
        if not sep or prefix not in self.prefixes:
            return None
        for match, replacement in self.prefixes[prefix]:
            m = re.fullmatch(match, rest)
            if m:
                return m.expand(replacement.replace("$", "\\"))
        return None

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


def _entity(el: etree._Element, kind: str, path: str) -> Entity:
    name_tag = {"person": "persName", "place": "placeName", "org": "orgName"}[kind]
    names = tuple(t for t in (text_of(n) for n in el.iterfind(f"tei:{name_tag}", NS)) if t)
    idnos = tuple((i.get("type", ""), (i.text or "").strip()) for i in el.iterfind("tei:idno", NS))
    birth = el.find("tei:birth", NS)
    death = el.find("tei:death", NS)
    note = el.find("tei:note", NS)
    if kind == "org" and el.get("type") in ("repository", "archive"):
        kind = "repository"
    return Entity(
        id=el.get(XML_ID, ""),
        kind=kind,
        names=names,
        idnos=idnos,
        birth=(birth.get("when") or text_of(birth) or None) if birth is not None else None,
        death=(death.get("when") or text_of(death) or None) if death is not None else None,
        note=text_of(note),
        path=path,
        line=el.sourceline or 0,
    )


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
                diags.append(
                    Diagnostic(
                        sp, ent.line, 1, Severity.ERROR, "TT601", "duplicate-registry-id",
                        f"registry id '{ent.id}' is already used at {other.path}:{other.line}",
                    )
                )
                continue
            reg.entries[ent.id] = ent
    return reg, diags
