"""The store's records and their Chroma metadata, written and read in this one place.

| collection | id | document | metadata |
|---|---|---|---|
| ``<name>_articles`` | article id | the full original text | title, source, format, outlet, published, author, url, day, story, pages, chunks, version, ingested_at |
| ``<name>_chunks`` | chunk id | the chunk's text | article_id, title, chunk_index, start, end, page, version, outlet, published, author, url, day, story |
| ``<name>_sentences`` | ``<article id>:s<index>`` | (none) | article_id, sentence_index, start, end, version, outlet, day |
| ``<name>_journal`` | article id | (none) | version, pid, host, started |

Offsets (``start``/``end``) index the article's original text. ``version`` is the article's
content-and-chunking version (:func:`ingest.pipeline.chunking_version`). ``outlet``,
``published``, ``author`` and ``url`` are the article's :class:`ingest.Provenance`; ``day`` its
publication day as a number (days since 1970), because Chroma compares numbers only: with
``outlet`` it is what a search's filter reads (:mod:`vectorstore.filters`), on every chunk and
sentence so that the filter is applied inside the search. ``story``: the story the article is a
copy in (:mod:`vectorstore.stories`; absent in stores written before stories, and read as the
article's own id).
"""
from __future__ import annotations

import json
from typing import Any

from ingest import Article, ArticleInfo, Chunk, PageSpan, Passage, Provenance


def clean(meta: dict[str, Any]) -> dict[str, Any]:
    """A record's metadata as written. Chroma stores no None, and an upsert *merges* metadata
    into a record already there: a key left out keeps the replaced version's value (an article
    re-ingested without its author kept the old one). None removes the key, so every optional
    field is written, None when absent."""
    return dict(meta)


def provenance_metadata(provenance: Provenance) -> dict[str, Any]:
    return {**provenance.to_dict(), "day": provenance.day}


def filter_metadata(provenance: Provenance) -> dict[str, Any]:
    """What a search's filter reads (outlet, day), on every chunk and sentence."""
    return {"outlet": provenance.outlet, "day": provenance.day}


# -- articles ---------------------------------------------------------------------------------------
def article_metadata(article: Article, n_chunks: int, version: str, now: float,
                     story: str | None = None) -> dict[str, Any]:
    return clean({
        "title": article.title,
        "source": article.source,
        "format": article.format,
        **provenance_metadata(article.provenance),
        "story": story or article.id,
        "pages": json.dumps([[p.page, p.start, p.end] for p in article.pages]) if article.pages else None,
        "chunks": n_chunks,
        "version": version,
        "ingested_at": now,
    })


def article_info(article_id: str, meta: dict[str, Any]) -> ArticleInfo:
    return ArticleInfo(
        id=article_id,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        format=str(meta.get("format", "")),
        provenance=Provenance.of(meta),
        chunks=int(meta.get("chunks", 0)),
        version=str(meta.get("version", "")),
        ingested_at=float(meta.get("ingested_at", 0.0)),
        story=str(meta.get("story") or article_id),
    )


def article_from_record(article_id: str, meta: dict[str, Any], text: str) -> Article:
    info = article_info(article_id, meta)
    pages = [PageSpan(*p) for p in json.loads(meta["pages"])] if meta.get("pages") else []
    return Article(id=info.id, title=info.title, text=text, source=info.source, format=info.format,
                   provenance=info.provenance, pages=pages)


# -- chunks -----------------------------------------------------------------------------------------
def chunk_metadata(article: Article, chunk: Chunk, version: str, story: str | None = None) -> dict[str, Any]:
    return clean({"article_id": article.id, "title": article.title, "chunk_index": chunk.index,
                  "start": chunk.start, "end": chunk.end, "page": chunk.page, "version": version,
                  **provenance_metadata(article.provenance), "story": story or article.id})


def passage_from_record(chunk_id: str, text: str, meta: dict[str, Any], score: float, scores: dict[str, float]) -> Passage:
    page = meta.get("page")
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        title=str(meta.get("title", "")),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        page=int(page) if page is not None else None,
        chunk_index=int(meta.get("chunk_index", 0)),
        score=score,
        scores=scores,
        provenance=Provenance.of(meta),
        story=str(meta.get("story") or meta.get("article_id", "")),
    )


# -- sentences --------------------------------------------------------------------------------------
def sentence_id(article_id: str, index: int) -> str:
    return f"{article_id}:s{index:05d}"


def sentence_metadata(article: Article, index: int, span: tuple[int, int], version: str) -> dict[str, Any]:
    return clean({"article_id": article.id, "sentence_index": index, "start": span[0], "end": span[1],
                  "version": version, **filter_metadata(article.provenance)})


def sentence_span(meta: dict[str, Any]) -> tuple[str, int, int]:
    """``(article id, start, end)`` of a stored sentence."""
    return str(meta["article_id"]), int(meta["start"]), int(meta["end"])
