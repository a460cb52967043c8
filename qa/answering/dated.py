"""The days a question names ("yesterday", "في أغسطس"), as the filter its search keeps to and as
its answer says them: :func:`asked_days` reads them (qa/answering/periods.py) against the
question's reference day and meets them with the caller's own filter; :func:`say_days` puts
them in the answer (``period``, and a notice in the question's language)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from vectorstore.filters import Filters

from ..answer import Answer
from ..language import period_notice
from .periods import AskedPeriod, asked_period


@dataclass(frozen=True)
class AskedDays:
    """The days a question named, as the filter its search keeps to."""

    period: AskedPeriod
    filters: Filters  # the question's own filter, narrowed to those days
    found: bool  # whether any stored article is from those days (when none is: searched without them)


def asked_days(question: str, filters: Filters, as_of: date | None,
               store_days: Callable[[], tuple[int, int] | None]) -> AskedDays | None:
    """The days ``question`` names, read against ``as_of`` (None: today), ``filters`` narrowed
    to them; ``store_days()``: the first and last day of the stored articles (None: none dated),
    read only when the question names days."""
    period = asked_period(question, as_of or date.today())
    if period is None:
        return None
    narrowed = filters.narrowed(period.since, period.until)
    return AskedDays(period, narrowed, narrowed.overlaps_days(store_days()))


def say_days(answer: Answer, days: AskedDays | None) -> None:
    """Say in the answer which days were searched (or that none of the articles is from them)."""
    if days is None:
        return
    period, since, until = days.period, days.filters.since, days.filters.until
    answer.period = {**period.to_dict(), "since": since.isoformat() if since else None,
                     "until": until.isoformat() if until else None, "found": days.found}
    said = period_notice(answer.question_used or period.expression, since, until, period.expression,
                         period.as_of, found=days.found)
    answer.notice = "\n".join(filter(None, [said, answer.notice]))
