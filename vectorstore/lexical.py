"""The lexical side of retrieval: BM25 (bm25s) over analysed terms of every stored chunk.

Terms come from :func:`ingest.analysis.terms` (Arabic-normalised, stop words dropped,
snowball-stemmed), the same analyser the answerer uses. The index lives in memory and follows
the store: every write or removal (by this process or any other sharing a Chroma server) sets
a new *revision* on the store, and the index re-syncs before the next search when it sees one.
A re-sync reads chunk *ids* and article versions only (a chunk's version is its article's:
they are written together, the article last), then fetches and analyses just the new chunks
and those of articles whose version changed.

Analysing is what makes a first build slow (mostly Arabic stemming; BENCHMARKS.md has the
figures), so the analysed terms are kept in a cache file (``cache_path``) that the next
process loads instead: entries are keyed by chunk id *and* content version, so a stale entry is
never used. The index keeps terms only; the text and metadata of the chunks a search returns
are read from the store (one call for at most ``k`` ids).
"""
from __future__ import annotations

import math
import os
import pickle
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bm25s
import numpy as np

from ingest.analysis import terms

if TYPE_CHECKING:
    from .chroma import ArticleStore


CACHE_FORMAT = 2
# Rewrite the cache when at least this many chunks were analysed since it was written.
CACHE_REFRESH = 500


@dataclass
class _Entry:
    article_id: str
    version: str
    terms: list[str]


class LexicalIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75, cache_path: Path | None = None):
        self.k1, self.b = k1, b
        self.cache_path = cache_path
        self._cache_loaded = False
        self._unsaved = 0
        self._store: ArticleStore | None = None
        self._entries: dict[str, _Entry] = {}
        self._ids: list[str] = []
        self._bm25: bm25s.BM25 | None = None
        self._vocab: set[str] = set()
        self._df: Counter[str] = Counter()
        self._revision: str | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def sync(self, store: ArticleStore) -> None:
        """Bring the index in step with ``store`` if it changed since the last sync."""
        revision = store.flags.revision()
        if revision == self._revision and self._bm25 is not None:
            return
        with self._lock:
            if revision == self._revision and self._bm25 is not None:
                return
            self._store = store
            if not self._cache_loaded:
                self._entries = self._load_cache()
                self._cache_loaded = True
            self._rebuild(store)
            self._revision = revision
            if self._unsaved >= CACHE_REFRESH or (self._unsaved and not self._cache_exists()):
                self._save_cache()

    # -- the terms cache --------------------------------------------------------------------
    def _cache_exists(self) -> bool:
        return self.cache_path is not None and self.cache_path.exists()

    def _load_cache(self) -> dict[str, _Entry]:
        if not self._cache_exists():
            return {}
        try:
            data = pickle.loads(self.cache_path.read_bytes())
            if data.get("format") != CACHE_FORMAT:
                return {}
            return {cid: _Entry(article, version, list(t)) for cid, (article, version, t) in data["entries"].items()}
        except Exception:  # noqa: BLE001 - a damaged cache is only a slower start
            return {}

    def _save_cache(self) -> None:
        if self.cache_path is None:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.cache_path.with_name(f".{self.cache_path.name}.{uuid.uuid4().hex}")
        try:
            data = {"format": CACHE_FORMAT,
                    "entries": {cid: (e.article_id, e.version, e.terms) for cid, e in self._entries.items()}}
            partial.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(partial, self.cache_path)  # atomic: processes sharing the file never see half of it
            self._unsaved = 0
        except OSError:
            pass  # a read-only data dir costs speed at the next start, nothing else
        finally:
            partial.unlink(missing_ok=True)

    def _rebuild(self, store: ArticleStore) -> None:
        current = store.chunk_ids()
        articles = store.article_versions()

        def fresh(cid: str) -> bool:
            e = self._entries.get(cid)
            # A chunk of an uncommitted article (no record yet) is kept as read: its article's
            # commit will change the revision, and this check will run again.
            return e is not None and articles.get(e.article_id, e.version) == e.version

        stale = [cid for cid in current if not fresh(cid)]
        stale_set = set(stale)
        entries = {cid: self._entries[cid] for cid in current if cid not in stale_set}
        for cid, text, meta in store.get_chunks(stale):
            entries[cid] = _Entry(str(meta.get("article_id", "")), str(meta.get("version", "")), terms(text))
        self._unsaved += len(stale)
        ids = sorted(entries)
        bm25 = None
        if ids:
            # An empty term list would make bm25s drop the document; keep rows aligned with ids.
            bm25 = bm25s.BM25(k1=self.k1, b=self.b)
            bm25.index([entries[cid].terms or ["\u2400"] for cid in ids], show_progress=False)
        df = Counter(t for e in entries.values() for t in set(e.terms))
        self._entries, self._ids, self._bm25, self._df = entries, ids, bm25, df
        self._vocab = set(df)

    def idf(self, term: str) -> float:
        """How rare a term is across the stored chunks (BM25's idf, never negative)."""
        n = max(len(self._ids), 1)
        df = self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, query_terms: list[str]) -> float:
        """Share of the query's terms that occur anywhere in the index (0 when none can match)."""
        if not query_terms:
            return 0.0
        return sum(t in self._vocab for t in query_terms) / len(query_terms)

    def search(self, query_terms: list[str], k: int) -> list[tuple[str, float, str, dict[str, Any]]]:
        """Top ``k`` chunks with a positive BM25 score: ``(chunk_id, score, text, metadata)``."""
        bm25, ids, store = self._bm25, self._ids, self._store
        if bm25 is None or store is None or not query_terms or k <= 0:
            return []
        known = [t for t in query_terms if t in self._vocab]
        if not known:
            return []
        docs, scores = bm25.retrieve([known], k=min(k, len(ids)), show_progress=False, n_threads=1)
        ranked = [(ids[int(row)], float(score)) for row, score in zip(np.asarray(docs[0]), np.asarray(scores[0])) if score > 0]
        # A chunk removed since the last sync is simply not found, and dropped.
        records = {cid: (text, meta) for cid, text, meta in store.get_chunks([cid for cid, _ in ranked])}
        return [(cid, score, *records[cid]) for cid, score in ranked if cid in records]
