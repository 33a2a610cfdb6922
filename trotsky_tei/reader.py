"""Files to trees and `Letter` records; corpus discovery (letters, registry folder, edition metadata)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import Diagnostic, Severity
from .model import CallNumber, Edition, Letter, LetterDate, Mention
from .xmlfile import NS, XML_ID, XML_LANG, Parsed, first_children, line_of, local_name, parse_file, tei

REGISTRY_DIR = "registry"
EDITION_FILE = "edition.xml"
NAME_TAGS = {"persName": "person", "orgName": "org", "placeName": "place"}


def text_of(el: etree._Element | None) -> str:
    """The element's text with white space folded; `note` subtrees inside it are left out (their tails kept)."""
    if el is None:
        return ""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            if local_name(child) != "note" and isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return " ".join("".join(parts).split())


# marker files that trotsky-tei leaves in the folders it writes: a folder holding one is output, never input
OUTPUT_MARKERS = (".trotsky-tei-build", ".trotsky-tei-site")


def walk_xml(folder: str | os.PathLike[str]) -> list[str]:
    """Every `*.xml` below `folder`, sorted; hidden files and folders, and folders trotsky-tei wrote, are skipped."""
    return [path for path, _real, _link in walk_xml_real(folder)]


def walk_xml_real(folder: str | os.PathLike[str]) -> list[tuple[str, str, bool]]:
    """`walk_xml`, each file with its real path and whether it is a symbolic link: a folder's real path is found once
    and a file that is not a link is that folder's real path and its name (realpath per file costs a system call for
    every part of the path: most of a cached `validate`'s time at 10,000 letters)."""
    out: list[tuple[str, str, bool]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        if dirpath != str(folder) and any(m in filenames for m in OUTPUT_MARKERS):
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        real_dir = os.path.realpath(dirpath)
        for f in filenames:
            if not f.endswith(".xml") or f.startswith("."):
                continue
            full = os.path.join(dirpath, f)
            link = os.path.islink(full)
            out.append((str(Path(dirpath) / f), os.path.realpath(full) if link else os.path.join(real_dir, f), link))
    return sorted(out)


def discover(paths: list[str] | tuple[str, ...]) -> tuple[list[str], list[Diagnostic]]:
    """Expand files and folders (recursively, `*.xml`, see `walk_xml`) into a sorted, de-duplicated list of files."""
    found, diags, _empty = discover_files(paths)
    return [f for f, _real in found], diags


def discover_files(paths: list[str] | tuple[str, ...]) -> tuple[list[tuple[str, str]], list[Diagnostic], list[str]]:
    """`discover`, with each file's real path (found once), and the folders given that hold no `*.xml` file."""
    files: list[tuple[str, str]] = []
    diags: list[Diagnostic] = []
    empty: list[str] = []
    seen: set[str] = set()
    follow = os.environ.get("TROTSKY_TEI_FOLLOW_LINKS") == "1"
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            walked = walk_xml_real(p)
            if not walked:
                empty.append(raw)
            found: list[tuple[str, str]] = []
            inside = os.path.realpath(p)
            for f, target, link in walked:
                if not follow and link and os.path.commonpath([inside, target]) != inside and os.path.exists(target):
                    message = (f"a symbolic link to a file outside {raw} ({target}): not followed "
                               "(TROTSKY_TEI_FOLLOW_LINKS=1 follows such links)")
                    diags.append(Diagnostic(f, 0, 0, Severity.ERROR, "TT000", "unreadable", message))
                else:
                    found.append((f, target))
        elif p.exists():
            found = [(str(p), os.path.realpath(p))]
        else:
            diags.append(Diagnostic(str(p), 0, 0, Severity.ERROR, "TT000", "unreadable", "no such file or directory"))
            continue
        for f, key in found:
            if key not in seen:
                seen.add(key)
                files.append((f, key))
    return files, diags, empty


def document_kind(tree: etree._ElementTree) -> str:
    """'letter' (default), 'registry' or 'edition', from `TEI/@type`."""
    root = tree.getroot()
    kind = root.get("type")
    if kind in ("registry", "edition"):
        return kind
    return "letter"


def find_corpus_root(path: str | os.PathLike[str]) -> Path | None:
    """The nearest folder at or above `path` that holds a `registry/` folder or an `edition.xml`."""
    p = Path(path).resolve()
    if p.is_file():
        p = p.parent
    for candidate in (p, *p.parents):
        if (candidate / REGISTRY_DIR).is_dir() or (candidate / EDITION_FILE).is_file():
            return candidate
    return None


def _date(el: etree._Element | None) -> LetterDate | None:
    if el is None:
        return None
    return LetterDate(
        when=el.get("when"),
        not_before=el.get("notBefore"),
        not_after=el.get("notAfter"),
        from_=el.get("from"),
        to=el.get("to"),
        text=text_of(el),
        cert=el.get("cert"),
    )


# what `back` may hold that is data, not text: the letter's own lists of the people, places, works… it names, which
# are read as its registry (`registry.letter_entries`) and shown in the registers, never as running text
DATA_LISTS = frozenset({"listPerson", "listPlace", "listOrg", "listBibl", "listEvent", "listRelation", "listObject", "listNym"})
DATA_LIST_TAGS = tuple(f"{{*}}{name}" for name in sorted(DATA_LISTS))  # any namespace, as local_name


def is_data_list(el: etree._Element) -> bool:
    """A list of entities inside `back`: the letter's registry, not its text."""
    if local_name(el) not in DATA_LISTS:
        return False
    return next(el.iterancestors("{*}back"), None) is not None


def in_data_list(el: etree._Element) -> bool:
    """Whether `el` stands inside one of the letter's own entity lists (`is_data_list`)."""
    return any(is_data_list(a) for a in el.iterancestors(*DATA_LIST_TAGS))


def _mentions(parent: etree._Element | None) -> tuple[Mention, ...]:
    if parent is None:
        return ()
    out: list[Mention] = []
    for el in parent.iter(tei("persName"), tei("orgName"), tei("placeName"), tei("name"), tei("rs")):
        if in_data_list(el):
            continue  # an entry's own name, not a name in the letter's text
        kind = NAME_TAGS.get(local_name(el)) or {"person": "person", "org": "org", "place": "place"}.get(
            el.get("type", ""), "person"
        )
        out.append(Mention(kind, text_of(el), el.get("ref") or el.get("key"), line_of(el)))
    return tuple(out)


def call_numbers_of(root: etree._Element) -> tuple[CallNumber, ...]:
    """Structured call numbers from every `msIdentifier` in the header."""
    out: list[CallNumber] = []
    for ms in root.iterfind(".//tei:teiHeader//tei:msIdentifier", NS):
        parts = first_children(ms)
        repository = text_of(parts.get("repository"))
        collection = text_of(parts.get("collection")) or None
        institution = text_of(parts.get("institution")) or None
        settlement = text_of(parts.get("settlement")) or None
        country = text_of(parts.get("country")) or None
        idnos: list[etree._Element | None] = list(ms.iterchildren(tei("idno"))) or [None]
        for idno in idnos:
            out.append(
                CallNumber(
                    repository=repository,
                    idno=text_of(idno),
                    collection=collection,
                    institution=institution,
                    settlement=settlement,
                    country=country,
                    url=(idno.get("source") if idno is not None else None) or ms.get("source"),
                    cert=(idno.get("cert") if idno is not None else None),
                )
            )
    return tuple(out)


def _is_series_or_date(title: etree._Element) -> bool:
    kind = (title.get("type") or "").lower()
    return title.get("level") in ("s", "j") or "series" in kind or "date" in kind or kind == "sub"


def letter_title_element(root: etree._Element) -> etree._Element | None:
    """The letter's own title, by a documented rule (docs/encoding.md): `title[@type='main']`, else the first
    `title[@level='a']`, else the first `title` that is not a series' or journal's (`@level` s or j, `@type` series),
    a subtitle or a machine date (`@type` with "date", e.g. iso-date); None when there is none of them (the title
    is then made of the correspondents and the date)."""
    titles = list(root.iterfind("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title", NS))
    for test in (lambda t: t.get("type") == "main", lambda t: t.get("level") == "a", lambda t: not _is_series_or_date(t)):
        found = next((t for t in titles if test(t) and text_of(t)), None)
        if found is not None:
            return found
    return None


def _made_title(senders: tuple[Mention, ...], recipients: tuple[Mention, ...], date: LetterDate | None) -> str:
    """"Sender to Recipient, date": the title of a letter whose header gives none of its own."""
    people = " to ".join(p for p in ("; ".join(m.name for m in senders if m.name), "; ".join(m.name for m in recipients if m.name)) if p)
    return ", ".join(p for p in (people, date.display if date is not None else "") if p)


def extract_letter(tree: etree._ElementTree, path: str, *, mentions: bool = True) -> Letter:
    """Build the `Letter` record of a parsed letter; missing parts are left empty, never guessed.

    `mentions` False leaves out the names in the text (`Letter.mentions`), for work that does not need them."""
    root = tree.getroot()
    top = first_children(root)
    header = top.get("teiHeader")
    title_el = letter_title_element(root)
    cd = root.find(".//tei:profileDesc/tei:correspDesc", NS)
    senders: tuple[Mention, ...] = ()
    recipients: tuple[Mention, ...] = ()
    place_sent = place_received = None
    date = None
    if cd is not None:
        for action in cd.iterfind("tei:correspAction", NS):
            people = tuple(
                Mention(NAME_TAGS.get(local_name(e), "person"), text_of(e), e.get("ref") or e.get("key"), line_of(e))
                for e in action
                if local_name(e) in ("persName", "orgName", "name")
            )
            parts = first_children(action)
            place_el = parts.get("placeName")
            place = (
                Mention("place", text_of(place_el), place_el.get("ref"), line_of(place_el))
                if place_el is not None
                else None
            )
            if action.get("type") == "sent":
                senders = people
                place_sent = place
                date = _date(parts.get("date"))
            elif action.get("type") == "received":
                recipients = people
                place_received = place
    langs: list[tuple[str, str]] = []
    for lang in root.iterfind(".//tei:profileDesc/tei:langUsage/tei:language", NS):
        langs.append((lang.get("ident", ""), text_of(lang)))
    text_el = top.get("text")
    main_lang = (text_el.get(XML_LANG) if text_el is not None else None) or root.get(XML_LANG)
    sources = tuple(text_of(b) for b in root.iterfind(".//tei:sourceDesc//tei:bibl", NS))
    letter_id = root.get(XML_ID) or Path(path).stem
    return Letter(
        path=path,
        id=letter_id,
        title=text_of(title_el) or _made_title(senders, recipients, date) or letter_id,
        date=date,
        senders=senders,
        recipients=recipients,
        place_sent=place_sent,
        place_received=place_received,
        call_numbers=call_numbers_of(root) if header is not None else (),
        languages=tuple(langs),
        main_language=main_lang,
        sources=sources,
        mentions=_mentions(text_el) if mentions else (),
    )


@dataclass
class LetterFile:
    """A parsed file with its kind and, for letters, its record."""

    parsed: Parsed
    kind: str | None = None
    letter: Letter | None = None


def read(path: str) -> LetterFile:
    """Parse one file and, if it is a letter, extract its record; bad input gives diagnostics, never exceptions."""
    parsed = parse_file(path)
    if parsed.tree is None:
        return LetterFile(parsed)
    kind = document_kind(parsed.tree)
    letter = extract_letter(parsed.tree, path) if kind == "letter" else None
    return LetterFile(parsed, kind, letter)


def read_edition(corpus_root: str | os.PathLike[str] | None) -> Edition:
    """Edition metadata from `<root>/edition.xml`; a neutral default where there is none."""
    return read_edition_file(corpus_root)[0]


def read_edition_file(corpus_root: str | os.PathLike[str] | None) -> tuple[Edition, Parsed | None]:
    """`read_edition`, and the parsed edition file (None where there is none), so that checking it needs no new read."""
    if corpus_root is None:
        return Edition(title="TEI letters", from_letters=True), None
    path = Path(corpus_root) / EDITION_FILE
    if not path.is_file():
        return Edition(title=Path(corpus_root).resolve().name or "TEI letters", from_letters=True), None
    parsed = parse_file(path)
    if parsed.tree is None:
        return Edition(title=Path(corpus_root).resolve().name or "TEI letters"), parsed
    root = parsed.tree.getroot()
    fd = root.find("tei:teiHeader/tei:fileDesc", NS)

    def first(xpath: str) -> str:
        el = fd.find(xpath, NS) if fd is not None else None
        return text_of(el)

    licence_el = fd.find("tei:publicationStmt/tei:availability/tei:licence", NS) if fd is not None else None
    editors = tuple(text_of(e) for e in fd.iterfind("tei:titleStmt/tei:editor", NS)) if fd is not None else ()
    text_el = root.find("tei:text", NS)
    date_el = fd.find("tei:publicationStmt/tei:date", NS) if fd is not None else None
    url = first("tei:publicationStmt/tei:idno[@type='URL']")
    edition = Edition(
        title=first("tei:titleStmt/tei:title[@type='main']") or first("tei:titleStmt/tei:title"),
        subtitle=first("tei:titleStmt/tei:title[@type='sub']"),
        editors=editors,
        publisher=first("tei:publicationStmt/tei:publisher"),
        date=date_el.get("when", "") if date_el is not None else "",
        licence=text_of(licence_el),
        licence_url=licence_el.get("target", "") if licence_el is not None else "",
        language=(text_el.get(XML_LANG) if text_el is not None else None) or root.get(XML_LANG) or "en",
        identifier=first("tei:publicationStmt/tei:idno"),
        about_path=str(path),
        url=url if url.startswith(("https://", "http://")) else "",
        about_html=_about_html(root),
    )
    return edition, parsed


def _about_html(root: etree._Element) -> str:
    """The edition file's `text/body` as simple HTML (heads, paragraphs, lists); every text escaped."""
    import html

    body = root.find("tei:text/tei:body", NS)
    if body is None:
        return ""
    out = []
    for el in body.iter("{*}head", "{*}p", "{*}list"):
        local = local_name(el)
        if local == "head":
            out.append(f"<h2>{html.escape(text_of(el))}</h2>")
        elif local == "list":
            items = "".join(f"<li>{html.escape(text_of(i))}</li>" for i in el.iterfind("tei:item", NS))
            out.append(f"<ul>{items}</ul>")
        elif (parent := el.getparent()) is not None and local_name(parent) != "item":
            out.append(f"<p>{html.escape(text_of(el))}</p>")
    return "\n".join(out)
