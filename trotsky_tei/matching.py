"""Name matching against the registry: normalisation (case, diacritics, transliteration), initials, particles, order.

A person's name is split into given names, particles ("van", "de la", "von") and surname, after undoing inverted
order ("Overstraeten, W. van" -> "W. van Overstraeten"). Two person names match when their surnames are equal
after normalisation and their given names are compatible: the shorter list lines up, in order, with part of the
longer one, an initial ("W.") standing for any name with that first letter ("War"). Either side may omit the given
names or the particles. Places and organisations match on the whole normalised name (a leading article dropped).
A name that finds nothing is tried once more without a genitive or plural "s" ("Lenins", "Marx'").

Matching never guesses: `Matcher.match` returns every entry that fits; one is a link, several are ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Entity

PARTICLES = frozenset(
    "van von der den de del della dei degli di da das dos du des la le lo las los ten ter te zu zum zur vom "
    "af av y e d' l' op 't het st st. saint".split()
)
ARTICLES = frozenset("the a an la le les l' die der das den el il lo".split())
KIND_COMPATIBLE = {"person": ("person",), "place": ("place",), "org": ("org", "repository")}

_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "‘": "'", "ʹ": "'"})
_PUNCT_RE = re.compile(r"[^\w'\s]+")
_ELISION_RE = re.compile(r"^([dl])'(?=\w)")
_POSSESSIVE_RE = re.compile(r"'s$|'$")
_ENDING_RE = re.compile(r"(?<=k)(?:iy|ij|ii|yj|yi|y|i|ey)$")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD without combining marks, casefolded, apostrophes unified."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().translate(_SPECIAL)


def translit(token: str) -> str:
    """Collapse common transliteration variants of one folded token: Trotzki/Trotski/Trotskij/Trotsky -> trotski."""
    token = token.replace("tz", "ts").replace("w", "v")
    return _ENDING_RE.sub("i", token)


def tokens(name: str) -> list[str]:
    """Folded tokens of a name, possessives removed, elided particles ("d'", "l'") split off, punctuation dropped."""
    out: list[str] = []
    for raw in _PUNCT_RE.sub(" ", fold(name)).split():
        m = _ELISION_RE.match(raw)
        if m:
            out.append(m.group(0))
            raw = raw[m.end() :]
        raw = _POSSESSIVE_RE.sub("", raw).strip("'")
        if raw:
            out.append(raw)
    return out


@dataclass(frozen=True)
class PersonName:
    """A person's name split into canonical given names, particles and surname tokens."""

    given: tuple[str, ...]
    particles: tuple[str, ...]
    surname: tuple[str, ...]

    @property
    def full(self) -> tuple[str, ...]:
        return self.given + self.particles + self.surname


def uninvert(name: str) -> str:
    """"Overstraeten, W. van" -> "W. van Overstraeten"; a name without exactly one comma is returned as it is."""
    if name.count(",") != 1:
        return name
    last, first = (p.strip() for p in name.split(","))
    return f"{first} {last}".strip() if first and last else name.replace(",", " ")


def parse_person(name: str) -> PersonName:
    """Split a person's name (natural or inverted order) into given names, particles and surname."""
    toks = tokens(uninvert(name))
    if not toks:
        return PersonName((), (), ())
    start = next(
        (i for i, t in enumerate(toks[:-1]) if t in PARTICLES and any(u not in PARTICLES for u in toks[i + 1 :])),
        None,
    )
    if start is None:
        given, particles, surname = toks[:-1], [], toks[-1:]
    else:
        end = start
        while end < len(toks) - 1 and toks[end] in PARTICLES:
            end += 1
        given, particles, surname = toks[:start], toks[start:end], toks[end:]
    canon = [translit(t) for t in given]
    return PersonName(tuple(canon), tuple(particles), tuple(translit(t) for t in surname))


def _token_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return False


