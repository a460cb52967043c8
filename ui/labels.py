"""Who published a source and when, as a reader sees it beside the source: "Okaz · 11 Aug 2015",
"عكاظ · 11 أغسطس 2015", in the reader's language. One formatter for the page and the command
line; the widget formats the same fields in the browser."""
from __future__ import annotations

from datetime import date

from ingest.records import Provenance

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    # The month names of the Arab East, as Saudi and Gulf papers print them.
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"),
}


def day_label(published: str | None, language: str) -> str | None:
    """``2015-08-11`` (or a time that day) as the reader's language writes a day."""
    if not published:
        return None
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return None
    months = MONTHS.get(language, MONTHS["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


def source_label(provenance: Provenance, language: str) -> str:
    """The outlet and the day, joined by a middle dot; "" when neither is known."""
    return " · ".join(part for part in (provenance.outlet, day_label(provenance.published, language)) if part)
