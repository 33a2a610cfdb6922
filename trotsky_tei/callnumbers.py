"""Recognise archive references ("(10708) Houghton Library", "bMS Russ 13.1 (10708)") and normalise them.

Every form is driven by the registry: a repository entry declares its names, its collections (with their
written variants, e.g. the location prefix "bMS"), the pattern its item numbers follow and a finding-aid link.
A text that does not fit a declared form gives None: nothing is ever guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import quote

from lxml import etree

from .i18n import ENGLISH, N_, Messages
from .model import CallNumber, Collection, Entity
from .reader import text_of
from .registry import Registry
from .xmlfile import NS, all_text, first_children, local_name

# item numbers when a repository declares no pattern: digits, optional letter, optional asterisk, optional range
GENERIC_ITEM = r"[0-9]+[a-z]?\*?(?:-[0-9]+[a-z]?\*?)?"
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_ITEM_END = r"(?![0-9A-Za-z*-])"


@dataclass(frozen=True)
class RepositoryForm:
    """How one repository's call numbers are written, from its registry entry."""

    id: str
    names: tuple[str, ...]
    institution: str | None = None
    settlement: str | None = None
    country: str | None = None
    pattern: str | None = None  # declared item pattern (None: not declared, GENERIC_ITEM is used to read)
    finding_aid: str | None = None
    collections: tuple[Collection, ...] = ()

    @classmethod
    def from_entity(cls, entity: Entity) -> RepositoryForm:
        return cls(
            id=entity.id,
            names=entity.names,
            institution=entity.fact("institution"),
            settlement=entity.fact("settlement"),
            country=entity.fact("country"),
            pattern=entity.fact("callNumberPattern"),
            finding_aid=entity.fact("findingAid"),
            collections=entity.collections,
        )

    @property
    def label(self) -> str:
        return self.names[0] if self.names else self.id


def repository_forms(registry: Registry) -> tuple[RepositoryForm, ...]:
    """The forms of every repository in the registry, in id order (the lookup of the registry's repositories is
    noted for the letter as any is; the forms are made once for the same entries)."""
    return _forms_of(tuple(registry.by_kind("repository")))


@lru_cache(maxsize=64)
def _forms_of(repositories: tuple[Entity, ...]) -> tuple[RepositoryForm, ...]:
    return tuple(sorted((RepositoryForm.from_entity(e) for e in repositories), key=lambda f: f.id))


def normalise_text(text: str) -> str:
    """Fold white space (incl. no-break spaces) and turn typographic dashes into '-'."""
    return " ".join(text.translate(_DASHES).split())


def _fold(text: str) -> str:
    return normalise_text(text).casefold()


def _phrase(text: str) -> str:
    """A regex for a literal phrase whose spaces may be any white space."""
    return r"\s+".join(re.escape(w) for w in text.split())


def _alternation(phrases: list[str]) -> str:
    return "|".join(_phrase(p) for p in sorted(set(phrases), key=lambda p: (-len(p), p)) if p.strip())


