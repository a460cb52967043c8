"""The records every layer passes around, kept in the lowest layer so that any layer may
import them: an article as the store lists it, and a passage as retrieval returns it.
(:class:`ingest.Article`, the article itself, is in ``ingest/article.py``.)"""
from __future__ import annotations

from dataclasses import dataclass, field

# A sentence of an article: (start, end, similarity to the question), article offsets.
SentenceSpan = tuple[int, int, float]


@dataclass
class ArticleInfo:
    """An article in the store, without its text."""

    id: str
    title: str
    source: str
    format: str
    url: str | None
    published: str | None
    chunks: int
    version: str
    ingested_at: float


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
