"""Hybrid retrieval: three signals over the same chunks, fused by a weighted score combination.

- dense: the chunk's embedding similarity to the question (Chroma);
- sentence: the best similarity of any one sentence of the chunk (a sentence index in Chroma).
  A question usually paraphrases one sentence; a whole-chunk vector dilutes it, most of all
  across languages (English question, Arabic article);
- lexical: BM25 over Arabic-normalised, stemmed terms (bm25s).

Why not reciprocal rank fusion: RRF throws the scores away and trusts both lists equally. It
collapses when one side cannot match (an English question shares no term with Arabic news, so
BM25's list is noise) and it cannot tell a clear winner from a near tie. Here the dense side
(chunk and sentence similarity, averaged) and the BM25 side are min-max scaled over the
candidates and mixed; the lexical share is scaled by how many of the question's terms occur in
the corpus at all (1 for Arabic over Arabic news, 0 for English over it).

The weights were chosen on XQuAD-ar, XQuAD en→ar and ARCD (see BENCHMARKS.md); the figures
there are from ``isnad eval``.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from ingest.analysis import terms, text_language
from ingest.chunking import MIN_SENTENCE_CHARS

from ingest import Passage, normalize_for_matching

from .chroma import ArticleStore
from .embedders import IsnadEmbeddings
from .filters import NO_FILTER, Filters
from .lexical import LexicalIndex
from .schema import passage_from_record
from .stories import resemblance, triples


CROSS_LANGUAGE_OFFSET = 0.05
# A copy of a story stands for it instead of the first-ranked one when it is this much longer and
# holds this share of the first one's word triples (see fullest).
FULLER, CONTAINED = 1.2, 0.9


@dataclass
class RetrievalConfig:
    candidates: int = 50  # from each of the dense and lexical lists
    sentence_candidates: int = 100
    sentence_weight: float = 0.5  # share of the best-sentence similarity in the dense score
    lexical_weight: float = 0.5  # share of BM25 when every question term occurs in the corpus
    # Fewest candidates whose median similarity is reported as the question's baseline (below
    # that, a store is too small for a median to say anything about the question).
    baseline_min_sentences: int = 50
    baseline_min_chunks: int = 25
    # Added to the similarity of a passage in another language than the question's before
    # fusion: multilingual-e5 scores a question higher against any text in its own language,
    # so an English question about an Arabic article found the English articles on other
    # subjects first. Fitted on half of XQuAD's articles, judged on the other half
    # (benchmarks/mixed_xquad.py, BENCHMARKS.md).
    cross_language_offset: float = CROSS_LANGUAGE_OFFSET
    # A question for "the latest" report: added to the fused score (0..1) of a passage as
    # fresh as the newest of the passages close to the best, less with its age, to nothing at
    # ``recency_days`` older (HybridRetriever._freshness). A newer report overtakes an older one
    # only when relevance is that close.
    recency_weight: float = 0.1
    recency_days: int = 7


@dataclass
class Candidates:
    """The raw lists for one question, before fusion (kept for evaluation and debugging)."""

    dense: list[Passage]
    lexical: list[Passage]
    sentences: list[tuple[str, int, int, float]] = field(default_factory=list)
    lexical_coverage: float = 0.0
    language: str = ""  # the question's (``ingest.analysis.text_language``); "" leaves languages alone


@dataclass
class Retrieval:
    """One retrieval, step by step."""

    vector: np.ndarray  # the question's embedding
    candidates: Candidates
    fused: list[Passage]  # the fused ranking, ``depth`` long
    passages: list[Passage]  # its first ``k``, every sentence scored: what an answerer gets
    seconds: dict[str, float] = field(default_factory=dict)  # per part: embed, dense, sentences, bm25, ...


class _Clock:
    """Times the parts of a retrieval into ``seconds`` (when given)."""

    def __init__(self, seconds: dict[str, float] | None):
        self.seconds = seconds

    def lap(self, name: str, work):
        started = time.perf_counter()
        result = work()
        if self.seconds is not None:
            self.seconds[name] = time.perf_counter() - started
        return result


# A filter admitting at least this share of the store is searched without Chroma's where (which
# costs several times an unfiltered search when most of the store passes it): the best matches
# of a wider unfiltered search, kept when enough of them pass the filter.
BROAD_FILTER = 0.3


def _within(search, n: int, filters: Filters, share: float, admits) -> list:
    """The ``n`` best results that ``filters`` admits: ``search(m, where)`` with the filter as
    Chroma's ``where``, or, for a broad filter, the admitted part of an unfiltered search wide
    enough to hold them (exact: anything better inside the filter is inside the wider search),
    falling back to ``where`` when it holds too few."""
    if not filters:
        return search(n, None)
    if share >= BROAD_FILTER:
        wide = int(n / share * 1.5) + 10
        found = search(wide, None)
        kept = [x for x in found if admits(x)]
        if len(kept) >= n or len(found) < wide:  # (fewer than asked: the search saw everything)
            return kept[:n]
    return search(n, filters.where())


def _moment(published: str | None) -> float:
    """A publication time in days (with the hour's fraction when the source gave one); NaN if none."""
    if not published:
        return np.nan
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return np.nan
    return moment.toordinal() + (moment.hour * 3600 + moment.minute * 60 + moment.second) / 86400


def one_per_story(ranked: list[Passage], newest_first: bool = False) -> list[Passage]:
    """The ranking with each story once, at its best place: the passages of one article of the
    story (the first ranked; ``newest_first``: the most recently published, for a question
    asking for the latest report) stay, and the first passage of each other article of the
    story (another paper's copy) goes into the first one's ``copies``."""
    groups: dict[str, list[Passage]] = defaultdict(list)
    for p in ranked:
        groups[p.story_id].append(p)
    owner = {}
    for story, members in groups.items():
        chosen = max(members, key=lambda p: np.nan_to_num(_moment(p.provenance.published), nan=-1.0)) \
            if newest_first else fullest(members)
        owner[story] = chosen.article_id
    out, placed, emitted = [], set(), set()
    for p in ranked:
        story = p.story_id
        if story not in placed:
            placed.add(story)
            first = next(q for q in groups[story] if q.article_id == owner[story])
            emitted.add(first.chunk_id)
            seen = {first.article_id}
            for q in groups[story]:
                if q.article_id not in seen:
                    seen.add(q.article_id)
                    first.copies.append(q)
            out.append(first)
        elif p.article_id == owner[story] and p.chunk_id not in emitted:
            emitted.add(p.chunk_id)
            out.append(p)
    return out


def fullest(members: list[Passage]) -> Passage:
    """The story's first-ranked passage, or another article's that tells all of it and more (a
    paper that printed the whole wire text, where the first ranked printed its first half): the
    answer can only quote what the passage it is given holds."""
    first = members[0]
    if len({p.article_id for p in members}) == 1:
        return first
    mine = triples(first.text)
    for p in members[1:]:
        if p.article_id != first.article_id and len(p.text) > FULLER * len(first.text) \
                and resemblance(mine, triples(p.text)) >= CONTAINED:
            return p
    return first


def _minmax(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.ones_like(values)


class HybridRetriever:
    def __init__(self, store: ArticleStore, embedder: IsnadEmbeddings, lexical: LexicalIndex | None = None,
                 config: RetrievalConfig | None = None):
        self.store = store
        self.embedder = embedder
        self.lexical = lexical if lexical is not None else LexicalIndex()  # an empty index is falsy
        self.config = config or RetrievalConfig()

    def candidates(self, query: str, n: int | None = None, vector: np.ndarray | None = None,
                   seconds: dict[str, float] | None = None, filters: Filters = NO_FILTER) -> Candidates:
        """Each signal's candidates among the chunks ``filters`` admits (the filter is applied
        inside each search); ``seconds``, when given, gets each signal's time."""
        n = n or self.config.candidates
        clock = _Clock(seconds)
        if vector is None:
            vector = self.embedder.embed_queries([query])[0]
        self.lexical.sync(self.store)
        share = self.lexical.share_admitted(filters) if filters else 1.0
        dense = clock.lap("dense", lambda: _within(
            lambda m, where: self.store.search_vector(vector, m, where), n, filters, share,
            lambda p: filters.admits(p.article_id, p.provenance.outlet, p.provenance.day)))
        sentences = clock.lap("sentences", lambda: _within(
            lambda m, where: self.store.search_sentences(vector, m, where), self.config.sentence_candidates, filters,
            share, lambda s: self.lexical.article_admitted(filters, s[0])))
        query_terms = terms(query)

        def lexical_search() -> list[Passage]:
            return [passage_from_record(cid, text, meta, score, {"bm25": score})
                    for cid, score, text, meta in self.lexical.search(query_terms, n, filters)]

        lexical = clock.lap("bm25", lexical_search)
        return Candidates(dense, lexical, sentences, self.lexical.coverage(query_terms), text_language(query))

    def fuse(self, cands: Candidates, k: int, prefer_recent: bool = False) -> list[Passage]:
        """The ``k`` best candidates by fused score, as new passages (``cands`` is left as it
        was: calibration fuses the same candidates twice); ``prefer_recent``: newer passages
        first when relevance is close (a question for the latest report)."""
        pool: dict[str, Passage] = {}
        for p in cands.dense + cands.lexical:
            if p.chunk_id in pool:
                pool[p.chunk_id].scores.update(p.scores)
            else:
                pool[p.chunk_id] = replace(p, scores=dict(p.scores), sentences=list(p.sentences), copies=[])
        if not pool:
            return []
        ids = list(pool)
        passages = [pool[cid] for cid in ids]
        dense_floor = min((p.scores["dense"] for p in cands.dense), default=0.0)
        dense = np.array([p.scores.get("dense", dense_floor) for p in passages])

        # Best sentence per candidate chunk; a chunk none of whose sentences made the list gets
        # the lowest similarity on the list (its best sentence can be no better than that).
        by_article: dict[str, list[Passage]] = defaultdict(list)
        for p in passages:
            by_article[p.article_id].append(p)
        sentence_floor = min((s[3] for s in cands.sentences), default=dense_floor)
        best_sentence = {cid: sentence_floor for cid in ids}
        for article_id, start, end, sim in cands.sentences:
            for p in by_article.get(article_id, ()):
                if p.start <= start and end <= p.end:
                    best_sentence[p.chunk_id] = max(best_sentence[p.chunk_id], sim)
                    p.sentences.append((start, end, sim))
        sentence = np.array([best_sentence[cid] for cid in ids])

        bm25 = np.array([p.scores.get("bm25", 0.0) for p in passages])
        w = self.config.sentence_weight
        # (no question language: every passage counts as in it)
        languages = [text_language(p.text) if cands.language else "" for p in passages]
        other_language = np.array([lang != cands.language for lang in languages])
        other_script = np.array([(lang == "ar") != (cands.language == "ar") for lang in languages])
        offset = self.config.cross_language_offset * other_language
        dense_part = _minmax((1 - w) * (dense + offset) + w * (sentence + offset))
        lexical_share = self.config.lexical_weight * cands.lexical_coverage
        lexical_part = bm25 / bm25.max() if bm25.max() > 0 else bm25
        # Terms cannot match across scripts: a passage in another script is ranked by its
        # similarity alone rather than losing the lexical share it can never earn.
        fused = np.where(other_script, dense_part,
                         (1 - lexical_share) * dense_part + lexical_share * lexical_part)
        if prefer_recent:
            fused = fused + self._freshness(passages, fused)

        baselines = self._baselines(cands)
        bm25_rank = {q.chunk_id: rank for rank, q in enumerate(cands.lexical, start=1)}
        dense_rank = {q.chunk_id: rank for rank, q in enumerate(cands.dense, start=1)}
        out = []
        for i in np.argsort(-fused, kind="stable")[:k]:
            p = passages[i]
            p.score = float(fused[i])
            p.scores.update(fused=float(fused[i]), sentence=float(sentence[i]), **baselines)
            if p.chunk_id in bm25_rank:
                p.scores["bm25_rank"] = bm25_rank[p.chunk_id]
            if p.chunk_id in dense_rank:
                p.scores["dense_rank"] = dense_rank[p.chunk_id]
            out.append(p)
        return out

    def _freshness(self, passages: list[Passage], fused: np.ndarray) -> np.ndarray:
        """Each passage's bonus for being recent: ``recency_weight`` for the time of publication
        of the newest passage among those close to the best (within ``recency_weight`` of its
        score: the only ones a bonus can reorder), falling linearly to 0 at ``recency_days``
        older; 0 for an undated one. (The newest candidate of all may be a week newer and on
        another subject: measured from it, every close passage would get nothing.)"""
        days = np.array([_moment(p.provenance.published) for p in passages], dtype=float)
        close = fused >= fused.max() - self.config.recency_weight
        if np.all(np.isnan(days[close])):
            return np.zeros(len(passages))
        age = np.nanmax(days[close]) - days
        fresh = np.clip(1.0 - age / max(self.config.recency_days, 1), 0.0, 1.0)
        return self.config.recency_weight * np.nan_to_num(fresh, nan=0.0)

    def _baselines(self, cands: Candidates) -> dict[str, float]:
        """How similar the question is to this store's text in general: the median similarity
        of its sentence and chunk candidates. Some questions sit close to everything (short,
        generic ones) and some to nothing (translated, oddly worded ones); the answerer weighs
        the best match against this baseline, not only its absolute value. Left out when the
        store holds too few candidates for a median to mean anything."""
        out = {}
        if len(cands.sentences) >= self.config.baseline_min_sentences:
            out["sentence_baseline"] = float(np.median([s[3] for s in cands.sentences]))
        if len(cands.dense) >= self.config.baseline_min_chunks:
            out["dense_baseline"] = float(np.median([p.scores["dense"] for p in cands.dense]))
        return out

    def retrieve(self, query: str, k: int, depth: int | None = None, filters: Filters = NO_FILTER,
                 prefer_recent: bool = False) -> Retrieval:
        """Candidates from every signal among the chunks ``filters`` admits, fused, the first
        ``k`` with every sentence scored. ``depth``: how long a fused ranking to keep besides
        (evaluation reads recall at 10); ``prefer_recent``: see :meth:`fuse`."""
        depth = max(k, depth or k)
        seconds: dict[str, float] = {}
        clock = _Clock(seconds)
        vector = clock.lap("embed", lambda: self.embedder.embed_queries([query])[0])
        candidates = self.candidates(query, n=max(depth, self.config.candidates), vector=vector, seconds=seconds,
                                     filters=filters)
        fused = clock.lap("fusion", lambda: one_per_story(self.fuse(candidates, 3 * depth, prefer_recent),
                                                           newest_first=prefer_recent)[:depth])
        passages = fused[:k]
        clock.lap("sentence_scores", lambda: self.complete_sentences(passages, vector))
        clock.lap("copies", lambda: self.add_copies(passages, filters))
        return Retrieval(vector, candidates, fused, passages, seconds)

    def add_copies(self, passages: list[Passage], filters: Filters = NO_FILTER) -> None:
        """Give each passage the same passage as every other copy of its story printed it (the
        chunk at the same place in the copy), among the articles ``filters`` admits, oldest first."""
        shared = self.store.shared_stories()  # (read again only after the store changed)
        stories = list({p.story_id for p in passages} & shared)
        if not stories:
            return
        members: dict[str, dict[str, list[tuple[str, str, dict]]]] = defaultdict(lambda: defaultdict(list))
        for cid, text, meta in self.store.story_chunks(stories, filters.where()):
            members[str(meta.get("story"))][str(meta.get("article_id"))].append((cid, text, meta))
        for p in passages:
            have = {p.article_id} | {c.article_id for c in p.copies}
            for article_id, chunks in members.get(p.story_id, {}).items():
                if article_id in have:
                    continue
                cid, text, meta = min(chunks, key=lambda c: abs(int(c[2].get("chunk_index", 0)) - p.chunk_index))
                p.copies.append(passage_from_record(cid, text, meta, 0.0, {}))
                have.add(article_id)
            p.copies.sort(key=lambda c: (c.provenance.published is None, c.provenance.published or "", c.article_id))

    def rescored(self, passages: list[Passage], vector: np.ndarray) -> list[Passage]:
        """The same passages with every sentence scored against another question vector (a
        follow-up's passages, found with the conversation, scored against the question itself).
        Their passage scores stay those of the query that found them: how close they are to the
        conversation is what makes them a follow-up's."""
        fresh = [replace(p, sentences=[], scores=dict(p.scores)) for p in passages]
        self.complete_sentences(fresh, vector)
        return fresh

    def articles_quoting(self, quotes: list[str]) -> set[str]:
        """The articles whose text holds these quotes (the sentences an earlier answer quoted),
        each found among the best BM25 matches of its own terms."""
        self.lexical.sync(self.store)
        found = set()
        for quote in quotes:
            target = normalize_for_matching(quote)
            if len(target) < MIN_SENTENCE_CHARS:
                continue
            for _, _, text, meta in self.lexical.search(terms(quote), 3):
                if target in normalize_for_matching(text):
                    found.add(str(meta["article_id"]))
                    break
        return found

    def search(self, query: str, k: int = 5, filters: Filters = NO_FILTER) -> list[Passage]:
        return self.retrieve(query, k, filters=filters).passages

    def complete_sentences(self, passages: list[Passage], vector: np.ndarray) -> None:
        """Give every sentence of the returned passages its similarity to the question: the
        sentence search reaches only the best hundred sentences of the whole store, so the
        rest are read from the stored sentence vectors (one Chroma call) and scored here. The
        answerer then ranks every sentence on the same footing, and never embeds at question
        time."""
        if not passages:
            return
        by_article: dict[str, list[Passage]] = defaultdict(list)
        for p in passages:
            by_article[p.article_id].append(p)
        known = {(p.chunk_id, s, e) for p in passages for s, e, _ in p.sentences}
        for article_id, start, end, stored in self.store.sentence_vectors(list(by_article)):
            for p in by_article[article_id]:
                # A sentence the chunk cuts (a chunk may start or end inside a long one) counts
                # with the part inside the chunk, scored as the whole sentence.
                s, e = max(start, p.start), min(end, p.end)
                if e - s >= MIN_SENTENCE_CHARS and (p.chunk_id, s, e) not in known:
                    p.sentences.append((s, e, float(np.dot(stored, vector))))
                    known.add((p.chunk_id, s, e))
