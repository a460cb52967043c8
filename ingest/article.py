"""The unit of ingestion: one article, with its original text and where it came from."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from .errors import InvalidInput
from .normalize import normalize_for_matching
from .records import Provenance


@dataclass(frozen=True)
class PageSpan:
    """A page of a paginated source: ``text[start:end]`` came from page ``page`` (1-based)."""

    page: int
    start: int
    end: int


@dataclass
class Article:
    """An article as loaded from a file, before chunking.

    ``text`` is the original body text; chunk offsets point into it and it is what a
    citation viewer displays. ``id`` is stable: the id the source gave, else a hash of
    the normalised text (see :func:`content_id`).
    """

    id: str
    title: str
    text: str
    source: str = ""  # the file it was read from ("" for a text given directly)
    format: str = ""
    provenance: Provenance = field(default_factory=Provenance)  # outlet, published, author, url
    pages: list[PageSpan] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything that ends up in the store changes."""
        h = hashlib.sha256()
        for part in (self.title, self.text, *(value or "" for value in self.provenance.fields())):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        for p in self.pages:
            h.update(f"{p.page}:{p.start}:{p.end};".encode())
        return h.hexdigest()[:16]


def content_id(text: str) -> str:
    """Stable article id for a text with no id of its own: hash of its matching form.

    Normalising first means the same article re-saved with other diacritics, digits or
    line wrapping keeps its id.
    """
    digest = hashlib.sha256(normalize_for_matching(text).encode("utf-8")).hexdigest()
    return f"a{digest[:15]}"


def address_id(url: str) -> str:
    """Stable id of a record with no id of its own but an address: the same story printed by two
    papers is two articles (their texts may be the same), and a corrected story at the same
    address replaces the first."""
    digest = hashlib.sha256(" ".join(url.split()).encode("utf-8")).hexdigest()
    return f"u{digest[:15]}"


def given_article(text: str, title: str, article_id: str | None = None, provenance: Provenance | None = None) -> Article:
    """An article given as text (pasted, or from another program): its date, given in any
    format a source writes one in, stored as ISO 8601 (else a dateline's); an
    :class:`~ingest.errors.InvalidInput` for an empty text or a date that is none."""
    from .chunking import is_blank
    from .dates import dateline_date, normalise_date

    text = text.replace("\r\n", "\n").strip()
    if is_blank(text):
        raise InvalidInput("the article text is empty")
    provenance = provenance or Provenance()
    published = normalise_date(provenance.published) if provenance.published else dateline_date(text)
    if provenance.published and published is None:
        raise InvalidInput(f"published: {provenance.published[:60]!r} is not a date with a year, month and day")
    return Article(id=article_id or content_id(text), title=title.strip() or "untitled", text=text, source="",
                   format="text", provenance=replace(provenance, published=published))
