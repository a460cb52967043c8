"""The records every layer passes around, kept in the lowest layer so that any layer may
import them: where an article comes from (its outlet, date, author, address), an article as
the store lists it, and a passage as retrieval returns it. (:class:`ingest.Article`, the
article itself, is in ``ingest/article.py``.)"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

# A sentence of an article: (start, end, similarity to the question), article offsets.
SentenceSpan = tuple[int, int, float]


@dataclass(frozen=True)
class Provenance:
    """Who published an article, when, written by whom, and where it can be read: the one
    record of an article's news metadata, carried unchanged from the loader to the store, to
    every passage retrieved from it and to every citation of it.

    ``published`` is ISO 8601, a day (``2015-08-11``) or a time (``2015-08-11T13:44:43``), and
    ``None`` when no source said it (never the time of ingestion)."""

    outlet: str | None = None
    published: str | None = None
    author: str | None = None
    url: str | None = None

    @property
    def day(self) -> int | None:
        """The day published, as days since 1970-01-01: what date filters compare."""
        if not self.published:
            return None
        try:
            return day_number(date.fromisoformat(self.published[:10]))
        except ValueError:
            return None

    def with_defaults(self, other: Provenance) -> Provenance:
        """This record, each missing field taken from ``other``."""
        return Provenance(*(mine or theirs for mine, theirs in zip(self.fields(), other.fields())))

    def fields(self) -> tuple[str | None, ...]:
        return self.outlet, self.published, self.author, self.url

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def of(cls, data: dict | None) -> Provenance:
        """From :meth:`to_dict`'s form (or stored metadata holding its keys); others ignored."""
        data = data or {}
        return cls(**{k: (str(data[k]) if data.get(k) not in (None, "") else None) for k in _PROVENANCE_KEYS})


def day_number(day: date) -> int:
    """Days since 1970-01-01: how the store keeps a day (its filters compare numbers only)."""
    return day.toordinal() - _EPOCH


_EPOCH = date(1970, 1, 1).toordinal()
_PROVENANCE_KEYS = ("outlet", "published", "author", "url")


@dataclass
class ArticleInfo:
    """An article in the store, without its text."""

    id: str
    title: str
    source: str
    format: str
    provenance: Provenance
    chunks: int
    version: str
    ingested_at: float
    # The story it is a copy in (the same wire text printed by several outlets): the id every
    # copy carries, the first stored copy's; an article no other copies carries its own.
    story: str = ""

    def __post_init__(self) -> None:
        self.story = self.story or self.id


@dataclass
class Passage:
    """A retrieved chunk, with everything a citation needs."""

    chunk_id: str
    article_id: str
    title: str
    text: str
    start: int  # offsets of the chunk in its article's text
    end: int
    page: int | None
    chunk_index: int
    score: float
    scores: dict[str, float]
    # The article's indexed sentences that lie inside this chunk, each with its similarity to
    # the question: the only sentences an answerer quotes (retrieval fills them in).
    sentences: list[SentenceSpan] = field(default_factory=list)
    provenance: Provenance = field(default_factory=Provenance)
    story: str = ""  # its article's story (ArticleInfo.story); "" read as the article's own
    # The same passage as other outlets printed it (retrieval returns a story once), oldest first.
    copies: list[Passage] = field(default_factory=list)

    @property
    def story_id(self) -> str:
        return self.story or self.article_id