def _compile_item(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


@lru_cache(maxsize=256)
def _regexes(form: RepositoryForm) -> tuple[re.Pattern[str], ...]:
    """The prose forms of one repository, most specific first."""
    item_pattern = form.pattern if form.pattern and _compile_item(form.pattern) else GENERIC_ITEM
    item = rf"(?P<item>(?:{item_pattern})){_ITEM_END}"
    repo = rf"(?<!\w)(?i:{_alternation(list(form.names))})(?!\w)" if form.names else None
    colls = [c for coll in form.collections for c in (coll.call_number, *coll.variants)]
    coll = rf"(?<!\w)(?P<coll>{_alternation(colls)})" if colls else None
    out: list[str] = []
    if coll:
        # "[Houghton Library,] bMS Russ 13.1 (10708)"
        prefix = rf"(?:{repo}\s*[,:]?\s*)?" if repo else ""
        out.append(rf"{prefix}{coll}\s*[,:]?\s*\(\s*{item}\s*\)")
    if repo:
        # "(10708) Houghton Library"
        out.append(rf"\(\s*{item}\s*\)\s*,?\s*{repo}")
        # "Houghton 10708", "Houghton Library (10708)"
        out.append(rf"{repo}\s*[,:]?\s*(?P<paren>\(\s*)?{item}(?(paren)\s*\))")
    return tuple(re.compile(r) for r in out)


@dataclass(frozen=True)
class Found:
    """An archive reference found in a text: the normalised call number and its span in the normalised text."""

    call_number: CallNumber
    start: int
    end: int
    text: str


def split_item(idno: str) -> tuple[str, str | None, bool]:
    """'7710*-7740' -> ('7710', '7740', True); item numbers stay strings ('780a')."""
    first, sep, last = normalise_text(idno).replace(" ", "").partition("-")
    star = "*" in first or "*" in last
    return first.rstrip("*"), (last.rstrip("*") or None) if sep else None, star


def _collection(form: RepositoryForm, written: str | None) -> tuple[str | None, str | None]:
    """The canonical collection call number and the location prefix for a written collection."""
    if not written:
        return None, None
    key = _fold(written)
    for coll in form.collections:
        if key == _fold(coll.call_number):
            return coll.call_number, None
        for variant in coll.variants:
            if key == _fold(variant):
                v_head, _, v_rest = normalise_text(variant).partition(" ")
                c_head, _, c_rest = coll.call_number.partition(" ")
                location = v_head if v_rest == c_rest and v_head != c_head else None
                return coll.call_number, location
    return normalise_text(written), None


def make_call_number(
    form: RepositoryForm, item: str, collection: str | None = None, *, url: str | None = None, cert: str | None = None,
    certainty: tuple[tuple[str, str], ...] = (),
) -> CallNumber:
    """A structured call number for `item` (as written) at `form`'s repository, linked to its finding aid (else to
    `url`), with the encoder's `cert` and `certainty`."""
    idno = normalise_text(item).replace(" ", "")
    first, last, star = split_item(idno)
    canonical, location = _collection(form, collection)
    return CallNumber(
        repository=form.label,
        idno=idno,
        collection=canonical,
        institution=form.institution,
        settlement=form.settlement,
        country=form.country,
        url=_finding_aid(form, canonical, first or idno) or url,
        cert=cert,
        repository_id=form.id,
        item=first,
        item_end=last,
        asterisk=star,
        location=location,
        certainty=certainty,
    )


def find_references(text: str, forms: tuple[RepositoryForm, ...]) -> list[Found]:
    """Every archive reference in a prose text, left to right, never overlapping."""
    norm = normalise_text(text)
    hits: list[tuple[int, int, RepositoryForm, re.Match[str]]] = []
    for form in forms:
        for rx in _regexes(form):
            for m in rx.finditer(norm):
                hits.append((m.start(), -(m.end() - m.start()), form, m))
    hits.sort(key=lambda h: (h[0], h[1], h[2].id))
    out: list[Found] = []
    pos = 0
    for start, _neg, form, m in hits:
        if start < pos:
            continue
        groups = m.groupdict()
        if _is_collection_date(form, groups.get("coll"), groups["item"]):
            continue  # "MS Russ 13.1 (1929–1940)" gives the collection's dates, not an item range
        out.append(Found(make_call_number(form, groups["item"], groups.get("coll")), start, m.end(), m.group(0)))
        pos = m.end()
    return out


def _is_collection_date(form: RepositoryForm, written: str | None, item: str) -> bool:
    if not written:
        return False
    canonical, _ = _collection(form, written)
    coll = next((c for c in form.collections if c.call_number == canonical), None)
    return coll is not None and bool(coll.date) and _squash(coll.date) == _squash(item)


def _squash(text: str) -> str:
    return normalise_text(text).replace(" ", "")


def parse_reference(text: str, forms: tuple[RepositoryForm, ...]) -> CallNumber | None:
    """The call number when `text` is one archive reference (surrounding brackets and punctuation aside), else None."""
    norm = normalise_text(text)
    found = find_references(norm, forms)
    if len(found) != 1:
        return None
    f = found[0]
    rest = norm[: f.start] + norm[f.end :]
    return f.call_number if not rest.strip(" ()[].,;:") else None


def fits_form(idno: str, form: RepositoryForm) -> bool:
    """Whether an item number fits the repository's declared pattern (True when none is declared)."""
    if not form.pattern:
        return True
    rx = _compile_item(form.pattern)
    return rx is None or rx.fullmatch(normalise_text(idno).replace(" ", "")) is not None


def known_collection(collection: str, form: RepositoryForm) -> bool:
    """Whether a written collection is one the repository declares (True when it declares none)."""
    if not form.collections:
        return True
    key = _fold(collection)
    return any(key == _fold(c) for coll in form.collections for c in (coll.call_number, *coll.variants))


def form_for(registry: Registry, forms: tuple[RepositoryForm, ...], name: str, ref: str | None) -> RepositoryForm | None:
    """The repository an msIdentifier names: by its `@ref` in the registry, else by an exact name."""
    if ref:
        entity = registry.resolve(ref.split()[0])
        if entity is not None:
            return next((f for f in forms if f.id == entity.id), None)
    key = _fold(name)
    if not key:
        return None
    return next((f for f in forms if any(_fold(n) == key for n in f.names)), None)


def from_ms_identifier(ms: etree._Element, registry: Registry, forms: tuple[RepositoryForm, ...]) -> CallNumber | None:
    """The structured call number of an `msIdentifier`; enriched from the registry where its repository is known."""
    parts = first_children(ms)
    repo_el, coll_el, idno_el = parts.get("repository"), parts.get("collection"), parts.get("idno")
    if idno_el is None:
        return None
    idno = text_of(idno_el)
    coll = text_of(coll_el) or None
    explicit_url = idno_el.get("source") or ms.get("source")  # a link the encoder gave wins over none
    certainty = _certainty(repo_el, coll_el, idno_el)
    form = form_for(registry, forms, text_of(repo_el), repo_el.get("ref") if repo_el is not None else None)
    if form is None:
        return CallNumber(
            repository=text_of(repo_el),
            idno=idno,
            collection=coll,
            institution=text_of(parts.get("institution")) or None,
            settlement=text_of(parts.get("settlement")) or None,
            country=text_of(parts.get("country")) or None,
            cert=idno_el.get("cert"),
            url=explicit_url,
            certainty=certainty,
        )
    if coll is None:  # the whole reference may stand in idno: "bMS Russ 13.1 (10708)"
        whole = parse_reference(idno, (form,))
        if whole is not None:
            return replace(whole, cert=idno_el.get("cert"), url=whole.url or explicit_url, certainty=certainty)
    return make_call_number(form, idno, coll, url=explicit_url, cert=idno_el.get("cert"), certainty=certainty)


CERTAIN_PARTS = {"repository": N_("repository"), "collection": N_("collection"), "idno": N_("item number")}
CERTAINTIES = (N_("low"), N_("medium"), N_("high"), N_("unknown"))  # @cert values, as the notes say them


def _certainty(*elements: etree._Element | None) -> tuple[tuple[str, str], ...]:
    """(part, @cert) of each `repository`, `collection`, `idno` of an msIdentifier that carries a `@cert`."""
    out = []
    for el in elements:
        cert = " ".join((el.get("cert") or "").split()) if el is not None else ""
        if el is not None and cert:
            out.append((local_name(el), cert))
    return tuple(out)


def with_certainty(call_numbers: tuple[CallNumber, ...], tree: etree._ElementTree) -> tuple[CallNumber, ...]:
    """The call numbers, each with the `certainty` of its `msIdentifier` in `tree` where it does not carry it yet.

    A letter read without the registry has call numbers that only repeat the header's text; this finds each one's
    `msIdentifier` (by item number and collection as written) so an inferred part is still said to be inferred.
    """
    def key(text: str | None) -> str:
        return _squash(text or "").casefold()

    if not call_numbers:
        return ()
    marked = []
    for ms in tree.getroot().iter(f"{{{NS['tei']}}}msIdentifier"):
        parts = first_children(ms)
        idno_el, coll_el = parts.get("idno"), parts.get("collection")
        certainty = _certainty(parts.get("repository"), coll_el, idno_el)
        if certainty:
            marked.append((key(text_of(idno_el)), key(text_of(coll_el)), certainty))
    out = []
    for cn in call_numbers:
        if not cn.certainty:
            found = next((c for i, coll, c in marked if i == key(cn.idno) and coll in ("", key(cn.collection))), ())
            cn = replace(cn, certainty=found) if found else cn
        out.append(cn)
    return tuple(out)


def certainty_note(cn: CallNumber, t: Messages = ENGLISH) -> str | None:
    """What a reader must know of an inferred call number: "collection inferred, certainty: medium"; None if nothing.

    From the parts the encoder marked with `@cert` (a repository, collection or item number the sources do not give
    but the editors infer); parts of the same certainty are named together. `t`: the language of the words.
    """
    by_cert: dict[str, list[str]] = {}
    for part, cert in cn.certainty:
        by_cert.setdefault(cert, []).append(CERTAIN_PARTS.get(part, part))
    if not by_cert:
        return t("%(parts)s inferred, certainty: %(cert)s", parts=t("item number"), cert=t(cn.cert)) if cn.cert else None
    return "; ".join(t("%(parts)s inferred, certainty: %(cert)s", parts=t(" and ").join(t(p) for p in parts), cert=t(cert))
                     for cert, parts in by_cert.items())


def structured_call_numbers(tree: etree._ElementTree, registry: Registry) -> list[tuple[CallNumber, etree._Element]]:
    """Every `msIdentifier` of a letter with an `idno`, as call numbers, with the element."""
    forms = repository_forms(registry)
    out: list[tuple[CallNumber, etree._Element]] = []
    for ms in tree.getroot().iter(f"{{{NS['tei']}}}msIdentifier"):
        cn = from_ms_identifier(ms, registry, forms)
        if cn is not None:
            out.append((cn, ms))
    return out


def prose_references(tree: etree._ElementTree, registry: Registry) -> list[tuple[CallNumber, etree._Element]]:
    """Archive references written in a `note` or `bibl` (outside `msIdentifier`), once each, in document order."""
    forms = repository_forms(registry)
    if not forms:
        return []
    seen: set[tuple[str | None, str, str | None]] = set()
    out: list[tuple[CallNumber, etree._Element]] = []
    for el in tree.getroot().iter(f"{{{NS['tei']}}}note", f"{{{NS['tei']}}}bibl"):
        if any(local_name(a) == "msIdentifier" for a in el.iterancestors()):
            continue
        for found in find_references(all_text(el), forms):
            cn = found.call_number
            key = (cn.repository_id, cn.idno, cn.collection)
            if key not in seen:
                seen.add(key)
                out.append((cn, el))
    return out


def same_item(a: CallNumber, b: CallNumber) -> bool:
    """Two call numbers name the same item of the same repository (the collection may be left out in one)."""
    if a.repository_id != b.repository_id or a.idno != b.idno:
        return False
    return a.collection is None or b.collection is None or a.collection == b.collection


def finding_aid_url(cn: CallNumber, forms: tuple[RepositoryForm, ...]) -> str | None:
    """The finding-aid link for a call number: its collection's template, else the repository's.

    A repository with a single collection lends that collection's link to references that omit the
    collection. Templates may hold `{item}` and `{collection}`. Only http(s) links are returned.
    """
    form = next((f for f in forms if f.id == cn.repository_id), None)
    if form is None:
        return None
    return _finding_aid(form, cn.collection, cn.item or cn.idno)


def _finding_aid(form: RepositoryForm, collection: str | None, item: str) -> str | None:
    """`finding_aid_url` of a call number at `form`'s repository, in `collection` (canonical), of `item`."""
    template = None
    coll = next((c for c in form.collections if c.call_number == collection), None)
    if coll is not None and coll.finding_aid:
        template = coll.finding_aid
    elif form.finding_aid:
        template = form.finding_aid
    elif collection is None and len(form.collections) == 1 and form.collections[0].finding_aid:
        template = form.collections[0].finding_aid
    if not template or not template.startswith(("https://", "http://")):
        return None
    return template.replace("{item}", quote(item, safe="")).replace("{collection}", quote(collection or "", safe=""))


def written_collection(cn: CallNumber) -> str | None:
    """The collection as cited, with its location prefix ("bMS Russ 13.1")."""
    if cn.collection is None:
        return None
    if cn.location:
        rest = cn.collection.partition(" ")[2]
        return f"{cn.location} {rest}" if rest else cn.location
    return cn.collection
