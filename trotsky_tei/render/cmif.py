"""CMIF 1.1 (Correspondence Metadata Interchange Format, correspSearch): one `correspDesc` per letter."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from ..errors import Diagnostic, Severity
from ..model import Edition, Entity, Letter
from ..reader import text_of
from ..registry import Registry
from ..rules.dates import check_w3c
from ..xmlfile import NS, TEI_NS, XML_ID, atomic_write, attributes, line_of, local_name

if TYPE_CHECKING:
    from ..letter_pass import PassResult
    from ..parallel import Executor

# uuid5(NAMESPACE_URL, "urn:trotsky-tei:cmif:letter"); a letter's source bibl id is uuid5(SOURCE_NAMESPACE, letter id)
SOURCE_NAMESPACE = uuid.UUID("dd262e03-0802-56a6-87ff-4ca5e9c7223f")
EXAMPLE_LICENCE = "https://creativecommons.org/licenses/by/4.0/"  # named in messages only: never written unasked
# authority id type -> URI form correspSearch reads, in order of preference
AUTHORITY_URIS = (
    ("gnd", "http://d-nb.info/gnd/{}"),
    ("viaf", "http://viaf.org/viaf/{}"),
    ("wikidata", "http://www.wikidata.org/entity/{}"),
    ("isni", "http://isni.org/isni/{}"),
)
PLACE_URIS = (("geonames", "http://www.geonames.org/{}"), ("wikidata", "http://www.wikidata.org/entity/{}"))
# authority URLs as editors write them -> (type, id)
_URL_FORMS = (
    (re.compile(r"https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/(Q[0-9]+)"), "wikidata"),
    (re.compile(r"https?://d-nb\.info/gnd/([0-9X-]+)"), "gnd"),
    (re.compile(r"https?://(?:www\.)?viaf\.org/viaf/([0-9]+)"), "viaf"),
    (re.compile(r"https?://(?:www\.|sws\.)?geonames\.org/([0-9]+)"), "geonames"),
)
DATE_ATTRS = ("when", "notBefore", "notAfter", "from", "to")
# a Creative Commons licence or public-domain tool URL: (type, version); a port ("3.0/de/") or a deed page may follow
CC_URL = re.compile(
    r"https?://(?:www\.)?creativecommons\.org/(?:licenses|publicdomain)/"
    r"(by|by-sa|by-nd|by-nc|by-nc-sa|by-nc-nd|zero|mark)/([0-9]+\.[0-9]+)(?:/[A-Za-z0-9._-]*)*"
)
CC_NAMES = {
    "by": "CC BY", "by-sa": "CC BY-SA", "by-nd": "CC BY-ND", "by-nc": "CC BY-NC", "by-nc-sa": "CC BY-NC-SA",
    "by-nc-nd": "CC BY-NC-ND", "zero": "CC0", "mark": "Public Domain Mark",
}


def source_id(letter_id: str) -> str:
    """A stable UUID for a letter's source `bibl`; the first one that starts with a letter, since an xml:id must."""
    n = 0
    while True:
        value = str(uuid.uuid5(SOURCE_NAMESPACE, letter_id if n == 0 else f"{letter_id}#{n}"))
        if value[0].isalpha():
            return value
        n += 1


@dataclass(frozen=True)
class CmifOptions:
    """What the CMIF header needs beyond the edition metadata."""

    base_url: str | None = None  # the web edition's base URL; letter pages are <base>letters/<slug>.html
    file_url: str | None = None  # where the CMIF file will be published (idno type="url")
    date: str | None = None  # the file's date (default: the edition's, else SOURCE_DATE_EPOCH, else today)
    licence: str | None = None  # a Creative Commons licence URL (default: the edition's, if it is one)


def authority_uri(pointer: str | None, entity: Entity | None, forms: tuple[tuple[str, str], ...]) -> str | None:
    """The preferred authority URI of a registry entry, or of a pointer that is itself an authority URL."""
    ids: dict[str, str] = {}
    if entity is not None:
        for type_, value in entity.idnos:
            if value.strip() and re.fullmatch(r"[A-Za-z0-9-]+", value.strip()):
                ids.setdefault(type_.lower(), value.strip())
    for token in (pointer or "").split():
        for rx, type_ in _URL_FORMS:
            m = rx.fullmatch(token)
            if m:
                ids.setdefault(type_, m.group(1))
    for type_, template in forms:
        if type_ in ids:
            return template.format(ids[type_])
    return None


