"""Publication dates as sources write them, normalised to ISO 8601.

A record's ``date`` field, an HTML page's metadata, a PDF's creation date or a dateline
("الرياض - 11 أغسطس 2015", "RABAT, Aug. 11, 2015 —") come in every format; what the store
keeps is ``2015-08-11`` (a day) or ``2015-08-11T13:44:43`` (a time, when the source gave one).
Well-formed ISO strings are read directly; the rest go to dateparser (Arabic, English and
French month names). A date is only kept when it names its year, month and day: "yesterday" or
"Monday" would be resolved against the clock, and an article's date is never the time it was
ingested.
"""
from __future__ import annotations

import re
from datetime import date, datetime

LANGUAGES = ["ar", "en", "fr"]
# A four-digit year from 1900 to 2099, in Western or Arabic-Indic digits: a date without one is relative.
_YEAR = re.compile(r"(?<![0-9٠-٩])(?:19|20|١٩|٢٠)[0-9٠-٩]{2}(?![0-9٠-٩])")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?")
_DASH = re.compile(r"\s[-–—]\s|[–—]")
# How far into an article's text a dateline may start, and how long its date part may be.
DATELINE_CHARS = 120
MAX_DATE_CHARS = 80


def normalise_date(value: object) -> str | None:
    """``value`` (a string, ``date`` or ``datetime``) as ISO 8601, or None when it is not a full
    date (no year, a relative expression, or nothing a parser reads)."""
    if isinstance(value, datetime):
        return _iso(value, with_time=bool(value.hour or value.minute or value.second))
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if (m := _PDF_DATE.match(text)) is not None:
        return _pdf_date(m)
    if not text or len(text) > MAX_DATE_CHARS or not _YEAR.search(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = _parse(text)
        if parsed is None:
            return None
    if not 1900 <= parsed.year <= 2099:
        return None
    return _iso(parsed, with_time=bool(_TIME.search(text)))


def dateline_date(text: str) -> str | None:
    """The date of a dateline at the start of ``text`` ("RABAT, Aug. 11, 2015 —", "الرياض - 11
    أغسطس 2015 -"): a full date in one of the first two parts of its first line, split at dashes."""
    head = text.lstrip()[:DATELINE_CHARS].split("\n", 1)[0]
    parts = _DASH.split(head)
    if len(parts) < 2:
        return None
    for part in parts[:2]:
        if not _YEAR.search(part):
            continue
        # The city or agency before the date ("الرياض، 11 أغسطس 2015"): tried from each word on.
        words = part.replace("،", " ").split()
        for start in range(len(words)):
            found = normalise_date(" ".join(words[start:]).strip(" ,()"))
            if found is not None:
                return found
    return None


def _parse(text: str) -> datetime | None:
    import dateparser  # here: loading its language data costs a start that needs none

    try:
        return dateparser.parse(text, languages=LANGUAGES, settings={
            "REQUIRE_PARTS": ["day", "month", "year"], "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "DMY"})
    except (ValueError, OverflowError, TypeError):
        return None


def _pdf_date(m: re.Match) -> str | None:
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in m.groups())
    try:
        return _iso(datetime(year, month, day, hour, minute, second), with_time=m.group(4) is not None)
    except ValueError:
        return None


def _iso(moment: datetime, *, with_time: bool) -> str:
    """A day, or a time to the second (with its offset from UTC when the source gave one)."""
    return moment.isoformat(timespec="seconds") if with_time else moment.date().isoformat()
