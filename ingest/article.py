"""The unit of ingestion: one article, with its original text and where it came from."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .normalize import normalize_for_matching


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
    source: str = ""
    format: str = ""
    url: str | None = None
    published: str | None = None
    pages: list[PageSpan] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything that ends up in the store changes."""
        h = hashlib.sha256()
        for part in (self.title, self.text, self.url or "", self.published or ""):
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