def refused(diags: list[Diagnostic]) -> bool:
    """Whether the diagnostics of a CMIF export say no file could be written (TT721: no Creative Commons licence)."""
    return any(d.code == "TT721" and d.severity is Severity.ERROR for d in diags)


def cc_licence(url: str) -> str | None:
    """The name of a Creative Commons licence URL ("CC BY 4.0"), None when `url` is not one."""
    m = CC_URL.fullmatch(url.strip())
    return f"{CC_NAMES[m.group(1)]} {m.group(2)}" if m else None


def _licence(edition: Edition, options: CmifOptions) -> tuple[str, str] | str:
    """(target, statement) of the CMIF licence, or why there is none: CMIF requires a Creative Commons licence.

    `--licence` wins; else the edition's own licence if it is a CC URL. Nothing is ever assumed in their place.
    """
    if options.licence is not None:
        url, where = options.licence.strip(), "--licence"
    else:
        url, where = edition.licence_url.strip(), "the edition's licence"
    name = cc_licence(url)
    if name is not None:
        return url, f"This file is licensed under the terms of the Creative Commons licence {name}."
    how = f"give the CMIF file's licence with --licence URL (e.g. {EXAMPLE_LICENCE})"
    if options.licence is not None:
        return f"--licence {url!r} is not a Creative Commons licence URL, which CMIF requires; {how}"
    if url:
        return (f"{where} ({url}) is not a Creative Commons licence URL, which CMIF requires; it is not replaced "
                f"silently: {how}, or state a CC licence in edition.xml")
    said = " ".join(edition.licence.split())
    stated = f" (its licence text: '{said[:60]}{'…' * (len(said) > 60)}')" if said else ""
    return (f"the edition states no licence URL{stated} and CMIF requires a Creative Commons licence; none is assumed: "
            f"{how}, or add publicationStmt/availability/licence/@target to edition.xml")


