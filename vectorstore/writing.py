"""How a batch of articles is written so that a crash at any point can be repaired: journal
entries first, then chunks and sentences, then the article records (the commit markers), then
the journal entries go. An article whose record is missing or carries another version, with a
journal entry left behind, was interrupted (``vectorstore.indexing.Indexer.recover``)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ingest import Article, Chunk

from . import schema
from .journal import PLACEHOLDER_VECTOR, Journal


@dataclass
class IndexedArticle:
    """One article ready to store: its chunks and sentences, each with its vector."""

    article: Article
    chunks: list[Chunk]
    version: str
    chunk_vectors: Any
    sentence_spans: list[tuple[int, int]]
    sentence_vectors: Any
    story: str | None = None  # the story it is a copy in (vectorstore.stories); None: its own


def write_records(articles, chunks, sentences, journal: Journal, items: list[IndexedArticle], step: int) -> None:
    """Write ``items`` into the four collections in bulk calls of at most ``step`` records."""
    ids = [item.article.id for item in items]
    existing = set(articles.get(ids=ids, include=[])["ids"])
    now = time.time()
    journal.begin([(item.article.id, item.version) for item in items], now)
    chunk_rows = [(c, item, i) for item in items for i, c in enumerate(item.chunks)]
    for start in range(0, len(chunk_rows), step):
        part = chunk_rows[start : start + step]
        chunks.upsert(
            ids=[c.id for c, _, _ in part],
            embeddings=[item.chunk_vectors[i] for _, item, i in part],
            documents=[c.text for c, _, _ in part],
            metadatas=[schema.chunk_metadata(item.article, c, item.version, item.story) for c, item, _ in part],
        )
    sentence_rows = [(span, item, i) for item in items for i, span in enumerate(item.sentence_spans)]
    for start in range(0, len(sentence_rows), step):
        part = sentence_rows[start : start + step]
        sentences.upsert(
            ids=[schema.sentence_id(item.article.id, i) for _, item, i in part],
            embeddings=[item.sentence_vectors[i] for _, item, i in part],
            metadatas=[schema.sentence_metadata(item.article, i, span, item.version) for span, item, i in part],
        )
    for item in items:
        if item.article.id in existing:
            # Chunks and sentences beyond the new counts belong to an older, longer version.
            aid = item.article.id
            chunks.delete(where={"$and": [{"article_id": aid}, {"chunk_index": {"$gte": len(item.chunks)}}]})
            sentences.delete(where={"$and": [{"article_id": aid},
                                             {"sentence_index": {"$gte": len(item.sentence_spans)}}]})
    articles.upsert(
        ids=ids,
        embeddings=[PLACEHOLDER_VECTOR] * len(items),
        documents=[item.article.text for item in items],
        metadatas=[schema.article_metadata(item.article, len(item.chunks), item.version, now, item.story)
                   for item in items],
    )
    journal.finish(ids)
