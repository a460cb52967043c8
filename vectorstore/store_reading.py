"""The reading half of :class:`vectorstore.chroma.ArticleStore`: articles, chunks, sentences and
the dense searches, over the collections the store opened (``articles``, ``chunks``,
``sentences``) and its ``config`` (for :func:`~vectorstore.connection.guard`)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ingest import Article, ArticleInfo, Passage

from . import schema
from .connection import guard
from .stories import Lead


class StoreReading:
    """Mixed into :class:`~vectorstore.chroma.ArticleStore`; reads, never writes."""

    # -- reading ------------------------------------------------------------------------------
    def list_articles(self) -> list[ArticleInfo]:
        with guard(self.config):
            got = self.articles.get(include=["metadatas"])
        infos = [schema.article_info(i, m or {}) for i, m in zip(got["ids"], got["metadatas"])]
        return sorted(infos, key=lambda a: (a.title, a.id))

    def _article_record(self, article_id: str) -> tuple[dict[str, Any], str] | None:
        with guard(self.config):
            got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return got["metadatas"][0] or {}, got["documents"][0]

    def get_article(self, article_id: str) -> tuple[ArticleInfo, str] | None:
        """An article's metadata and full original text (what chunk offsets point into)."""
        record = self._article_record(article_id)
        if record is None:
            return None
        meta, text = record
        return schema.article_info(article_id, meta), text

    def load_article(self, article_id: str) -> Article | None:
        record = self._article_record(article_id)
        return None if record is None else schema.article_from_record(article_id, *record)

    def count_articles(self) -> int:
        with guard(self.config):
            return self.articles.count()

    def count_chunks(self) -> int:
        with guard(self.config):
            return self.chunks.count()

    def chunk_ids(self) -> list[str]:
        """Every stored chunk id (ids only: far cheaper to read than metadata)."""
        with guard(self.config):
            return list(self.chunks.get(include=[])["ids"])

    def article_versions(self) -> dict[str, str]:
        """``article id -> content version`` of every committed article."""
        with guard(self.config):
            got = self.articles.get(include=["metadatas"])
        return {i: str((m or {}).get("version", "")) for i, m in zip(got["ids"], got["metadatas"])}

    def get_chunks(self, chunk_ids: list[str], page_size: int = 2000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(id, text, metadata)`` of the given chunks (missing ones are skipped)."""
        for start in range(0, len(chunk_ids), page_size):
            with guard(self.config):
                got = self.chunks.get(ids=chunk_ids[start : start + page_size], include=["documents", "metadatas"])
            yield from zip(got["ids"], got["documents"], got["metadatas"])

    def iter_chunks(self, page_size: int = 2000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every stored chunk as ``(id, text, metadata)``, in pages."""
        offset = 0
        while True:
            with guard(self.config):
                got = self.chunks.get(include=["documents", "metadatas"], limit=page_size, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"], got["metadatas"])
            offset += len(got["ids"])

    # -- search -------------------------------------------------------------------------------
    def outlets(self) -> list[str]:
        """Every outlet a stored article names (read again only after the store changed)."""
        return self._facets()[0]

    def days(self) -> tuple[int, int] | None:
        """The first and last day (days since 1970) a stored article was published; None when
        no stored article has a date."""
        return self._facets()[1]

    def shared_stories(self) -> frozenset[str]:
        """The stories more than one stored article belongs to (copies of one wire story)."""
        return self._facets()[2]

    def _facets(self) -> tuple[list[str], tuple[int, int] | None, frozenset[str]]:
        revision = self.flags.revision()
        cached = self._facets_read
        if cached is None or cached[0] != revision:
            with guard(self.config):
                got = self.articles.get(include=["metadatas"])
            metas = [(i, m) for i, m in zip(got["ids"], got["metadatas"]) if m]
            days = [int(m["day"]) for _, m in metas if m.get("day") is not None]
            seen: set[str] = set()
            shared: set[str] = set()
            for article_id, m in metas:
                story = str(m.get("story") or article_id)
                (shared if story in seen else seen).add(story)
            cached = (revision, (sorted({str(m["outlet"]) for _, m in metas if m.get("outlet")}),
                                 (min(days), max(days)) if days else None, frozenset(shared)))
            self._facets_read = cached
        return cached[1]

    def nearest_leads(self, vectors, n: int) -> list[list[tuple[Lead, float]]]:
        """For each vector, the ``n`` stored leads (first chunks) nearest to it, with their
        similarity: what a new article is compared with to find its story."""
        with guard(self.config):
            n = min(n, self.chunks.count())
            if n <= 0 or not len(vectors):
                return [[] for _ in range(len(vectors))]
            got = self.chunks.query(query_embeddings=list(vectors), n_results=n, where={"chunk_index": 0},
                                    include=["documents", "metadatas", "distances"])
        out = []
        for texts, metas, dists in zip(got["documents"], got["metadatas"], got["distances"]):
            out.append([(Lead(str(m.get("article_id", "")), str(m.get("story") or m.get("article_id", "")), t,
                              m.get("day")), 1.0 - float(d)) for t, m, d in zip(texts, metas, dists)])
        return out

    def story_chunks(self, stories: list[str], where: dict[str, Any] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        """``(id, text, metadata)`` of every chunk of these stories (among those ``where`` admits)."""
        if not stories:
            return []
        clause: dict[str, Any] = {"story": {"$in": stories}}
        with guard(self.config):
            got = self.chunks.get(where={"$and": [clause, where]} if where else clause,
                                  include=["documents", "metadatas"])
        return list(zip(got["ids"], got["documents"], got["metadatas"]))

    def search_vector(self, vector, k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """The ``k`` chunks nearest to ``vector`` (dense search), among those ``where`` admits."""
        with guard(self.config):
            n = min(k, self.chunks.count())
            if n <= 0:
                return []
            got = self.chunks.query(query_embeddings=[vector], n_results=n, where=where,
                                    include=["documents", "metadatas", "distances"])
        passages = []
        for cid, text, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
            score = 1.0 - float(dist)
            passages.append(schema.passage_from_record(cid, text, meta, score, {"dense": score}))
        return passages

    def search_sentences(self, vector, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, int, int, float]]:
        """The ``n`` sentences nearest to ``vector`` among those ``where`` admits: ``(article id,
        start, end, similarity)``."""
        with guard(self.config):
            n = min(n, self.sentences.count())
            if n <= 0:
                return []
            got = self.sentences.query(query_embeddings=[vector], n_results=n, where=where,
                                       include=["metadatas", "distances"])
        return [(*schema.sentence_span(m), 1.0 - float(d)) for m, d in zip(got["metadatas"][0], got["distances"][0])]

    def sentence_vectors(self, article_ids: list[str]) -> list[tuple[str, int, int, Any]]:
        """Every stored sentence of these articles: ``(article id, start, end, vector)``."""
        if not article_ids:
            return []
        with guard(self.config):
            got = self.sentences.get(where={"article_id": {"$in": list(article_ids)}}, include=["metadatas", "embeddings"])
        return [(*schema.sentence_span(m), e) for m, e in zip(got["metadatas"], got["embeddings"])]
