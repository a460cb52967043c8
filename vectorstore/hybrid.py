"""Hybrid retrieval: dense search in Chroma and BM25 over the same chunks, fused by weighted
reciprocal rank fusion.

Plain RRF trusts both lists equally. That collapses when one side cannot match at all: an
English question over Arabic articles shares no term with them, so BM25 returns noise (or
nothing) and drags good dense hits down. Here the lexical list's weight is the share of the
question's terms that occur in the corpus at all: 1 for an Arabic question over Arabic news,
about 0 for an English one, in between for a mixed one (names, numbers).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.analysis import terms

from .chroma import ArticleStore, Passage, passage_from_record
from .lexical import LexicalIndex


@dataclass
class RetrievalConfig:
    rrf_k: int = 60
    candidates: int = 50
    dense_weight: float = 1.0


@dataclass
class Candidates:
    """Both ranked lists for one question, before fusion (kept for evaluation and debugging)."""

    dense: list[Passage]
    lexical: list[Passage]
    lexical_weight: float


class HybridRetriever:
    def __init__(self, store: ArticleStore, lexical: LexicalIndex | None = None, config: RetrievalConfig | None = None):
        self.store = store
        self.lexical = lexical or LexicalIndex()
        self.config = config or RetrievalConfig()

    def candidates(self, query: str, n: int | None = None, vector: np.ndarray | None = None) -> Candidates:
        n = n or self.config.candidates
        if vector is None:
            vector = self.store.embedder.embed_queries([query])[0]
        dense = self.store.search_vector(vector, n)
        self.lexical.sync(self.store)
        query_terms = terms(query)
        lexical = [
            passage_from_record(cid, text, meta, score, {"bm25": score})
            for cid, score, text, meta in self.lexical.search(query_terms, n)
        ]
        return Candidates(dense, lexical, self.lexical.coverage(query_terms))

    def fuse(self, cands: Candidates, k: int) -> list[Passage]:
        rrf_k = self.config.rrf_k
        fused: dict[str, Passage] = {}
        totals: dict[str, float] = {}
        lists = ((cands.dense, "dense", self.config.dense_weight), (cands.lexical, "bm25", cands.lexical_weight))
        for passages, signal, weight in lists:
            for rank, p in enumerate(passages, start=1):
                entry = fused.setdefault(p.chunk_id, p)
                entry.scores = {**entry.scores, signal: p.scores[signal], f"{signal}_rank": rank}
                totals[p.chunk_id] = totals.get(p.chunk_id, 0.0) + weight / (rrf_k + rank)
        order = sorted(totals, key=lambda cid: -totals[cid])[:k]
        out = []
        for cid in order:
            p = fused[cid]
            p.score = totals[cid]
            p.scores["rrf"] = totals[cid]
            out.append(p)
        return out

    def search(self, query: str, k: int = 5) -> list[Passage]:
        return self.fuse(self.candidates(query), k)
