"""What a search is limited to: some outlets, a span of publication days, some articles.

A filter is applied inside each search, never to its first results afterwards: the dense and
sentence searches pass it to Chroma as ``where`` (every chunk and sentence carries its
article's ``outlet`` and ``day``, :mod:`vectorstore.schema`), and BM25 scores only the chunks it
admits (a weight mask over the same metadata). So a question asked within one paper finds every
passage of that paper there is, however many other papers' passages resemble it more.

An article whose date is unknown is outside any date span; one whose outlet is unknown is
outside any outlet list.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from datetime import date
from typing import Any

from ingest.dates import normalise_date
from ingest.errors import InvalidInput
from ingest.records import day_number

MAX_VALUES = 200  # outlets or article ids one filter may name
MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class Filters:
    outlets: tuple[str, ...] = ()
    since: date | None = None  # first day, included
    until: date | None = None  # last day, included
    article_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, outlets: Iterable[str] | str | None = None, since: str | date | None = None,
           until: str | date | None = None, article_ids: Iterable[str] | str | None = None) -> Filters:
        """A filter from what a caller gives (dates as ``2015-08-01`` or any full date); an
        :class:`InvalidInput` naming what is wrong (a date that is none, since after until)."""
        found = cls(_names(outlets, "outlets"), _day(since, "since"), _day(until, "until"), _names(article_ids, "article_ids"))
        if found.since and found.until and found.since > found.until:
            raise InvalidInput(f"since ({found.since.isoformat()}) is after until ({found.until.isoformat()})")
        return found

    def __bool__(self) -> bool:
        return bool(self.outlets or self.since or self.until or self.article_ids)

    def resolved(self, known_outlets: Iterable[str]) -> Filters:
        """The same filter with each outlet spelled as the store spells it (case and spacing
        aside); an :class:`InvalidInput` naming an outlet no stored article has."""
        if not self.outlets:
            return self
        by_key: dict[str, list[str]] = {}
        for name in known_outlets:  # "Okaz" and "okaz" are one outlet, spelled twice
            by_key.setdefault(_key(name), []).append(name)
        unknown = [name for name in self.outlets if _key(name) not in by_key]
        if unknown:
            listed = ", ".join(sorted(n for names in by_key.values() for n in names)[:30]) or \
                "none: no stored article names its outlet"
            raise InvalidInput(f"unknown outlet {', '.join(repr(u) for u in unknown)} (the store's outlets: {listed})")
        spelled = tuple(dict.fromkeys(name for n in self.outlets for name in by_key[_key(n)]))
        return Filters(spelled, self.since, self.until, self.article_ids)

    def narrowed(self, since: date | None, until: date | None) -> Filters:
        """This filter kept also to the days from ``since`` to ``until`` (None: open). Days
        that no longer meet (since after until) admit nothing."""
        first = max(d for d in (self.since, since) if d is not None) if (self.since or since) else None
        last = min(d for d in (self.until, until) if d is not None) if (self.until or until) else None
        return Filters(self.outlets, first, last, self.article_ids)

    def overlaps_days(self, days: tuple[int, int] | None) -> bool:
        """Whether this filter's days meet the span ``days`` (first, last) at all."""
        first, last = self.days
        if first is None and last is None:
            return True
        if days is None:
            return False
        return (first is None or first <= days[1]) and (last is None or last >= days[0]) and (
            first is None or last is None or first <= last)

    @cached_property  # (read for every chunk a BM25 mask is built over)
    def days(self) -> tuple[int | None, int | None]:
        return (None if self.since is None else day_number(self.since),
                None if self.until is None else day_number(self.until))

    def where(self) -> dict[str, Any] | None:
        """The filter as a Chroma ``where`` over chunk or sentence metadata (None: no filter)."""
        first, last = self.days
        clauses: list[dict[str, Any]] = []
        if self.outlets:
            clauses.append({"outlet": {"$in": list(self.outlets)}})
        if first is not None:
            clauses.append({"day": {"$gte": first}})
        if last is not None:
            clauses.append({"day": {"$lte": last}})
        if self.article_ids:
            clauses.append({"article_id": {"$in": list(self.article_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, article_id: str, outlet: str | None, day: int | None) -> bool:
        """Whether a chunk with this metadata is inside the filter (the lexical side's test)."""
        first, last = self.days
        if self.outlets and outlet not in self.outlets:
            return False
        if (first is not None or last is not None) and day is None:
            return False
        if first is not None and day < first:
            return False
        if last is not None and day > last:
            return False
        return not self.article_ids or article_id in self.article_ids


NO_FILTER = Filters()


def filters_from(data: Mapping[str, Any] | Filters | None) -> Filters:
    """A :class:`Filters` from itself, None, or a mapping with its field names."""
    if data is None:
        return NO_FILTER
    if isinstance(data, Filters):
        return data
    if not isinstance(data, Mapping):
        raise InvalidInput(f"filters must be an object with outlets, since, until, article_ids; got {type(data).__name__}")
    unknown = set(data) - {"outlets", "since", "until", "article_ids"}
    if unknown:
        raise InvalidInput(f"unknown filter {', '.join(sorted(map(str, unknown)))} (known: outlets, since, until, article_ids)")
    return Filters.of(data.get("outlets"), data.get("since"), data.get("until"), data.get("article_ids"))


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _names(values: Iterable[str] | str | None, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [v for v in values.split(",")]
    try:
        items = list(values)
    except TypeError:
        raise InvalidInput(f"{what} must be a list of strings") from None
    if len(items) > MAX_VALUES:
        raise InvalidInput(f"{what}: at most {MAX_VALUES} values, got {len(items)}")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(f"{what} must be a list of strings, got {type(item).__name__}")
        item = " ".join(item.split())
        if len(item) > MAX_VALUE_CHARS:
            raise InvalidInput(f"{what}: a value is too long ({len(item)} characters; the limit is {MAX_VALUE_CHARS})")
        if item:
            out.append(item)
    return tuple(dict.fromkeys(out))


def _day(value: str | date | None, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a date such as 2015-08-01, got {type(value).__name__}")
    found = normalise_date(value)
    if found is None:
        raise InvalidInput(f"{what}: {value[:60]!r} is not a date with a year, month and day (e.g. 2015-08-01)")
    return date.fromisoformat(found[:10])
