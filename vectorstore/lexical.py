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

from .filters import NO_FILTER, Filters

if TYPE_CHECKING:
    from .chroma import ArticleStore


CACHE_FORMAT = 3
# Rewrite the cache when at least this many chunks were analysed since it was written.
CACHE_REFRESH = 500
# Chunks added, changed or removed since the index was built that are scored beside it before it
# is built again: at least DELTA_MIN, else this share of the index.
DELTA_MIN = 2000
DELTA_SHARE = 0.1


@dataclass
class _Entry:
    article_id: str
    version: str
    terms: list[str]
    outlet: str | None = None  # what a search's filter reads (vectorstore.filters)
    day: int | None = None


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
        # The weight mask of each filter asked since the last rebuild (a filtered conversation
        # asks with the same filter again and again).
        self._masks: dict[Filters, np.ndarray] = {}
        # The built index's rows still current (1) or removed/changed since (0), and the chunks
        # added or changed since it was built, scored beside it (see _apply_changes).
        self._rows: dict[str, int] = {}
        self._alive = np.ones(0, dtype=np.float32)
        self._delta: dict[str, _Entry] = {}
        self._avgdl = 1.0
        self._articles: dict[str, tuple[str | None, int | None]] = {}  # article id → (outlet, day)

    def __len__(self) -> int:
        return len(self._entries)

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
            return {cid: _Entry(article, version, list(t), outlet, day)
                    for cid, (article, version, t, outlet, day) in data["entries"].items()}
        except Exception:  # noqa: BLE001 - a damaged cache is only a slower start
            return {}

    def _save_cache(self) -> None:
        if self.cache_path is None:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.cache_path.with_name(f".{self.cache_path.name}.{uuid.uuid4().hex}")
        try:
            data = {"format": CACHE_FORMAT,
                    "entries": {cid: (e.article_id, e.version, e.terms, e.outlet, e.day)
                                for cid, e in self._entries.items()}}
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
            day = meta.get("day")
            entries[cid] = _Entry(str(meta.get("article_id", "")), str(meta.get("version", "")), terms(text),
                                  meta.get("outlet"), int(day) if day is not None else None)
        self._unsaved += len(stale)
        gone = set(self._entries) - set(entries)
        if self._bm25 is not None and len(self._delta) + len(stale) + len(gone) <= self._delta_room():
            self._apply_changes(entries, stale_set, gone)
            return
        ids = sorted(entries)
        bm25 = None
        if ids:
            # An empty term list would make bm25s drop the document; keep rows aligned with ids.
            bm25 = bm25s.BM25(k1=self.k1, b=self.b)
            bm25.index([entries[cid].terms or ["\u2400"] for cid in ids], show_progress=False)
        df = Counter(t for e in entries.values() for t in set(e.terms))
        self._entries, self._ids, self._bm25, self._df = entries, ids, bm25, df
        self._rows = {cid: i for i, cid in enumerate(ids)}
        self._alive = np.ones(len(ids), dtype=np.float32)
        self._delta = {}
        self._avgdl = float(np.mean([len(entries[cid].terms) or 1 for cid in ids])) if ids else 1.0
        self._vocab = set(df)
        self._masks = {}
        self._articles = {e.article_id: (e.outlet, e.day) for e in entries.values()}

    def _delta_room(self) -> int:
        """How many chunks may change before the whole index is built again: building it costs
        seconds at tens of thousands of chunks, so a store that grows by an upload at a time
        keeps its index and scores the new chunks beside it."""
        return max(DELTA_MIN, int(DELTA_SHARE * len(self._ids)))

    def _apply_changes(self, entries: dict[str, _Entry], changed: set[str], gone: set[str]) -> None:
        """Bring the index in step without building it again: rows of removed or changed chunks
        are masked out of the built index, new and changed chunks are scored beside it (the
        delta), and the term counts follow both."""
        df = self._df
        for cid in changed | gone:
            if (old := self._entries.get(cid)) is not None:
                df.subtract(set(old.terms))
            if (row := self._rows.get(cid)) is not None:
                self._alive[row] = 0.0
        for cid in changed:
            df.update(set(entries[cid].terms))
        delta = {cid: entries[cid] for cid in [*self._delta, *changed] if cid in entries}
        self._entries, self._delta = entries, delta
        self._articles.update((entries[cid].article_id, (entries[cid].outlet, entries[cid].day)) for cid in changed)
        self._df = Counter({t: n for t, n in df.items() if n > 0})
        self._vocab = set(self._df)
        self._masks = {}

    def idf(self, term: str) -> float:
        """How rare a term is across the stored chunks (BM25's idf, never negative)."""
        n = max(len(self._entries), 1)
        df = self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, query_terms: list[str]) -> float:
        """Share of the query's terms that occur anywhere in the index (0 when none can match)."""
        if not query_terms:
            return 0.0
        return sum(t in self._vocab for t in query_terms) / len(query_terms)

    def _mask(self, filters: Filters, ids: list[str], entries: dict[str, _Entry]) -> np.ndarray:
        """1 for each built row the filter admits, 0 for the rest: BM25 then scores only inside
        the filter (the k best inside it, not the k best filtered afterwards)."""
        masks = self._masks
        if (mask := masks.get(filters)) is None or len(mask) != len(ids):
            mask = np.fromiter((cid in entries and filters.admits(entries[cid].article_id, entries[cid].outlet,
                                                                  entries[cid].day) for cid in ids),
                               dtype=np.float32, count=len(ids))
            if len(masks) >= 16:
                masks.clear()
            masks[filters] = mask
        return mask

    def share_admitted(self, filters: Filters) -> float:
        """About what share of the stored chunks ``filters`` admits (from the built index)."""
        alive = self._alive
        if not filters or not alive.any():
            return 1.0
        return float((alive * self._mask(filters, self._ids, self._entries)).sum() / alive.sum())

    def article_admitted(self, filters: Filters, article_id: str) -> bool:
        """Whether an article's chunks are inside ``filters`` (None when the index does not know it)."""
        outlet, day = self._articles.get(article_id, (None, None))
        return filters.admits(article_id, outlet, day)

    def search(self, query_terms: list[str], k: int, filters: Filters = NO_FILTER) -> list[tuple[str, float, str, dict[str, Any]]]:
        """Top ``k`` chunks with a positive BM25 score among those ``filters`` admits:
        ``(chunk_id, score, text, metadata)``."""
        bm25, ids, store, entries = self._bm25, self._ids, self._store, self._entries
        alive, delta = self._alive, self._delta
        if bm25 is None or store is None or not query_terms or k <= 0:
            return []
        known = [t for t in query_terms if t in self._vocab]
        if not known:
            return []
        mask = alive * self._mask(filters, ids, entries) if filters else alive
        ranked = []
        if mask.any():
            docs, scores = bm25.retrieve([known], k=min(k, len(ids)), show_progress=False, n_threads=1, weight_mask=mask)
            ranked = [(ids[int(row)], float(score)) for row, score in zip(np.asarray(docs[0]), np.asarray(scores[0]))
                      if score > 0]
        ranked += self._score_delta(known, delta, filters)
        ranked = sorted(ranked, key=lambda pair: -pair[1])[:k]
        # A chunk removed since the last sync is simply not found, and dropped.
        records = {cid: (text, meta) for cid, text, meta in store.get_chunks([cid for cid, _ in ranked])}
        return [(cid, score, *records[cid]) for cid, score in ranked if cid in records]

    def _score_delta(self, known: list[str], delta: dict[str, _Entry], filters: Filters) -> list[tuple[str, float]]:
        """BM25 of the chunks added since the index was built, as bm25s scores its rows (the
        Lucene form), with the built index's average length."""
        out = []
        query = Counter(known)
        for cid, e in delta.items():
            if filters and not filters.admits(e.article_id, e.outlet, e.day):
                continue
            tf = Counter(t for t in e.terms if t in query)
            if not tf:
                continue
            norm = self.k1 * (1 - self.b + self.b * (len(e.terms) or 1) / self._avgdl)
            score = sum(n * self.idf(t) * tf[t] / (tf[t] + norm) for t, n in query.items() if t in tf)
            out.append((cid, score))
        return out
