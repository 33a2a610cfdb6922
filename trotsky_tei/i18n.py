"""The edition's own language: message catalogues (English, German, French) and dates written in that language.

Every label a reader sees (site pages, letter metadata, EPUB and text headers) is an English message id looked up in
the catalogue of the chosen language: `trotsky_tei/locale/<lang>.po`, gettext PO files read with Babel (no compile
step: the catalogue is compiled in memory once per process). A message with fields uses Python's named format,
`"Letters of %(year)s"`, as Jinja2's `_()` does. Dates come from the machine-readable attributes (`@when`,
`@notBefore`/`@notAfter`, `@from`/`@to`) and are written by Babel with the locale's CLDR patterns:
"30 April 1929", "30. April 1929", "30 avril 1929".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from io import BytesIO
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gettext import NullTranslations

    from .model import LetterDate

# the languages a catalogue is provided for; any other edition language is shown with English labels
LANGUAGES = ("en", "de", "fr")
# the locale used for an edition language given without a region: British English writes "30 April 1929"
DEFAULT_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR"}
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|[0-9]{3}))?(?:[-_].*)?$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class Lang:
    """The language of the labels (`code`, one of LANGUAGES) and the locale dates are written in (`locale`)."""

    code: str = "en"
    locale: str = "en_GB"


def choose(*tags: str | None) -> Lang:
    """The first of `tags` (e.g. `--lang`, then the edition's language) with a catalogue; English otherwise.

    A region is kept for dates where Babel knows it ("de-AT" writes Austrian dates, with German labels)."""
    for tag in tags:
        m = _TAG.match((tag or "").strip())
        if not m:
            continue
        code = {"eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr"}.get(m.group(1).lower(), m.group(1).lower())
        if code not in LANGUAGES:
            continue
        locale = DEFAULT_LOCALES[code]
        if m.group(2):
            candidate = f"{code}_{m.group(2).upper()}"
            if _known_locale(candidate):
                locale = candidate
        return Lang(code, locale)
    return Lang()


@lru_cache(maxsize=32)
def _known_locale(name: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return False
    return True


@lru_cache(maxsize=8)
def translations(code: str) -> NullTranslations:
    """The gettext translations of a language's catalogue (English: the message ids themselves)."""
    from gettext import NullTranslations

    if code == "en" or code not in LANGUAGES:
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (resources.files("trotsky_tei") / "locale" / f"{code}.po").open("rb") as fh:
        catalog = read_po(fh, locale=code)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def N_(message: str) -> str:
    """Marks a message id kept in a constant (translated where it is shown), so that the catalogue test finds it."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural message kept in a constant (for `Messages.n` where it is shown)."""
    return singular, plural


class Messages:
    """The labels of one language: `t("Letters")`, `t("Letters of %(year)s", year=1929)`, `t.n(s, p, n)`."""

    def __init__(self, lang: Lang | str = "en") -> None:
        self.lang = lang if isinstance(lang, Lang) else choose(lang)
        self._tr = translations(self.lang.code)
        self._dates: dict[LetterDate | None, str] = {}  # Babel takes ~0.1 ms a date; a site shows each one often

    def __call__(self, message: str, **fields: Any) -> str:
        text = self._tr.gettext(message)
        return text % fields if fields else text

    def n(self, singular: str, plural: str, count: int, **fields: Any) -> str:
        return self._tr.ngettext(singular, plural, count) % {"num": count, **fields}

    # dates

    def date(self, d: LetterDate | None) -> str:
        """A letter's date in this language, from its machine-readable attributes; its own text where it has none."""
        found = self._dates.get(d)
        if found is None:
            if len(self._dates) > 100_000:
                self._dates.clear()
            found = self._dates[d] = self._date(d)
        return found

    def _date(self, d: LetterDate | None) -> str:
        if d is None:
            return self(N_("undated"))
        lo, hi = d.not_before or d.from_, d.not_after or d.to
        if d.when:
            shown = self.iso(d.when)
        elif lo and hi:
            shown = self.interval(lo, hi)
        elif lo:
            shown = self(N_("after %(date)s"), date=self.iso(lo))
        elif hi:
            shown = self(N_("before %(date)s"), date=self.iso(hi))
        else:
            return d.text or self(N_("undated"))
        if shown is None:  # not an ISO date we can write: as the letter gives it
            return d.display
        if d.cert in ("low", "medium", "unknown"):
            shown = self(N_("%(date)s (uncertain)"), date=shown)
        return shown

    def iso(self, value: str) -> str | None:
        """"1929-04-30", "1929-04" or "1929" written out; None when the value is not such a date."""
        parts = _parts(value)
        if parts is None:
            return None
        year, month, day = parts
        from babel.dates import format_date, format_skeleton

        if day:
            return format_date(dt.date(year, month, day), "long", locale=self.lang.locale)
        if month:
            return format_skeleton("yMMMM", dt.date(year, month, 1), locale=self.lang.locale)
        return str(year)

    def interval(self, lo: str, hi: str) -> str | None:
        a, b = _parts(lo), _parts(hi)
        if a is None or b is None:
            return None
        if a[2] and b[2]:
            from babel.dates import format_interval

            return format_interval(dt.date(*a), dt.date(*b), "yMMMMd", locale=self.lang.locale)
        first, last = self.iso(lo), self.iso(hi)
        return f"{first} – {last}"


def _parts(value: str) -> tuple[int, int, int] | None:
    """(year, month, day) of an ISO date of years 1–9999 (0 for what it leaves out); None if it is not one."""
    m = _ISO.match(value.strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    try:
        dt.date(max(year, 1), month or 1, day or 1)
    except ValueError:
        return None
    if year < 1:
        return None
    return year, month, day


ENGLISH = Messages()


@lru_cache(maxsize=8)
def messages(lang: Lang) -> Messages:
    """The labels of `lang`, made once per process."""
    return Messages(lang)
