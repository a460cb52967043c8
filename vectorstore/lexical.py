"""The lexical side of retrieval: BM25 (bm25s) over analysed terms of every stored chunk.

Terms come from :func:`ingest.analysis.terms` (Arabic-normalised, stop words dropped,
snowball-stemmed), the same analyser the answerer uses. The index lives in memory and follows
the store: every write or removal (by this process or any other sharing a Chroma server) sets
a new *revision* on the store, and the index re-syncs before the next search when it sees one.
A re-sync reads chunk metadata only; text is fetched and analysed just for new or changed chunks.
"""
from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import bm25s
import numpy as np

from ingest.analysis import terms

if TYPE_CHECKING:
    from .chroma import ArticleStore


@dataclass
class _Entry:
    version: str
    text: str
    meta: dict[str, Any]
    terms: list[str]


class LexicalIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
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
        revision = store.revision()
        if revision == self._revision and self._bm25 is not None:
            return
        with self._lock:
            if revision == self._revision and self._bm25 is not None:
                return
            self._rebuild(store)
            self._revision = revision

    def _rebuild(self, store: ArticleStore) -> None:
        current = store.chunk_versions()
        stale = [cid for cid, version in current.items() if cid not in self._entries or self._entries[cid].version != version]
        entries = {cid: e for cid, e in self._entries.items() if cid in current and cid not in stale}
        for cid, text, meta in store.get_chunks(stale):
            entries[cid] = _Entry(str(meta.get("version", "")), text, meta, terms(text))
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
        bm25, ids, entries = self._bm25, self._ids, self._entries
        if bm25 is None or not query_terms or k <= 0:
            return []
        known = [t for t in query_terms if t in self._vocab]
        if not known:
            return []
        docs, scores = bm25.retrieve([known], k=min(k, len(ids)), show_progress=False, n_threads=1)
        hits = []
        for row, score in zip(np.asarray(docs[0]), np.asarray(scores[0])):
            if score <= 0:
                continue
            cid = ids[int(row)]
            e = entries[cid]
            hits.append((cid, float(score), e.text, e.meta))
        return hits
