"""The indexing step between ingestion and the store: it embeds what ingestion chunked, and
hands the store finished records with their vectors. It is the :class:`ingest.ArticleSink`
that ``ingest_paths`` writes to, and it repairs what a killed writer left half done.

Each article is indexed twice over: its chunks (what retrieval returns and citations show)
and its sentences, split from the whole article (``ingest.chunking.article_sentences``), so a
question that paraphrases one sentence finds it, and an answerer quotes exactly those spans.
"""
from __future__ import annotations

import numpy as np

from ingest import Article, Chunk, ChunkingOptions, chunk_article
from ingest.chunking import article_sentences
from ingest.pipeline import chunking_version

from .chroma import DELETING, REINDEXING, ArticleStore, IndexedArticle
from .connection import StoreError, guard
from .embedders import IsnadEmbeddings
from .stories import NEIGHBOURS, Lead, assign_stories


class Indexer:
    """Chunks in, vectors computed, records out to the store."""

    def __init__(self, store: ArticleStore, embedder: IsnadEmbeddings):
        self.store = store
        self.embedder = embedder

    # -- ArticleSink ----------------------------------------------------------------------------
    def versions(self, article_ids: list[str]) -> dict[str, str]:
        return self.store.versions(article_ids)

    def write(self, batch: list[tuple[Article, list[Chunk], str]]) -> list[tuple[str, Exception]]:
        """Embed every chunk and sentence of the batch at once (the embedder is fastest on
        large batches), then store the batch."""
        sentences = [article_sentences(article) for article, _, _ in batch]
        texts = [c.text for _, chunks, _ in batch for c in chunks]
        texts += [article.text[s:e] for (article, _, _), spans in zip(batch, sentences) for s, e in spans]
        vectors = self.embedder.embed_passages(texts)
        items: list[IndexedArticle] = []
        chunk_offset, sentence_offset = 0, sum(len(chunks) for _, chunks, _ in batch)
        for (article, chunks, version), spans in zip(batch, sentences):
            items.append(IndexedArticle(article, chunks, version, vectors[chunk_offset : chunk_offset + len(chunks)],
                                        spans, vectors[sentence_offset : sentence_offset + len(spans)]))
            chunk_offset += len(chunks)
            sentence_offset += len(spans)
        self._find_stories(items)
        return self.store.write(items)

    def _find_stories(self, items: list[IndexedArticle]) -> None:
        """Each article's story: the stored one, or the batch's, it is a copy in (vectorstore.stories)."""
        with_lead = [item for item in items if item.chunks]
        if not with_lead:
            return
        leads = [Lead(item.article.id, item.article.id, item.chunks[0].text, item.article.provenance.day)
                 for item in with_lead]
        vectors = np.asarray([item.chunk_vectors[0] for item in with_lead], dtype=np.float32)
        stored = self.store.nearest_leads(vectors, NEIGHBOURS)
        for item, story in zip(with_lead, assign_stories(leads, vectors, stored)):
            item.story = story

    def long_write(self):
        """A run of many writes (an ingest of many files): see :meth:`ArticleStore.long_write`."""
        return self.store.long_write()

    def remove_other_articles_from_source(self, source: str, keep_id: str) -> int:
        stale = [i for i in self.store.articles_from_source(source) if i != keep_id]
        for article_id in stale:
            self.store.remove(article_id)
        return len(stale)

    # -- crash recovery -------------------------------------------------------------------------
    def recover(self, options: ChunkingOptions, stale_after: float = 3600.0) -> list[str]:
        """Finish writes that a killed process left half done; returns the article ids repaired.
        A new article's partial chunks are deleted; a replaced article is rebuilt from the text
        its record still holds, so no orphan or mixed-version chunk survives."""
        store = self.store
        with guard(store.config):
            entries = store.journal.entries()
        repaired = []
        for article_id, meta in entries:
            if not store.journal.abandoned(meta, stale_after):
                continue
            if meta.get("version") == DELETING:
                # A deletion killed halfway: finish it (its record may be gone already).
                store.remove(article_id)
                with guard(store.config):
                    store.journal.finish([article_id])
                repaired.append(article_id)
                continue
            committed = store.versions([article_id]).get(article_id)
            previous = None
            if committed != meta.get("version"):
                # Its chunks are partly written (or partly overwritten): drop them all, then
                # rebuild the article that was there before, if any, from its stored text.
                store.discard_vectors(article_id)
                previous = store.load_article(article_id) if committed is not None else None
                if previous is not None:
                    store.mark_repairing(article_id)
                repaired.append(article_id)
            if previous is not None:
                self._write_checked([(previous, chunk_article(previous, options), chunking_version(previous, options))],
                                    "recovery")
            with guard(store.config):
                store.journal.finish([article_id])
        if store.flags.reindexing:
            repaired += self._finish_reindex(options)
        if repaired:
            store.content_changed()
        return repaired

    def _finish_reindex(self, options: ChunkingOptions, batch_chunks: int = 64, progress=None, *,
                        just_dropped: bool = False) -> list[str]:
        """Rebuild every article a re-index left without vectors (all of them, if it was killed
        before it started rebuilding), then clear the store's re-indexing flag. ``just_dropped``:
        no vector is left to discard first (the re-index itself, not a resumed one)."""
        store = self.store
        pending = [i for i, version in store.article_versions().items() if version == REINDEXING]
        batch: list[tuple[Article, list[Chunk], str]] = []
        for article_id in pending:
            article = store.load_article(article_id)
            if article is None:
                continue
            if not just_dropped:
                store.discard_vectors(article_id)  # what a killed re-index had written of it
            batch.append((article, chunk_article(article, options), chunking_version(article, options)))
            if sum(len(c) for _, c, _ in batch) >= batch_chunks:
                self._write_checked(batch, "re-indexing")
                batch = []
            if progress:
                progress(1)
        if batch:
            self._write_checked(batch, "re-indexing")
        store.flags.set_reindexing(False)
        return pending

    # -- re-embedding ---------------------------------------------------------------------------
    def reindex(self, options: ChunkingOptions, batch_chunks: int = 64, progress=None) -> tuple[int, int]:
        """Drop every chunk and sentence and re-embed all articles with this indexer's embedder.
        The article records (with their full text) stay, so no source file is needed.
        Returns ``(articles, chunks)``.

        Every record is marked uncommitted and the store flagged before any vector is dropped,
        and each article is committed again as it is rebuilt: a re-index killed at any point is
        finished by the next opening of the store (:meth:`recover`), never left as articles
        listed without chunks."""
        ids = [a.id for a in self.store.list_articles()]
        self.store.flags.set_reindexing(True)
        self.store.mark_uncommitted(ids, REINDEXING)
        self.store.drop_vectors()
        rebuilt = self._finish_reindex(options, batch_chunks, progress, just_dropped=True)
        self.store.content_changed()
        rebuilt_ids = set(rebuilt)
        n_chunks = sum(a.chunks for a in self.store.list_articles() if a.id in rebuilt_ids)
        return len(ids), n_chunks

    def _write_checked(self, batch: list[tuple[Article, list[Chunk], str]], doing: str) -> None:
        failures = self.write(batch)
        if failures:
            article_id, err = failures[0]
            raise StoreError(f"{doing} failed on article {article_id}: {err}")
