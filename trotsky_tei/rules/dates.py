"""Date rules: W3C dates that are valid (TT301), consistent (TT302) and not in the future (TT303)."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from ..errors import Diagnostic
from ..xmlfile import TEI_NS, local_name
from . import RuleContext, rule

DATE_ATTRS = ("when", "notBefore", "notAfter", "from", "to")
_DATE_SET = frozenset(DATE_ATTRS)
MAX_DATE = 40  # characters: no W3C date or time is longer (a year of thousands of digits is no date)
# elements whose @from/@to are not dates (pages, folios, spans of text, pointers: a graph's arc, an apparatus entry
# placed by the double end-point method)
NOT_DATABLE_FROM_TO = frozenset({"locus", "locusGrp", "citedRange", "biblScope", "span", "spanGrp", "fs", "f", "arc", "app"})

_TZ = r"(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?"
_YEAR = r"(?P<y>-?(?:[1-9]\d{4,}|\d{4}))"
_TIME = r"(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?|24:00:00(?:\.0+)?)"
_FORMS = [
    ("dateTime", re.compile(rf"{_YEAR}-(?P<m>\d\d)-(?P<d>\d\d)T{_TIME}{_TZ}")),
    ("date", re.compile(rf"{_YEAR}-(?P<m>\d\d)-(?P<d>\d\d){_TZ}")),
    ("gYearMonth", re.compile(rf"{_YEAR}-(?P<m>\d\d){_TZ}")),
    ("gYear", re.compile(rf"{_YEAR}{_TZ}")),
    ("gMonthDay", re.compile(rf"--(?P<m>\d\d)-(?P<d>\d\d){_TZ}")),
    ("gMonth", re.compile(rf"--(?P<m>\d\d){_TZ}")),
    ("gDay", re.compile(rf"---(?P<d>\d\d){_TZ}")),
    ("time", re.compile(rf"{_TIME}{_TZ}")),
]
EXPECTED = "expected a W3C date: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

Ymd = tuple[int, int, int]


def _days_in_month(year: int | None, month: int) -> int:
    if month == 2:
        if year is None:
            return 29
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@lru_cache(maxsize=4096)  # the same dates recur in letter after letter (and TT301 and TT303 both ask)
def check_w3c(value: str) -> str | None:
    """None when `value` is a valid W3C (XML Schema) date or time form; else why it is not."""
    if len(value) > MAX_DATE:
        return f"not a date or time ({len(value)} characters long)"
    for _form, pattern in _FORMS:
        m = pattern.fullmatch(value)
        if m is None:
            continue
        groups = m.groupdict()
        year = int(groups["y"]) if groups.get("y") else None
        if year == 0:
            return "year 0000 does not exist"
        month = int(groups["m"]) if groups.get("m") else None
        if month is not None and not 1 <= month <= 12:
            return f"month {month:02d} does not exist"
        day = int(groups["d"]) if groups.get("d") else None
        if day is not None:
            limit = _days_in_month(year, month) if month is not None else 31
            if not 1 <= day <= limit:
                where = f" in {MONTHS[month - 1]}" + (f" {year}" if year is not None else "") if month else ""
                return f"day {day} does not exist{where}"
        return None
    return EXPECTED


@lru_cache(maxsize=4096)
def bounds(value: str) -> tuple[Ymd, Ymd] | None:
    """The first and last day a valid dated value covers (None for yearless forms and times)."""
    if len(value) > MAX_DATE:
        return None
    for form, pattern in _FORMS[:4]:
        m = pattern.fullmatch(value)
        if m is None:
            continue
        year = int(m.group("y"))
        if form == "gYear":
            return (year, 1, 1), (year, 12, 31)
        month = int(m.group("m"))
        if form == "gYearMonth":
            return (year, month, 1), (year, month, _days_in_month(year, month))
        day = int(m.group("d"))
        return (year, month, day), (year, month, day)
    return None


_TEI = f"{{{TEI_NS}}}"


def _dated(ctx: RuleContext) -> list[tuple[etree._Element, str, str]]:
    """Every (element, attribute, value) of a W3C date attribute on a TEI element (found once per file; an
    element's attributes in the order it gives them)."""
    found = ctx.extra.get("dated")
    if found is None:
        out = []
        for el, attrs in ctx.refs.attribute_scan():
            if _DATE_SET.isdisjoint(attrs) or not el.tag.startswith(_TEI):
                continue
            for attr, value in attrs.items():
                if attr in _DATE_SET and not (attr in ("from", "to") and local_name(el) in NOT_DATABLE_FROM_TO):
                    out.append((el, attr, value))
        found = ctx.extra["dated"] = out
    return found  # type: ignore[return-value]


def _today(ctx: RuleContext) -> Ymd:
    try:
        d = _dt.date.fromisoformat(ctx.today) if ctx.today else _dt.date.today()
    except ValueError:
        d = _dt.date.today()
    return d.year, d.month, d.day


@rule("TT301", "invalid-date", kinds=("letter", "registry", "edition"))
def invalid_date(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A @when, @notBefore, @notAfter, @from or @to that is not a valid W3C date."""
    for el, attr, value in _dated(ctx):
        problem = check_w3c(value)
        if problem is not None:
            yield ctx.diag(el, "TT301", "invalid-date", f"@{attr}='{value}' is not a valid date: {problem}")


@rule("TT302", "date-range", kinds=("letter", "registry", "edition"))
def date_range(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A range whose start lies after its end (@notBefore > @notAfter, @from > @to)."""
    for el, attrs in ctx.refs.attribute_scan():
        if len(attrs) < 2 or not el.tag.startswith(_TEI):  # a range is two attributes
            continue
        for lo_attr, hi_attr in (("notBefore", "notAfter"), ("from", "to")):
            if lo_attr == "from" and local_name(el) in NOT_DATABLE_FROM_TO:
                continue
            lo, hi = attrs.get(lo_attr), attrs.get(hi_attr)
            if lo is None or hi is None:
                continue
            lo_b, hi_b = bounds(lo), bounds(hi)
            if lo_b is not None and hi_b is not None and lo_b[0] > hi_b[1]:
                yield ctx.diag(el, "TT302", "date-range", f"@{lo_attr}='{lo}' is after @{hi_attr}='{hi}'")


@rule("TT303", "future-date", kinds=("letter", "registry", "edition"))
def future_date(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A date that begins after today (a range: its earliest date; reported once per element)."""
    today = _today(ctx)
    by_element: dict[etree._Element, list[tuple[Ymd, str, str]]] = {}
    for el, attr, value in _dated(ctx):
        b = bounds(value) if check_w3c(value) is None else None
        if b is not None:
            by_element.setdefault(el, []).append((b[0], attr, value))
    for el, starts in by_element.items():
        start, attr, value = min(starts)
        if start > today:
            shown = _dt.date(*today).isoformat()
            yield ctx.diag(el, "TT303", "future-date", f"@{attr}='{value}' is in the future (today is {shown})")
