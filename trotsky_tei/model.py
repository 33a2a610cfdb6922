"""Immutable records extracted from TEI: letters, registry entries, call numbers, edition metadata."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LetterDate:
    """A date as TEI gives it: `@when`, or a range (`@notBefore/@notAfter`, `@from/@to`), and the text shown."""

    when: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    from_: str | None = None
    to: str | None = None
    text: str = ""
    cert: str | None = None

    @property
    def sort_key(self) -> str:
        """An ISO string to order letters by (undated letters sort last)."""
        return self.when or self.not_before or self.from_ or self.not_after or self.to or "9999"

    @property
    def display(self) -> str:
        if self.text:
            return self.text
        if self.when:
            return self.when
        lo = self.not_before or self.from_
        hi = self.not_after or self.to
        if lo and hi:
            return f"{lo} – {hi}"
        if lo:
            return f"after {lo}"
        if hi:
            return f"before {hi}"
        return "undated"


@dataclass(frozen=True)
class Mention:
    """A name as it stands in a letter (`persName`, `orgName`, `placeName`, `rs`) and where it points."""

    kind: str  # "person" | "org" | "place"
    name: str
    ref: str | None = None
    line: int = 0


@dataclass(frozen=True)
class CallNumber:
    """An archive reference in structured form: repository, collection, item (`idno`), as strings."""

    repository: str
    idno: str
    collection: str | None = None
    institution: str | None = None
    settlement: str | None = None
    country: str | None = None
    url: str | None = None
    cert: str | None = None
    repository_id: str | None = None  # registry id of the repository, where known
    item: str | None = None  # first (or only) item number as written, e.g. "780a"
    item_end: str | None = None  # last item of a range ("7710-7740" -> "7740")
    asterisk: bool = False  # an item number carries an asterisk ("7710*")
    location: str | None = None  # a location prefix written before the collection ("bMS")
    # the encoder's @cert on parts of the reference: (part, cert), part "repository" | "collection" | "idno";
    # e.g. (("collection", "medium"),) for an inferred collection. `cert` stays the idno's, as before.
    certainty: tuple[tuple[str, str], ...] = ()

    @property
    def display(self) -> str:
        parts = [p for p in (self.collection, f"({self.idno})" if self.collection else self.idno) if p]
        return ", ".join([self.repository, " ".join(parts)]) if self.repository else " ".join(parts)


@dataclass(frozen=True)
class Letter:
    """What indexes, registers and navigation need of one letter; the tree stays the source of truth."""

    path: str
    id: str
    title: str
    date: LetterDate | None = None
    senders: tuple[Mention, ...] = ()
    recipients: tuple[Mention, ...] = ()
    place_sent: Mention | None = None
    place_received: Mention | None = None
    call_numbers: tuple[CallNumber, ...] = ()
    languages: tuple[tuple[str, str], ...] = ()  # (ident, label)
    main_language: str | None = None
    sources: tuple[str, ...] = ()  # bibliographic sources, as text
    mentions: tuple[Mention, ...] = ()  # every name in the text and header that points or could point

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.date.sort_key if self.date else "9999", self.id)


@dataclass(frozen=True)
class Collection:
    """An archival collection a repository holds (e.g. Houghton's MS Russ 13.1) and how it is cited."""

    id: str
    call_number: str  # the collection's call number, e.g. "MS Russ 13.1"
    title: str = ""
    date: str = ""
    variants: tuple[str, ...] = ()  # other written forms, e.g. "bMS Russ 13.1" (location prefix for large items)
    finding_aid: str = ""  # URL or template with {item} / {collection}


@dataclass(frozen=True)
class Entity:
    """A registry entry: a person, place, organisation or repository, with its names and authority ids."""

    id: str
    kind: str  # "person" | "place" | "org" | "repository"
    names: tuple[str, ...]
    idnos: tuple[tuple[str, str], ...] = ()  # (type, value), e.g. ("Wikidata", "Q33391")
    birth: str | None = None
    death: str | None = None
    note: str = ""
    path: str = ""
    line: int = 0
    extra: tuple[tuple[str, str], ...] = field(default=())  # kind-specific facts (e.g. finding-aid template)
    collections: tuple[Collection, ...] = ()  # repositories: the collections they hold
    local: bool = False  # an entry of a letter's own list (its back), not of the edition's registry files

    def fact(self, key: str) -> str | None:
        """A kind-specific fact from `extra` ("institution", "settlement", "callNumberPattern", "findingAid")."""
        for k, v in self.extra:
            if k == key:
                return v
        return None

    @property
    def label(self) -> str:
        return self.names[0] if self.names else self.id

    def idno(self, type_: str) -> str | None:
        for t, v in self.idnos:
            if t.lower() == type_.lower():
                return v
        return None


@dataclass(frozen=True)
class Edition:
    """Edition-level metadata read from `corpus/edition.xml`; every export takes it from here."""

    title: str
    subtitle: str = ""
    editors: tuple[str, ...] = ()
    publisher: str = ""
    date: str = ""
    licence: str = ""
    licence_url: str = ""
    language: str = "en"
    identifier: str = ""
    about_path: str = ""  # the file whose text/body is the about page
    url: str = ""  # publicationStmt/idno type="URL": the web edition's base URL (http or https), "" when none
    from_letters: bool = False  # no edition file: what the letters' headers agree on is taken (render.collect)
    about_html: str = ""  # the edition file's text/body as simple HTML for the about page (every text escaped)
