"""`trotsky-tei stats`: what a corpus holds — letters per year and per correspondent, how many names are linked and
how many letters have a call number, the names most often left unlinked — from one pass over the letters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import Diagnostic

LINKED = ("linked", "external")  # a name that points somewhere (our registry, or an authority URI)


@dataclass
class CorpusStats:
    letters: int = 0
    per_year: dict[str, int] = field(default_factory=dict)  # "1929" -> letters; "" undated
    per_correspondent: list[tuple[str, int, int]] = field(default_factory=list)  # (name, sent, received), most first
    names: int = 0
    linked: int = 0
    with_call_number: int = 0
    unlinked: list[tuple[str, int]] = field(default_factory=list)  # (name as written, times), most first
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "letters": self.letters,
            "per_year": [{"year": y or None, "letters": n} for y, n in self.per_year.items()],
            "per_correspondent": [{"name": n, "sent": s, "received": r} for n, s, r in self.per_correspondent],
            "names": {"total": self.names, "linked": self.linked, "share_linked": round(self.linked / self.names, 4) if self.names else None},
            "call_numbers": {"letters_with": self.with_call_number,
                             "share": round(self.with_call_number / self.letters, 4) if self.letters else None},
            "most_frequent_unlinked": [{"name": n, "times": c} for n, c in self.unlinked],
        }


def corpus_stats(paths: Sequence[str], *, jobs: int | None = 1, top: int = 10) -> CorpusStats:
    """The statistics of the letters under `paths`, each read and parsed once."""
    from .letter_pass import CorpusPass, PassOptions
    from .parallel import LocalExecutor
    from .render.collect import edition_data

    result = CorpusPass(list(paths), PassOptions(consumers=("record", "link")), executor=LocalExecutor(jobs)).run()
    data = edition_data(result)
    out = CorpusStats(letters=len(data.letters), diagnostics=list(data.diagnostics))
    years: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    received: Counter[str] = Counter()
    for info in data.letters:
        date = info.letter.date
        when = (date.when or date.not_before or date.from_ or "") if date is not None else ""
        years[when[:4] if when[:4].isdigit() else ""] += 1
        for name, ent in info.senders:
            sent[ent.label if ent is not None else name] += 1
        for name, ent in info.recipients:
            received[ent.label if ent is not None else name] += 1
        out.with_call_number += bool(info.letter.call_numbers)
    out.per_year = dict(sorted(years.items(), key=lambda kv: (kv[0] == "", kv[0])))
    people = set(sent) | set(received)
    out.per_correspondent = sorted(((p, sent[p], received[p]) for p in people if p), key=lambda t: (-(t[1] + t[2]), t[0]))[:top]
    unlinked: Counter[str] = Counter()
    for outcome in result.outcomes:
        report = outcome.extra.get("link")
        for m in getattr(report, "mentions", ()):
            out.names += 1
            if m.status in LINKED:
                out.linked += 1
            else:
                unlinked[" ".join(m.text.split())] += 1
    out.unlinked = sorted(unlinked.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return out


def stats_tables(stats: CorpusStats) -> list[Any]:
    """The statistics as rich tables (letters per year, correspondents, names and call numbers, unlinked names)."""
    from rich.table import Table
    from rich.text import Text  # every cell as Text: names from the letters are data, never rich markup

    def share(part: int, whole: int) -> str:
        return f"{part} of {whole} ({100 * part / whole:.0f} %)" if whole else "—"

    overview = Table(title=f"{stats.letters} letters", show_header=False)
    overview.add_column("what")
    overview.add_column("value")
    overview.add_row("names linked (registry or authority URI)", share(stats.linked, stats.names))
    overview.add_row("letters with a call number", share(stats.with_call_number, stats.letters))
    years = Table(title="Letters per year")
    years.add_column("year")
    years.add_column("letters", justify="right")
    for year, n in stats.per_year.items():
        years.add_row(Text(year or "undated"), str(n))
    people = Table(title="Correspondents")
    people.add_column("correspondent", overflow="fold")
    people.add_column("sent", justify="right")
    people.add_column("received", justify="right")
    for name, s, r in stats.per_correspondent:
        people.add_row(Text(name), str(s), str(r))
    unlinked = Table(title="Most frequent unlinked names")
    unlinked.add_column("name as written", overflow="fold")
    unlinked.add_column("times", justify="right")
    for name, n in stats.unlinked:
        unlinked.add_row(Text(name), str(n))
    return [overview, years, people, unlinked]
