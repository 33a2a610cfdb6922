"""`trotsky-tei new`: a letter skeleton that validates clean — its correspondents, place and archive taken from the
registry, its publisher and licence from the edition file, comments where the editor writes."""

from __future__ import annotations

import datetime
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .errors import UsageError
from .model import Entity
from .reader import EDITION_FILE, REGISTRY_DIR, read_edition
from .registry import Registry, load_registry

MONTHS = "January February March April May June July August September October November December".split()
PREFIXES = {"person": "psn", "place": "plc", "org": "org", "repository": "arc"}


@dataclass(frozen=True)
class NewLetter:
    date: str  # YYYY, YYYY-MM or YYYY-MM-DD
    sender: str  # registry ids
    recipient: str
    place: str = ""
    archive: str = ""
    collection: str = ""
    item: str = ""
    lang: str = ""


def _display(date: str) -> str:
    parts = date.split("-")
    try:
        if len(parts) == 3:
            d = datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
            return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        if len(parts) == 2 and 1 <= int(parts[1]) <= 12:
            return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 1 and len(parts[0]) == 4 and parts[0].isdigit():
            return parts[0]
    except ValueError:
        pass
    raise UsageError(f"--date {date!r}: give YYYY-MM-DD, YYYY-MM or YYYY (a real date)")


def _entry(registry: Registry, entry_id: str, kinds: tuple[str, ...], option: str) -> Entity:
    ent = registry.get(entry_id)
    if ent is not None and ent.kind in kinds:
        return ent
    ids = sorted(e.id for e in registry.entries.values() if e.kind in kinds)
    near = difflib.get_close_matches(entry_id, ids, n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else f"; the registry has: {', '.join(ids[:12])}{'…' if len(ids) > 12 else ''}"
    raise UsageError(f"{option} {entry_id!r} is not a {'/'.join(kinds)} entry of the registry{hint}")


def skeleton(corpus: Path, spec: NewLetter) -> tuple[str, str]:
    """(file name, XML text) of the new letter in `corpus`."""
    registry, _diags = load_registry(corpus / REGISTRY_DIR)
    if not registry.entries:
        raise UsageError(f"no registry in {corpus / REGISTRY_DIR}: `new` takes its correspondents from it")
    edition = read_edition(corpus) if (corpus / EDITION_FILE).is_file() else None
    shown = _display(spec.date)
    sender = _entry(registry, spec.sender, ("person", "org"), "--from")
    recipient = _entry(registry, spec.recipient, ("person", "org"), "--to")
    place = _entry(registry, spec.place, ("place",), "--place") if spec.place else None
    archive = _entry(registry, spec.archive, ("repository",), "--archive") if spec.archive else None
    lang = spec.lang or (edition.language if edition is not None else "en")
    letter_id = f"letter-{spec.date}-{spec.sender}-to-{spec.recipient}"
    name = f"{spec.date}-{spec.sender}-to-{spec.recipient}.xml"
    letters = corpus / "letters"
    files = {PREFIXES.get(e.kind, "org"): os.path.relpath(e.path, letters) for e in (sender, recipient, place, archive) if e is not None}
    for kind, prefix in PREFIXES.items():  # every registry file of the corpus gets its prefix
        for e in registry.by_kind(kind)[:1]:
            files.setdefault(prefix, os.path.relpath(e.path, letters))

    def ref(e: Entity) -> str:
        return f"{PREFIXES.get(e.kind, 'org')}:{e.id}"

    title = f"{sender.label} to {recipient.label}, {shown}"
    publisher = escape(edition.publisher) if edition is not None and edition.publisher else "<!-- the publisher -->"
    licence = ""
    if edition is not None and (edition.licence_url or edition.licence):
        target = f" target={quoteattr(edition.licence_url)}" if edition.licence_url else ""
        licence = f"\n        <availability>\n          <licence{target}>{escape(edition.licence or edition.licence_url)}</licence>\n        </availability>"
    ms = ""
    if archive is not None:
        collection = spec.collection or (archive.collections[0].call_number if len(archive.collections) == 1 else "")
        parts = [f'<repository ref="{ref(archive)}">{escape(archive.label)}</repository>']
        if archive.fact("institution"):
            parts.insert(0, f"<institution>{escape(archive.fact('institution') or '')}</institution>")
        if collection:
            parts.append(f"<collection>{escape(collection)}</collection>")
        parts.append(f'<idno type="item">{escape(spec.item)}</idno>' if spec.item else "<idno type=\"item\"><!-- the item number --></idno>")
        ms = ("\n        <msDesc>\n          <msIdentifier>\n            " + "\n            ".join(parts)
              + "\n          </msIdentifier>\n        </msDesc>")
    prefix_defs = "\n".join(
        f'        <prefixDef ident="{p}" matchPattern="([A-Za-z0-9_.\\-]+)" replacementPattern={quoteattr(f + "#$1")}/>'
        for p, f in sorted(files.items())
    )
    place_el = f'\n          <placeName ref="{ref(place)}">{escape(place.label)}</placeName>' if place is not None else ""
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id={quoteattr(letter_id)} type="letter" xml:lang={quoteattr(lang)}>
  <teiHeader>
    <fileDesc>
      <titleStmt>
        <title type="main">{escape(title)}</title>
        <author><persName ref="{ref(sender)}">{escape(sender.label)}</persName></author>
        <!-- credits: one respStmt each (resp: Transcription, Translation, TEI encoding) with the persName of who did it -->
      </titleStmt>
      <publicationStmt>
        <publisher>{publisher}</publisher>{licence}
      </publicationStmt>
      <sourceDesc>
        <bibl><!-- the source of the text: an edition, a transcription, the original --></bibl>{ms}
      </sourceDesc>
    </fileDesc>
    <encodingDesc>
      <listPrefixDef>
{prefix_defs}
      </listPrefixDef>
    </encodingDesc>
    <profileDesc>
      <correspDesc>
        <correspAction type="sent">
          <persName ref="{ref(sender)}">{escape(sender.label)}</persName>{place_el}
          <date when="{spec.date}">{escape(shown)}</date>
        </correspAction>
        <correspAction type="received">
          <persName ref="{ref(recipient)}">{escape(recipient.label)}</persName>
        </correspAction>
      </correspDesc>
      <langUsage>
        <language ident={quoteattr(lang)}><!-- the language of the text --></language>
      </langUsage>
    </profileDesc>
  </teiHeader>
  <text xml:lang={quoteattr(lang)}>
    <body>
      <div type="letter">
        <opener>
          <dateline>{escape((place.label + ", ") if place is not None else "")}{escape(shown)}</dateline>
          <salute><!-- Dear … --></salute>
        </opener>
        <p><!-- the letter's text, one p per paragraph; names as persName/placeName/orgName with @ref --></p>
        <closer>
          <signed><!-- the signature --></signed>
        </closer>
      </div>
    </body>
  </text>
</TEI>
"""
    return name, text


def write_new(corpus: Path, spec: NewLetter, out: Path | None = None) -> Path:
    """Write the skeleton (never over an existing file) and return its path."""
    name, text = skeleton(corpus, spec)
    path = out if out is not None else corpus / "letters" / name
    if path.exists() or path.is_symlink():
        raise UsageError(f"{path} exists: `new` never overwrites a file (give -o another path)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:  # "x": fails rather than replace a file made meanwhile
        fh.write(text)
    return path