def _given_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """The shorter list lines up, in order, with some of the longer one (initials standing for names)."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    j = 0
    for tok in short:
        while j < len(long_) and not _token_compatible(tok, long_[j]):
            j += 1
        if j == len(long_):
            return False
        j += 1
    return True


def person_match(mention: PersonName, entry: PersonName) -> str | None:
    """How a mention fits a registry name: "exact", "variant" (initials, fewer names, particles left out) or None."""
    if not mention.surname or mention.surname != entry.surname:
        return None
    if mention.particles and entry.particles and mention.particles != entry.particles:
        return None
    if not _given_compatible(mention.given, entry.given):
        return None
    return "exact" if mention.full == entry.full else "variant"


def plain_key(name: str) -> tuple[str, ...]:
    """The whole-name key of a place or organisation: canonical tokens without a leading article."""
    toks = [translit(t) for t in tokens(name)]
    while len(toks) > 1 and toks[0] in ARTICLES:
        toks = toks[1:]
    return tuple(toks)


def _degenitive(toks: tuple[str, ...]) -> tuple[str, ...] | None:
    if toks and len(toks[-1]) > 3 and toks[-1].endswith("s"):
        return (*toks[:-1], toks[-1][:-1])
    return None


@dataclass(frozen=True)
class Candidate:
    """A registry entry a mention fits, the name of the entry it fits, and how ("exact" or "variant")."""

    entity: Entity
    name: str
    how: str


@dataclass(frozen=True)
class MatchResult:
    """Every registry entry a name fits, best first; `unique` is the entry only when exactly one fits."""

    name: str
    kind: str
    candidates: tuple[Candidate, ...]

    @property
    def unique(self) -> Entity | None:
        return self.candidates[0].entity if len(self.candidates) == 1 else None

    @property
    def status(self) -> str:
        return {0: "none", 1: "unique"}.get(len(self.candidates), "ambiguous")


class Matcher:
    """An index of registry names for fast matching; build once per registry."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._persons: dict[tuple[str, ...], list[tuple[Entity, str, PersonName]]] = {}
        self._plain: dict[tuple[str, tuple[str, ...]], list[tuple[Entity, str]]] = {}
        for ent in sorted(entities, key=lambda e: e.id):
            for name in ent.names:
                if ent.kind == "person":
                    pn = parse_person(name)
                    if pn.surname:
                        self._persons.setdefault(pn.surname, []).append((ent, name, pn))
                else:
                    key = plain_key(name)
                    if key:
                        self._plain.setdefault((ent.kind, key), []).append((ent, name))

    def _match_person(self, pn: PersonName) -> list[Candidate]:
        out: list[Candidate] = []
        for ent, name, entry in self._persons.get(pn.surname, []):
            how = person_match(pn, entry)
            if how:
                out.append(Candidate(ent, name, how))
        return out

    def _match_plain(self, kind: str, key: tuple[str, ...]) -> list[Candidate]:
        out: list[Candidate] = []
        for ek in KIND_COMPATIBLE.get(kind, (kind,)):
            out.extend(Candidate(ent, name, "exact") for ent, name in self._plain.get((ek, key), []))
        return out

    def match(self, name: str, kind: str) -> MatchResult:
        """Every entry of a compatible kind that `name` fits (one per entry, exact fits first)."""
        found: list[Candidate] = []
        if kind == "person":
            pn = parse_person(name)
            found = self._match_person(pn)
            if not found:
                stripped = _degenitive(pn.surname)
                if stripped:
                    found = [Candidate(c.entity, c.name, "variant") for c in self._match_person(
                        PersonName(pn.given, pn.particles, stripped))]
        else:
            key = plain_key(name)
            found = self._match_plain(kind, key)
            if not found:
                stripped = _degenitive(key)
                if stripped:
                    found = [Candidate(c.entity, c.name, "variant") for c in self._match_plain(kind, stripped)]
        best: dict[str, Candidate] = {}
        for c in found:
            if c.entity.id not in best or (c.how == "exact" and best[c.entity.id].how != "exact"):
                best[c.entity.id] = c
        ordered = sorted(best.values(), key=lambda c: (c.how != "exact", c.entity.id))
        return MatchResult(name, kind, tuple(ordered))


    def suggest(self, name: str, kind: str) -> tuple[Candidate, ...]:
        """Entries (not persons) whose name holds every word of `name`: "Party" → "Communist Party of Belgium".

        Only a hint for a person to follow up: a short form names an entry in one letter and another entry in the
        next, so `link --write` never writes a suggestion.
        """
        if kind == "person":
            return ()
        words = set(plain_key(name))
        if not words:
            return ()
        best: dict[str, Candidate] = {}
        for ek in KIND_COMPATIBLE.get(kind, (kind,)):
            for (k, key), entries in self._plain.items():
                if k == ek and words < set(key):
                    for ent, entry_name in entries:
                        best.setdefault(ent.id, Candidate(ent, entry_name, "partial"))
        return tuple(sorted(best.values(), key=lambda c: c.entity.id))


def fits(name: str, entity: Entity) -> bool:
    """Whether `name` fits one of `entity`'s names (used to check an existing link against its text)."""
    kind = "org" if entity.kind == "repository" else entity.kind
    return Matcher([entity]).match(name, kind).unique is not None
