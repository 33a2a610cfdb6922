"""Generate a corpus of N realistic TEI letters for the benchmarks (deterministic for a given N and seed).

The corpus has the bundled registry (with generated correspondents and places added), the bundled edition file and
N letters that validate against the letter schema: varied correspondents, places of writing and dates (1929-1940),
3 to 12 paragraphs, names linked to the registry, notes, editorial interventions (`choice`, `add`/`del`, `gap`,
`supplied`), an apparatus (`app`/`lem`/`rdg`) in some, and a Houghton call number in most. The text is a shuffle of
sentences of the 1929 letter, so every letter differs but reads like a letter.

    python bench/corpusgen.py OUT_DIR [N]
"""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"

FIRST = "Alfred Pierre Henri Max Jan Rosa Karl Natalia Jean Maurice Victor Ernst Leon Anna Kurt Raymond Albert Marcel Otto Sara".split()
LAST = "Rosmer Naville Frank Shachtman Sedov Molinier Treint Landau Souvarine Nin Cannon Lesoil Dauge Hennaut Vereeken Spector Abern Glotzer Weisbord Ruth".split()
TOWNS = (("prinkipo", "Prinkipo", "Q733117"), ("paris", "Paris", "Q90"), ("brussels", "Brussels", "Q239"), ("berlin", "Berlin", "Q64"),
         ("new-york", "New York", "Q60"), ("barbizon", "Barbizon", "Q243117"), ("oslo", "Oslo", "Q585"), ("coyoacan", "Coyoacán", "Q661315"),
         ("charleroi", "Charleroi", "Q47959"), ("liege", "Liège", "Q3783"), ("london", "London", "Q84"), ("zurich", "Zürich", "Q72"))
MONTHS = "January February March April May June July August September October November December".split()


def _sentences() -> list[str]:
    """Plain sentences of the corpus's letters (markup stripped; the 1929 letter's, while it is the only one with a
    text), to compose paragraphs from."""
    letter = "".join(p.read_text(encoding="utf-8") for p in sorted((CORPUS / "letters").glob("*.xml")))
    body = " ".join(part.split("</body>", 1)[0] for part in letter.split("<body>")[1:])
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    body = re.sub(r"<note\b.*?</note>", "", body, flags=re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 5]


def _people(n: int) -> list[tuple[str, str]]:
    out = [(f"p{i:03d}-{LAST[i % len(LAST)].lower()}", f"{FIRST[(i * 7) % len(FIRST)]} {LAST[i % len(LAST)]}") for i in range(n)]
    return [("trotsky", "Leon Trotsky"), ("van-overstraeten", "W. van Overstraeten"), *out]


def _registry(dst: Path, people: list[tuple[str, str]]) -> None:
    shutil.copytree(CORPUS / "registry", dst)
    persons = dst / "persons.xml"
    extra = "".join(
        f'      <person xml:id="{pid}">\n        <persName type="main"><forename>{name.split()[0]}</forename> '
        f'<surname>{name.split()[-1]}</surname></persName>\n        <birth when="{1880 + i % 20}"/>\n'
        f"        <note>A correspondent of the generated benchmark corpus.</note>\n      </person>\n"
        for i, (pid, name) in enumerate(people[2:])
    )
    persons.write_text(persons.read_text(encoding="utf-8").replace("    </listPerson>", extra + "    </listPerson>"), encoding="utf-8")
    places = dst / "places.xml"
    extra = "".join(
        f'      <place xml:id="{pid}" type="settlement">\n        <placeName type="main">{name}</placeName>\n'
        f'        <idno type="Wikidata">{qid}</idno>\n      </place>\n'
        for pid, name, qid in TOWNS
    )
    places.write_text(places.read_text(encoding="utf-8").replace("    </listPlace>", extra + "    </listPlace>"), encoding="utf-8")


HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="{id}" type="letter" xml:lang="{lang}">
  <teiHeader>
    <fileDesc>
      <titleStmt>
        <title type="main">{title}</title>
        <author><persName ref="psn:{sender}">{sender_name}</persName></author>
        <respStmt>
          <resp>TEI encoding</resp>
          <orgName ref="org:trotsky-tei">the trotsky-tei project</orgName>
        </respStmt>
      </titleStmt>
      <publicationStmt>
        <publisher>the trotsky-tei project</publisher>
        <date when="2026">2026</date>
        <availability status="restricted">
          <licence target="https://creativecommons.org/licenses/by/4.0/">The TEI encoding is licensed under CC BY 4.0.</licence>
        </availability>
      </publicationStmt>
      <sourceDesc>
        <bibl xml:id="source-print" type="print"><author>{sender_name}</author>, <title level="a">{title}</title>, in
          <title level="j">Revolutionary History</title>, Vol. <biblScope unit="volume">{vol}</biblScope>.</bibl>{witnesses}{msdesc}
      </sourceDesc>
    </fileDesc>
    <encodingDesc>
      <listPrefixDef>
        <prefixDef ident="psn" matchPattern="([A-Za-z0-9_.\\-]+)" replacementPattern="../registry/persons.xml#$1"/>
        <prefixDef ident="plc" matchPattern="([A-Za-z0-9_.\\-]+)" replacementPattern="../registry/places.xml#$1"/>
        <prefixDef ident="org" matchPattern="([A-Za-z0-9_.\\-]+)" replacementPattern="../registry/orgs.xml#$1"/>
        <prefixDef ident="arc" matchPattern="([A-Za-z0-9_.\\-]+)" replacementPattern="../registry/archives.xml#$1"/>
      </listPrefixDef>
    </encodingDesc>
    <profileDesc>
      <correspDesc>
        <correspAction type="sent">
          <persName ref="psn:{sender}">{sender_name}</persName>
          <placeName ref="plc:{place}">{place_name}</placeName>
          <date when="{when}">{date_text}</date>
        </correspAction>
        <correspAction type="received">
          <persName ref="psn:{recipient}">{recipient_name}</persName>
        </correspAction>
      </correspDesc>
      <langUsage>
        <language ident="{lang}">{lang_name}</language>
      </langUsage>
    </profileDesc>
  </teiHeader>
  <text xml:lang="{lang}">
    <body>
      <div type="letter">
