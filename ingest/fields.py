"""How to read other people's records: which of a record's fields holds the text, the title, the
date, the outlet, the author and the address, and what to assume where a file says nothing.

A newsroom's export never has exactly our field names. The common ones are recognised without
being told (``content``/``body``/``article`` for the text, ``date``/``date_extracted``/
``published_at`` for the date, ``source``/``outlet``/``site`` for the outlet, ...); a mapping
given at ingest (``--fields text=content,published=date_extracted``) is tried first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInput
from .records import Provenance

# What each of our fields may be called in a record, in the order they are tried.
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "guid", "uuid"),
    "title": ("title", "headline", "name"),
    "text": ("text", "content", "body", "article", "article_body", "articleBody", "full_text", "story"),
    "published": ("published", "published_at", "publishedAt", "date_published", "datePublished", "pubDate",
                  "date", "date_extracted", "datetime", "created_at", "time"),
    "outlet": ("outlet", "source", "site", "site_name", "publisher", "newspaper", "publication", "source_name"),
    "author": ("author", "authors", "byline", "writer", "creator"),
    "url": ("url", "link", "href", "permalink"),
}
TARGETS = tuple(COMMON_NAMES)
MAX_MAPPING_CHARS = 2000


@dataclass(frozen=True)
class RecordFields:
    """Our field → the record's field, for the fields a user named; the rest by common names."""

    mapping: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, spec: str | None) -> RecordFields:
        """``"text=content,published=date_extracted"`` (or empty) → the mapping; an
        :class:`InvalidInput` naming what is wrong with it."""
        if not spec or not spec.strip():
            return cls()
        if len(spec) > MAX_MAPPING_CHARS:
            raise InvalidInput(f"the field mapping is too long ({len(spec)} characters; the limit is {MAX_MAPPING_CHARS})")
        pairs: dict[str, str] = {}
        for item in spec.split(","):
            ours, sep, theirs = (part.strip() for part in item.partition("="))
            if not sep or not ours or not theirs:
                raise InvalidInput(f"field mapping: '{item.strip()}' is not OURS=THEIRS (e.g. text=content)")
            if ours not in COMMON_NAMES:
                raise InvalidInput(f"field mapping: unknown field '{ours}' (known: {', '.join(TARGETS)})")
            if ours in pairs:
                raise InvalidInput(f"field mapping: '{ours}' is mapped twice")
            pairs[ours] = theirs
        return cls(tuple(pairs.items()))

    def names(self, ours: str) -> tuple[str, ...]:
        given = dict(self.mapping).get(ours)
        return (given,) if given is not None else COMMON_NAMES[ours]

    def value(self, record: dict[str, Any], ours: str) -> tuple[str | None, Any]:
        """``(the record's field name, its value)`` for our field ``ours``: the first name present
        with a non-empty value (a mapped field that is absent is not looked for elsewhere)."""
        for name in self.names(ours):
            value = record.get(name)
            if value not in (None, "", [], {}):
                return name, value
        return None, None

    def describe(self) -> str:
        return ",".join(f"{ours}={theirs}" for ours, theirs in self.mapping)


@dataclass(frozen=True)
class ReadOptions:
    """What a reader of files is told besides the files: the records' field names, and the
    outlet (or other provenance) of articles whose file does not say."""

    fields: RecordFields = field(default_factory=RecordFields)
    defaults: Provenance = field(default_factory=Provenance)

    @classmethod
    def of(cls, fields: str | None = None, outlet: str | None = None) -> ReadOptions:
        outlet = " ".join((outlet or "").split()) or None
        if outlet is not None and len(outlet) > 200:
            raise InvalidInput(f"the outlet name is too long ({len(outlet)} characters; the limit is 200)")
        return cls(RecordFields.parse(fields), Provenance(outlet=outlet))


PLAIN_READING = ReadOptions()
