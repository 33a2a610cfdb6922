"""CMIF 1.1 (Correspondence Metadata Interchange Format, correspSearch): one `correspDesc` per letter."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from ..errors import Diagnostic, Severity
from ..model import Edition, Entity, Letter
from ..reader import (
    EDITION_FILE,
    discover,
    find_corpus_root,
    read,
    read_edition,
    text_of,
)
from ..registry import Registry, load_registry
from ..xmlfile import NS, TEI_NS, XML_ID, atomic_write, line_of, local_name, parse_file

# uuid5(NAMESPACE_URL, "urn:trotsky-tei:cmif:letter"); a letter's source bibl id is uuid5(SOURCE_NAMESPACE, letter id)
SOURCE_NAMESPACE = uuid.UUID("dd262e03-0802-56a6-87ff-4ca5e9c7223f")
DEFAULT_LICENCE = "https://creativecommons.org/licenses/by/4.0/"
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
W3C_DATE = re.compile(r"-?[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?|--[0-9]{2}(-[0-9]{2})?|---[0-9]{2}")
DATE_ATTRS = ("when", "notBefore", "notAfter", "from", "to")
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


def _licence(edition: Edition) -> tuple[str, str, bool]:
    """(target, statement, is the edition's own) of the CMIF licence; CMIF requires a Creative Commons licence."""
    url = edition.licence_url.strip()
    own = "creativecommons.org/" in url
    target = url if own else DEFAULT_LICENCE
    m = re.search(r"creativecommons\.org/(?:licenses|publicdomain)/([a-z-]+)/([0-9.]+)", target)
    name = f"{CC_NAMES.get(m.group(1), m.group(1))} {m.group(2)}" if m else target
    return target, f"This file is licensed under the terms of the Creative Commons licence {name}.", own


def _file_date(edition: Edition, options: CmifOptions) -> str:
    if options.date:
        return options.date
    if edition.date and W3C_DATE.fullmatch(edition.date):
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


def _edition_url(corpus_root: Path | None) -> str | None:
    """`publicationStmt/idno type="URL"` of edition.xml: the web edition's base URL."""
    if corpus_root is None:
        return None
    parsed = parse_file(corpus_root / EDITION_FILE)
    if parsed.tree is None:
        return None
    el = parsed.tree.getroot().find("tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno[@type='URL']", NS)
    url = text_of(el)
    return url if url.startswith(("https://", "http://")) else None


def _slug(letter_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", letter_id).strip("-.") or "letter"


def _bibl_type(tree: etree._ElementTree, online: bool) -> str:
    if online:
        return "online"
    types = {b.get("type") for b in tree.getroot().iterfind("tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:bibl", NS)}
    if {"print", "online"} <= types:
        return "hybrid"
    return "print" if "print" in types else "online"


def _action(
    parent: etree._Element, action: etree._Element, kind: str, registry: Registry
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
            attrs = {a: child.get(a) for a in DATE_ATTRS if child.get(a) and W3C_DATE.fullmatch(child.get(a, ""))}
            if attrs:
                _el(out, "date", None, **attrs, cert="low" if child.get("cert") == "low" else None,
                    evidence="conjecture" if child.get("evidence") == "conjecture" else None)
    if len(out) == 0:
        return False
    parent.append(out)
    return True


def build_cmif(
    paths: list[str] | tuple[str, ...], registry: Registry, edition: Edition, options: CmifOptions, out_name: str = "cmif.xml"
) -> tuple[etree._ElementTree, list[Diagnostic]]:
    """The CMIF document for the letters under `paths`, and warnings for what it had to leave out."""
    files, diags = discover(paths)
    letters: list[tuple[Letter, etree._ElementTree]] = []
    for path in files:
        lf = read(path)
        diags.extend(lf.parsed.diagnostics)
        if lf.letter is not None and lf.parsed.tree is not None:
            letters.append((lf.letter, lf.parsed.tree))
    letters.sort(key=lambda lt: (lt[0].sort_key, lt[0].path))
    base = options.base_url.rstrip("/") + "/" if options.base_url else None

    # lxml-stubs types nsmap keys as str; None is how lxml names the default namespace
    root = etree.Element(f"{{{TEI_NS}}}TEI", nsmap={None: TEI_NS})  # type: ignore[dict-item]
    header = _el(root, "teiHeader")
    fd = _el(header, "fileDesc")
    ts = _el(fd, "titleStmt")
    _el(ts, "title", f"{edition.title}: correspondence metadata (CMIF)")
    editors = [e for e in edition.editors if e] or [edition.publisher or edition.title]
    if not edition.editors:
        diags.append(Diagnostic(edition.about_path or out_name, 0, 0, Severity.WARNING, "TT722", "cmif-no-editor",
                                f"the edition names no editor; CMIF requires one, '{editors[0]}' is used"))
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
    target, statement, own = _licence(edition)
    if not own:
        diags.append(Diagnostic(edition.about_path or out_name, 0, 0, Severity.WARNING, "TT721", "cmif-licence",
                                f"the edition has no Creative Commons licence; CMIF requires one, {target} is used"))
    _el(_el(ps, "availability"), "licence", statement, target=target)
    sd = _el(fd, "sourceDesc")
    profile = _el(header, "profileDesc")
    used: set[str] = set()
    for letter, tree in letters:
        cd = tree.getroot().find("tei:teiHeader/tei:profileDesc/tei:correspDesc", NS)
        actions = {a.get("type"): a for a in (cd.iterfind("tei:correspAction", NS) if cd is not None else ())}
        page = f"{base}letters/{_slug(letter.id)}.html" if base else None
        desc = etree.Element(f"{{{TEI_NS}}}correspDesc")
        if page:
            desc.set("ref", page)
        sid = source_id(letter.id)
        if sid in used:  # two files share an xml:id: the later one (in date and path order) is told apart by its path
            sid = source_id(f"{letter.id}@{Path(letter.path).as_posix()}")
        desc.set("source", f"#{sid}")
        written = [k for k in ("sent", "received") if k in actions and _action(desc, actions[k], k, registry)]
        if written != ["sent", "received"]:
            missing = " and ".join(k for k in ("sent", "received") if k not in written)
            diags.append(Diagnostic(letter.path, line_of(cd) if cd is not None else 0, 0, Severity.WARNING,
                                    "TT720", "cmif-incomplete-letter",
                                    f"no usable {missing} action (a name, place or W3C date); the letter is left out of the CMIF file"))
            continue
        used.add(sid)
        bibl = _el(sd, "bibl", f"{letter.title}. In: {edition.title}", type=_bibl_type(tree, base is not None))
        bibl.set(XML_ID, sid)
        if page:
            bibl.text = (bibl.text or "") + ", "
            _el(bibl, "ref", page, target=page)
        profile.append(desc)
    if len(sd) == 0:  # CMIF requires one bibl; an empty file still says where its letters would come from
        bibl = _el(sd, "bibl", edition.title, type="online" if base else "print")
        bibl.set(XML_ID, source_id(edition.identifier or edition.title))
    if len(profile) == 0:
        header.remove(profile)
    _el(_el(_el(root, "text"), "body"), "p")
    etree.indent(root, space="  ")
    return etree.ElementTree(root), sorted(set(diags))


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
) -> list[Diagnostic]:
    """Write the CMIF file for the letters under `paths` (registry and edition from their corpus root) to `out`."""
    root = find_corpus_root(paths[0]) if paths else None
    registry, diags = load_registry(registry_dir if registry_dir is not None else (root / "registry" if root else None))
    edition = read_edition(root)
    opts = options or CmifOptions()
    if opts.base_url is None:
        opts = CmifOptions(_edition_url(root), opts.file_url, opts.date)
    tree, more = build_cmif(paths, registry, edition, opts, Path(out).name)
    atomic_write(out, serialise(tree))
    return sorted({*diags, *more})