"""

MSDESC = """
        <msDesc xml:id="original">
          <msIdentifier>
            <institution ref="arc:harvard">Harvard University</institution>
            <repository ref="arc:houghton">Houghton Library</repository>
            <collection ref="arc:ms-russ-13.1">MS Russ 13.1</collection>
            <idno type="item">{item}</idno>
          </msIdentifier>
        </msDesc>"""

WITNESSES = """
        <listWit>
          <witness xml:id="wit-C" n="C">The carbon copy.</witness>
          <witness xml:id="wit-RH" n="RH">The printed translation.</witness>
        </listWit>"""


def _inline(rng: random.Random, sentence: str, people: list[tuple[str, str]], notes: list[int], apparatus: bool) -> str:
    """One sentence with some markup: a linked name, a place, an intervention, a note."""
    words = escape(sentence).split()
    roll = rng.random()
    if roll < 0.25 and len(words) > 4:
        pid, name = rng.choice((*people, ("marx", "Marx"), ("lenin", "Lenin")))
        words.insert(rng.randrange(1, len(words)), f'<persName ref="psn:{pid}">{name}</persName>')
    elif roll < 0.4 and len(words) > 4:
        pid, name, _ = rng.choice((*TOWNS, ("belgium", "Belgium", "")))
        words.insert(rng.randrange(1, len(words)), f'<placeName ref="plc:{pid}">{escape(name)}</placeName>')
    roll = rng.random()
    i = rng.randrange(len(words))
    if roll < 0.08 and re.fullmatch(r"[A-Za-z]{4,}", words[i]):
        w = words[i]
        words[i] = f"<choice><sic>{w[1]}{w[0]}{w[2:]}</sic><corr>{w}</corr></choice>"
    elif roll < 0.12 and re.fullmatch(r"[A-Za-z]{3,}", words[i]):
        words[i] = f'<del rend="strikethrough">{words[i]}</del> <add place="above">{words[i]}</add>'
    elif roll < 0.15:
        words.insert(i, '<gap reason="illegible" extent="one word"/>')
    elif roll < 0.18 and apparatus and re.fullmatch(r"[A-Za-z]{3,}", words[i]):
        words[i] = f'<app><lem wit="#wit-C">{words[i]}</lem><rdg wit="#wit-RH">{words[i]}s</rdg></app>'
    elif roll < 0.2 and re.fullmatch(r"[A-Za-z]{3,}", words[i]):
        words[i] = f'<choice><abbr>{words[i][:2]}.</abbr><expan>{words[i]}</expan></choice>'
    text = " ".join(words)
    if rng.random() < 0.12:
        n = len(notes) + 1
        notes.append(n)
        pid, name = rng.choice(people)
        text += (f'<note xml:id="note-{n}" n="{n}" place="foot" type="editorial">On this point see '
                 f'<persName ref="psn:{pid}">{name}</persName>, <orgName ref="org:international-opposition">the '
                 f"international Opposition</orgName> and its bulletin of <date when=\"1930\">1930</date>.</note>")
    return text


def letter(i: int, rng: random.Random, sentences: list[str], people: list[tuple[str, str]]) -> tuple[str, str]:
    """(file name, XML) of the i-th letter."""
    sender, recipient = ("trotsky", rng.choice(people[1:])[0]) if rng.random() < 0.6 else (rng.choice(people[1:])[0], "trotsky")
    names = dict(people)
    year, month, day = 1929 + (i * 7) % 12, 1 + (i * 5) % 12, 1 + (i * 13) % 28
    when = f"{year}-{month:02d}-{day:02d}"
    date_text = f"{day} {MONTHS[month - 1]} {year}"
    place, place_name, _ = TOWNS[(i * 3) % len(TOWNS)]
    lang, lang_name = rng.choice((("en", "English"), ("en", "English"), ("fr", "French"), ("de", "German")))
    apparatus = rng.random() < 0.3
    title = f"{names[sender]} to {names[recipient]}, {date_text}"
    head = HEADER.format(
        id=f"letter-{when}-{sender}-to-{recipient}-{i:05d}", lang=lang, title=escape(title), sender=sender,
        sender_name=escape(names[sender]), recipient=recipient, recipient_name=escape(names[recipient]), place=place,
        place_name=escape(place_name), when=when, date_text=date_text, lang_name=lang_name, vol=1 + i % 12,
        witnesses=WITNESSES if apparatus else "",
        msdesc=MSDESC.format(item=f"{4000 + i}{'a' if i % 17 == 0 else ''}") if rng.random() < 0.8 else "",
    )
    notes: list[int] = []
    parts = [head, f'        <opener>\n          <dateline><placeName ref="plc:{place}">{escape(place_name)}</placeName>, '
                   f'<date when="{when}">{date_text}</date></dateline>\n'
                   f"          <salute>Dear {escape(names[recipient].split()[0])},</salute>\n        </opener>\n"]
    for _ in range(rng.randint(3, 12)):
        chosen = [_inline(rng, rng.choice(sentences), people, notes, apparatus) for _ in range(rng.randint(2, 6))]
        parts.append("        <p>" + " ".join(chosen) + "</p>\n")
    parts.append(f"        <closer>\n          <salute>With communist greetings,</salute>\n          <signed>"
                 f'<persName ref="psn:{sender}">{escape(names[sender])}</persName></signed>\n        </closer>\n')
    parts.append("      </div>\n    </body>\n  </text>\n</TEI>\n")
    return f"{when}-{sender}-to-{recipient}-{i:05d}.xml", "".join(parts)


def make_corpus(root: Path, n: int, seed: int = 1929, correspondents: int = 60) -> list[Path]:
    """Write edition.xml, registry/ and `n` letters into `root` (which must not exist or be empty)."""
    root.mkdir(parents=True, exist_ok=True)
    people = _people(correspondents)
    _registry(root / "registry", people)
    shutil.copy(CORPUS / "edition.xml", root / "edition.xml")
    (root / "letters").mkdir()
    rng = random.Random(seed)
    sentences = _sentences()
    out = []
    for i in range(n):
        name, xml = letter(i, rng, sentences, people)
        path = root / "letters" / name
        path.write_text(xml, encoding="utf-8")
        out.append(path)
    return out


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):  # `--help` is not a folder to fill with 1,000 letters
        raise SystemExit(__doc__)
    make_corpus(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