def _file_date(edition: Edition, options: CmifOptions) -> str:
    if options.date:
        return options.date
    if edition.date and check_w3c(edition.date) is None:
        return edition.date
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date().isoformat()
    return datetime.now(tz=timezone.utc).date().isoformat()


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{TEI_NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text:
        el.text = text
    return el


def _slug(letter_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", letter_id).strip("-.") or "letter"


def _bibl_type(source_types: tuple[str, ...], online: bool) -> str:
    if online:
        return "online"
    types = set(source_types)
    if {"print", "online"} <= types:
        return "hybrid"
    return "print" if "print" in types else "online"


def _date(out: etree._Element, child: etree._Element, path: str, diags: list[Diagnostic]) -> None:
    """A CMIF `date` with the valid W3C attributes of `child`; each invalid one is left out with a TT723 warning.

    CMIF requires one dating attribute on every `date`: with none left, the element is left out.
    """
    attrs: dict[str, str | None] = {}
    for a in DATE_ATTRS:
        value = child.get(a)
        if value is None:
            continue
        problem = check_w3c(value)
        if problem is None:
            attrs[a] = value
            continue
        what = "left out" if any(child.get(b) is not None and check_w3c(child.get(b, "")) is None for b in DATE_ATTRS) \
            else "left out; no valid dating attribute is left, so the date is left out too (CMIF requires one)"
        diags.append(Diagnostic(path, line_of(child), 0, Severity.WARNING, "TT723", "cmif-invalid-date",
                                f"@{a}='{value}' is not a valid W3C date ({problem}): {what}"))
    if attrs:
        _el(out, "date", None, **attrs, cert="low" if child.get("cert") == "low" else None,
            evidence="conjecture" if child.get("evidence") == "conjecture" else None)


def _action(
    parent: etree._Element, action: etree._Element, kind: str, registry: Registry, path: str, diags: list[Diagnostic]
) -> bool:
    """Write one CMIF `correspAction` from a letter's; False (and nothing written) when it has nothing CMIF can hold."""
    out = etree.Element(f"{{{TEI_NS}}}correspAction", type=kind)
    for child in action:
        name = local_name(child)
        label = text_of(child)
        if name in ("persName", "orgName", "name") and label:
            tag = "orgName" if name == "orgName" or child.get("type") in ("org", "organisation", "organization") else "persName"
            pointer = child.get("ref")
            entity = registry.resolve(pointer.split()[0]) if pointer and pointer.split() else None
            ref = authority_uri(pointer, entity, AUTHORITY_URIS)
            _el(out, tag, label, ref=ref, cert="low" if child.get("cert") == "low" else None,
                evidence="conjecture" if child.get("evidence") == "conjecture" else None)
        elif name in ("placeName", "settlement") and label:
            pointer = child.get("ref")
            entity = registry.resolve(pointer.split()[0]) if pointer and pointer.split() else None
            _el(out, "placeName", label, ref=authority_uri(pointer, entity, PLACE_URIS),
                cert="low" if child.get("cert") == "low" else None)
        elif name == "date":
            _date(out, child, path, diags)
    if len(out) == 0:
        return False
    parent.append(out)
    return True


Element = tuple[str, str, tuple[tuple[str, str], ...]]  # (TEI local name, text, attributes)


@dataclass(frozen=True)
class CmifRecord:
    """What the CMIF file holds of one letter, made in the letter's task: its actions as plain data."""

    letter_id: str
    title: str
    path: str
    actions: tuple[tuple[str, tuple[Element, ...]], ...]  # (sent | received, its elements)
    source_types: tuple[str, ...] = ()  # the @type of each sourceDesc bibl (print, online)
    sort_key: tuple[str, str] = ("", "")  # the letter's date order


def letter_record(
    tree: etree._ElementTree, letter: Letter, registry: Registry, base_url: str | None = None
) -> tuple[CmifRecord | None, list[Diagnostic]]:
    """The CMIF record of one letter, and its warnings; None when it has no sent or no received action CMIF can hold."""
    diags: list[Diagnostic] = []
    cd = tree.getroot().find("tei:teiHeader/tei:profileDesc/tei:correspDesc", NS)
    actions = {a.get("type"): a for a in (cd.iterfind("tei:correspAction", NS) if cd is not None else ())}
    written: list[tuple[str, tuple[Element, ...]]] = []
    for kind in ("sent", "received"):
        if kind not in actions:
            continue
        holder = etree.Element("holder")
        if _action(holder, actions[kind], kind, registry, letter.path, diags):
            out = holder[0]
            written.append((kind, tuple((local_name(c), c.text or "", tuple(attributes(c))) for c in out)))
    if [k for k, _ in written] != ["sent", "received"]:
        missing = " and ".join(k for k in ("sent", "received") if k not in {k for k, _ in written})
        diags.append(Diagnostic(letter.path, line_of(cd) if cd is not None else 0, 0, Severity.WARNING,
                                "TT720", "cmif-incomplete-letter",
                                f"no usable {missing} action (a name, place or W3C date); the letter is left out of the CMIF file"))
        return None, diags
    types = tuple(b.get("type") or "" for b in tree.getroot().iterfind("tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:bibl", NS))
    return CmifRecord(letter.id, letter.title, letter.path, tuple(written), types, letter.sort_key), diags


def file_diagnostics(edition: Edition, options: CmifOptions, out_name: str = "cmif.xml") -> list[Diagnostic]:
    """What the CMIF file's header cannot say as it should: no editor (TT722), no Creative Commons licence (TT721)."""
    diags: list[Diagnostic] = []
    if not edition.editors:
        shown = edition.publisher or edition.title
        diags.append(Diagnostic(edition.about_path or out_name, 0, 0, Severity.WARNING, "TT722", "cmif-no-editor",
                                f"the edition names no editor; CMIF requires one, '{shown}' is used"))
    licence = _licence(edition, options)
    if isinstance(licence, str):
        where = (edition.about_path or out_name) if options.licence is None else out_name
        diags.append(Diagnostic(where, 0, 0, Severity.ERROR, "TT721", "cmif-licence", licence))
    return diags


def build_cmif(
    records: Iterable[CmifRecord], edition: Edition, options: CmifOptions, out_name: str = "cmif.xml"
) -> tuple[etree._ElementTree, list[Diagnostic]]:
    """The CMIF document for the letters' records (in date order), and warnings for what it had to leave out.

    Without a Creative Commons licence (`options.licence`, else the edition's) the diagnostics hold the error TT721
    and the tree lacks its `availability`: it is not a CMIF file and must not be written.
    """
    root, sd, profile = _frame(edition, options, out_name)
    base = _base(options)
    for record, sid in _sourced(records):
        _bibl(sd, record, sid, edition, base)
        _desc(profile, record, sid, base)
    _finish(root, sd, profile, edition, base)
    return etree.ElementTree(root), sorted(set(file_diagnostics(edition, options, out_name)))


def cmif_pieces(records: Iterable[CmifRecord], edition: Edition, options: CmifOptions, out_name: str = "cmif.xml") -> Iterator[str]:
    """The text of `serialise(build_cmif(records, ...)[0])`, in pieces: the frame with one bibl and one correspDesc
    standing for all of them, each letter's elements made, indented and serialised one at a time in their places.

    The CMIF file of a large edition is megabytes of XML, and its whole tree several times that: the build's peak
    memory was this file's tree. The bytes are the same (tests/test_cmif.py compares them). `records` is gone
    through three times (the sources' ids, the bibls, the correspDescs), holding one record at a time: a list, or a
    view that decodes each record as it is reached (`letter_pass.ValuesOf`); an iterator is made a list first.
    """
    if iter(records) is records:  # an iterator: it could be gone through once only
        records = list(records)
    if next(iter(records), None) is None:  # the frame alone: a placeholder bibl, no profileDesc
        yield serialise(build_cmif([], edition, options, out_name)[0]).decode("utf-8")
        return
    root, sd, profile = _frame(edition, options, out_name)
    base = _base(options)
    holes = (etree.SubElement(sd, f"{{{TEI_NS}}}bibl"), etree.SubElement(profile, f"{{{TEI_NS}}}correspDesc"))
    _finish(root, sd, profile, edition, base)
    frame = serialise(etree.ElementTree(root)).decode("utf-8")
    sids = [sid for _record, sid in _sourced(records)]

    def bibl(record: CmifRecord, sid: str) -> etree._Element:
        return _bibl(sd, record, sid, edition, base)

    def desc(record: CmifRecord, sid: str) -> etree._Element:
        return _desc(profile, record, sid, base)

    for hole, make in zip(holes, (bibl, desc), strict=True):
        shown = etree.tostring(hole, encoding="unicode", with_tail=False).replace(_XMLNS, "", 1)
        before, frame = frame.split(shown, 1)
        yield before
        parent, level = hole.getparent(), sum(1 for _ in hole.iterancestors())
        assert parent is not None
        between = "\n" + "  " * level  # what etree.indent puts between siblings at this depth
        for i, (record, sid) in enumerate(zip(records, sids, strict=True)):
            el = make(record, sid)
            etree.indent(el, space="  ", level=level)
            yield (between if i else "") + etree.tostring(el, encoding="unicode", with_tail=False).replace(_XMLNS, "", 1)
            parent.remove(el)  # one letter's elements at a time
    yield frame


_XMLNS = f' xmlns="{TEI_NS}"'  # what lxml declares on an element of the frame serialised alone


def _base(options: CmifOptions) -> str | None:
    return options.base_url.rstrip("/") + "/" if options.base_url else None


def _frame(edition: Edition, options: CmifOptions, out_name: str) -> tuple[etree._Element, etree._Element, etree._Element]:
    """The CMIF document without its letters: (root, sourceDesc, profileDesc)."""
    base = _base(options)
    # lxml-stubs types nsmap keys as str; None is how lxml names the default namespace
    root = etree.Element(f"{{{TEI_NS}}}TEI", nsmap={None: TEI_NS})  # type: ignore[dict-item]
    header = _el(root, "teiHeader")
    fd = _el(header, "fileDesc")
    ts = _el(fd, "titleStmt")
    _el(ts, "title", f"{edition.title}: correspondence metadata (CMIF)")
    editors = [e for e in edition.editors if e] or [edition.publisher or edition.title]
    for name in editors:
        _el(ts, "editor", name)
    ps = _el(fd, "publicationStmt")
    pub = _el(ps, "publisher")
    if base:
        _el(pub, "ref", edition.publisher or edition.title, target=base)
    else:
        pub.text = edition.publisher or edition.title
    _el(ps, "idno", options.file_url or (f"{base}{out_name}" if base else out_name), type="url")
    _el(ps, "date", when=_file_date(edition, options))
    licence = _licence(edition, options)
    if not isinstance(licence, str):  # without one (TT721) the tree is still built, but it must not be written
        _el(_el(ps, "availability"), "licence", licence[1], target=licence[0])
    sd = _el(fd, "sourceDesc")
    profile = _el(header, "profileDesc")
    return root, sd, profile


def _sourced(records: Iterable[CmifRecord]) -> Iterator[tuple[CmifRecord, str]]:
    """Each record with its source bibl's id."""
    used: set[str] = set()
    for record in records:
        sid = source_id(record.letter_id)
        if sid in used:  # two files share an xml:id: the later one (in date and path order) is told apart by its path
            sid = source_id(f"{record.letter_id}@{Path(record.path).as_posix()}")
        used.add(sid)
        yield record, sid


def _page(record: CmifRecord, base: str | None) -> str | None:
    return f"{base}letters/{_slug(record.letter_id)}.html" if base else None


def _desc(profile: etree._Element, record: CmifRecord, sid: str, base: str | None) -> etree._Element:
    """The letter's correspDesc, in `profile`."""
    desc = etree.SubElement(profile, f"{{{TEI_NS}}}correspDesc")
    page = _page(record, base)
    if page:
        desc.set("ref", page)
    desc.set("source", f"#{sid}")
    for kind, elements in record.actions:
        action = _el(desc, "correspAction", type=kind)
        for tag, text, attrs in elements:
            _el(action, tag, text or None, **dict(attrs))
    return desc


def _bibl(sd: etree._Element, record: CmifRecord, sid: str, edition: Edition, base: str | None) -> etree._Element:
    """The letter's source bibl, in `sd`."""
    bibl = _el(sd, "bibl", f"{record.title}. In: {edition.title}", type=_bibl_type(record.source_types, base is not None))
    bibl.set(XML_ID, sid)
    page = _page(record, base)
    if page:
        bibl.text = (bibl.text or "") + ", "
        _el(bibl, "ref", page, target=page)
    return bibl


def _finish(root: etree._Element, sd: etree._Element, profile: etree._Element, edition: Edition, base: str | None) -> None:
    """What the letters leave to do: a bibl where there is none, no empty profileDesc, the body, the indent."""
    if len(sd) == 0:  # CMIF requires one bibl; an empty file still says where its letters would come from
        bibl = _el(sd, "bibl", edition.title, type="online" if base else "print")
        bibl.set(XML_ID, source_id(edition.identifier or edition.title))
    if len(profile) == 0:
        header = profile.getparent()
        assert header is not None
        header.remove(profile)
    _el(_el(_el(root, "text"), "body"), "p")
    etree.indent(root, space="  ")


def serialise(tree: etree._ElementTree) -> bytes:
    """The CMIF file's bytes: UTF-8, XML declaration, two-space indent, trailing newline."""
    body: bytes = etree.tostring(tree, encoding="UTF-8", pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def export_cmif(
    paths: list[str] | tuple[str, ...],
    out: str | os.PathLike[str],
    *,
    registry_dir: str | None = None,
    options: CmifOptions | None = None,
    executor: Executor | None = None,
) -> list[Diagnostic]:
    """Write the CMIF file for the letters under `paths` (registry and edition from their corpus root) to `out`.

    Nothing is written when there is no Creative Commons licence to state (error TT721 in the diagnostics).
    """
    from ..letter_pass import CorpusPass, PassOptions

    opts = options or CmifOptions()
    probe = CorpusPass(list(paths), PassOptions(consumers=("cmif",)), registry_dir=registry_dir, executor=executor)
    result = probe.run()
    if opts.base_url is None:
        opts = replace(opts, base_url=result.run.edition.url or None)
    diags = [*result.lead, *result.extra]
    for outcome in result.outcomes:
        diags.extend(outcome.meta.read)
        diags.extend(outcome.meta.diagnostics_of("cmif"))
        diags.extend(result.corpus.get(outcome.path, ()))
    return write_cmif(records_in_order(result), result.run.edition, opts, out, diags)


def records_in_order(result: PassResult) -> Iterable[CmifRecord]:
    """The CMIF records of a pass in date order (then path): a view that decodes each as it is reached (the pass keeps
    them as JSON text), gone through as often as wanted."""
    from ..letter_pass import ValuesOf

    keyed = []
    for n, outcome in enumerate(result.outcomes):
        record = outcome.meta.value("cmif")
        if record is not None:
            keyed.append(((record.sort_key, record.path), n))
    keyed.sort()
    return ValuesOf([result.outcomes[n] for _key, n in keyed], "cmif")


def write_cmif(
    records: Iterable[CmifRecord], edition: Edition, options: CmifOptions, out: str | os.PathLike[str],
    diags: Iterable[Diagnostic] = (),
) -> list[Diagnostic]:
    """Write the CMIF file (unless refused: TT721) in pieces, one letter's elements at a time (`cmif_pieces`);
    returns every diagnostic, sorted."""
    name = Path(out).name
    more = sorted(set(file_diagnostics(edition, options, name)))  # what `build_cmif` says of the file
    if not refused(more):
        atomic_write(out, (piece.encode("utf-8") for piece in cmif_pieces(records, edition, options, name)), durable=False)
    return sorted({*diags, *more})
