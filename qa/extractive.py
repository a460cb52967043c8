"""The extractive answerer: no LLM, no network. It quotes the sentences of the retrieved
passages that best answer the question, each with its ``[n]`` marker, marks the clause that
carries the answer, or abstains in the question's language.

Two small models, both fitted on data by ``isnad calibrate`` and stored in
``qa/calibration.json`` (see ``qa/calibrate.py`` and BENCHMARKS.md):

- which sentences: every sentence of the passages is described by the features in
  ``SENTENCE_FEATURES`` (its embedding similarity to the question and how that compares with
  the other sentences, the IDF-weighted share of the question's terms in it and around it,
  its passage's rank, whether a "how many / when" question meets a number, ...) and a logistic
  model trained to tell the sentences that hold the answer scores them; the best three are
  quoted, in reading order, never every cited passage whole (an answer is always shorter than
  the passages it quotes);
- whether to answer at all: the passages as a whole are described by ``EVIDENCE_FEATURES``
  (best sentence and passage similarity, best term coverage, and how far the best matches
  stand above the question's baseline, the median similarity of its candidates in this
  store) and a second logistic model, trained on answerable questions against the same
  questions put to the wrong articles, gives the evidence. One model and threshold for a
  question in the articles' own script, one across scripts (similarities run lower across
  languages and no term can match), each also fitted without the baselines for stores too
  small to have them.
"""
from __future__ import annotations

import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ingest.analysis import terms
from ingest.chunking import split_clauses
from vectorstore import Passage

from .answer import Answer
from .citations import citation_for
from .language import abstain_message, cross_language_notice

_ARABIC = re.compile(r"[\u0600-\u06ff]")
_DIGIT = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
# Questions whose answer is a number or a date, in Arabic, English and French.
_NUMBER_QUESTION = re.compile(
    r"(^|\s)(كم|متى|بكم|لكم)(\s|$)|عام|سنة|\bhow (many|much|long|old)\b|\bwhen\b|\bwhat year\b|\bcombien\b|\bquand\b"
    r"|\bquelle année\b",
    re.IGNORECASE,
)
_YEAR_WORD = re.compile(r"(^|\s)(عام|سنة|العام|السنة)(\s|$)")

IdfFn = Callable[[str], float]

SENTENCE_FEATURES = (
    "similarity",  # embedding similarity of the sentence to the question
    "similarity_below_best",  # ... minus the best among the passages' sentences (≤ 0)
    "similarity_rank",  # 1 / (1 + rank by similarity)
    "coverage",  # IDF-weighted share of the question's terms in the sentence
    "window_coverage",  # ... in the sentence and its neighbours
    "coverage_below_best",  # coverage minus the best coverage (≤ 0)
    "neighbour_gain",  # best neighbour similarity minus the sentence's own
    "passage_rank",  # 0 for the first passage
    "passage_score",  # the passage's fused retrieval score
    "log_length",  # log(1 + characters)
    "number_for_number_question",  # a how-many/when question and a sentence with a number
    "no_number_for_number_question",  # a how-many/when question and no number in sight
    "novelty",  # share of the sentence's terms that are not the question's
    "position",  # sentence index / sentences in the passage
)
EVIDENCE_FEATURES = (
    "best_similarity",  # best sentence similarity
    "best_passage",  # best passage (chunk) similarity
    "best_coverage",
    "best_window_coverage",
    "similarity_over_baseline",  # best sentence similarity minus the question's sentence baseline
    "passage_over_baseline",  # best passage similarity minus its chunk baseline
)
# Without the question's baselines (a store too small for them): the evidence model that
# does without them, fitted on the same data.
EVIDENCE_FEATURES_WITHOUT_BASELINE = EVIDENCE_FEATURES[:4]
RELATIONS = ("same", "cross")


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over named features: ``logit = ((x - mean) / scale) · weights + bias``.
    A missing feature (NaN, e.g. no baseline in a tiny store) counts as its training mean."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=float) - self.mean) / self.scale
        return np.nan_to_num(z, nan=0.0) @ self.weights + self.bias

    @classmethod
    def fit(cls, features: Sequence[str], x: np.ndarray, y: np.ndarray, *, balanced: bool = False,
            l2: float = 1.0, iterations: int = 50) -> LinearModel:
        """L2-regularised logistic regression by Newton's method (no extra dependency). With
        ``balanced``, both classes weigh the same in total."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.ndim != 2 or len(x) != len(y) or len(set(y.tolist())) < 2:
            raise ValueError("fitting needs rows of both classes")
        with warnings.catch_warnings():  # a feature missing in every row (a tiny calibration set)
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(x, axis=0)
            scale = np.nanstd(x, axis=0)
        mean = np.where(np.isnan(mean), 0.0, mean)
        scale = np.where(~np.isfinite(scale) | (scale < 1e-9), 1.0, scale)
        z = np.nan_to_num((x - mean) / scale, nan=0.0)
        a = np.hstack([z, np.ones((len(z), 1))])
        sample = np.ones(len(y))
        if balanced:
            sample = np.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
        penalty = np.full(a.shape[1], l2)
        penalty[-1] = 0.0  # the bias is not shrunk
        w = np.zeros(a.shape[1])
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
            grad = a.T @ (sample * (p - y)) + penalty * w
            hess = (a * (sample * p * (1 - p))[:, None]).T @ a + np.diag(penalty + 1e-9)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(tuple(features), mean, scale, w[:-1], float(w[-1]))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist(),
                "bias": round(self.bias, 6)}

    @classmethod
    def from_dict(cls, data: dict, expected: Sequence[str]) -> LinearModel:
        if tuple(data["features"]) != tuple(expected):
            raise ValueError(f"calibration features {data['features']} do not match this version's {list(expected)}: "
                             "run `isnad calibrate --write`")
        return cls(tuple(data["features"]), np.array(data["mean"], dtype=float), np.array(data["scale"], dtype=float),
                   np.array(data["weights"], dtype=float), float(data["bias"]))


@dataclass(frozen=True)
class Calibration:
    """The sentence ranker, and per script relation an evidence model and the least logit to
    answer with, each also without the baseline features (keys ``"<relation>/no-baseline"``)."""

    ranker: LinearModel
    evidence: dict[str, LinearModel]
    thresholds: dict[str, float]

    @classmethod
    def bundled(cls) -> Calibration:
        return _bundled_calibration()

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        try:
            evidence, thresholds = {}, {}
            for r in RELATIONS:
                entry = data["evidence"][r]
                evidence[r] = LinearModel.from_dict(entry["model"], EVIDENCE_FEATURES)
                thresholds[r] = float(entry["threshold"])
                lean = entry["without_baseline"]
                evidence[f"{r}/no-baseline"] = LinearModel.from_dict(lean["model"], EVIDENCE_FEATURES_WITHOUT_BASELINE)
                thresholds[f"{r}/no-baseline"] = float(lean["threshold"])
            return cls(LinearModel.from_dict(data["ranker"], SENTENCE_FEATURES), evidence, thresholds)
        except KeyError as err:
            raise ValueError(f"calibration file lacks {err}: run `isnad calibrate --write`") from None

    @classmethod
    def load(cls, path: Path) -> Calibration:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _bundled_calibration() -> Calibration:
    """``qa/calibration.json`` (written by ``isnad calibrate --write``), read once per process."""
    return Calibration.load(Path(str(resources.files("qa") / "calibration.json")))


@dataclass
class Sentence:
    passage: int  # index into the passages
    index: int  # index among its passage's sentences
    start: int  # offsets inside the passage text
    end: int
    text: str
    same_script: bool = True
    similarity: float = 0.0
    coverage: float = 0.0
    window_coverage: float = 0.0
    features: np.ndarray | None = None
    score: float = 0.0


@dataclass
class Scored:
    sentences: list[Sentence]
    # Evidence features per script relation ("same", "cross") present among the passages.
    evidence_features: dict[str, np.ndarray] = field(default_factory=dict)
    # Best evidence logit minus its relation's threshold: ≥ 0 is "enough evidence to answer".
    evidence: float = -math.inf

    @property
    def confident(self) -> bool:
        return bool(self.sentences) and self.evidence >= 0.0


def _is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def _has_number(text: str) -> bool:
    return bool(_DIGIT.search(text) or _YEAR_WORD.search(text))


def sentences_of(passages: list[Passage]) -> list[Sentence]:
    """The quotable sentences of the passages: the sentence spans each passage carries from
    the store (the article's indexed sentences that lie inside it, with their similarity to the
    question). The answerer never splits text itself, so what it quotes is what was indexed."""
    out = []
    for i, p in enumerate(passages):
        spans = sorted({(s - p.start, e - p.start): sim for s, e, sim in p.sentences}.items())
        out.extend(Sentence(i, j, s, e, p.text[s:e], similarity=sim) for j, ((s, e), sim) in enumerate(spans))
    return out


@dataclass
class ExtractiveAnswerer:
    calibration: Calibration | None
    idf: IdfFn | None = None
    max_sentences: int = 3

    # -- features -------------------------------------------------------------------------
    def featurize(self, question: str, passages: list[Passage]) -> Scored:
        """Every sentence with its ranking features, and the evidence features per relation
        (no model applied: ``isnad calibrate`` fits the models on these)."""
        sentences = sentences_of(passages)
        if not sentences:
            return Scored([])
        question_arabic = _is_arabic(question)
        for s in sentences:
            s.same_script = _is_arabic(s.text) == question_arabic
        q_terms = set(terms(question))
        sentence_terms = self._coverage(q_terms, sentences)
        self._sentence_features(question, q_terms, sentences, sentence_terms, passages)
        evidence = {}
        for relation, same in (("same", True), ("cross", False)):
            group = [s for s in sentences if s.same_script == same]
            if group:
                evidence[relation] = self._evidence_features(group, passages)
        return Scored(sentences, evidence)

    def _coverage(self, q_terms: set[str], sentences: list[Sentence]) -> list[set[str]]:
        """IDF-weighted share of the question's terms in each sentence, and in the sentence
        with its neighbours (a name or date is often stated a sentence earlier). Only where
        sentence and question share a script: across scripts no term can match."""
        sentence_terms = [set(terms(s.text)) if s.same_script else set() for s in sentences]
        if not q_terms:
            return sentence_terms
        n = len(sentences)
        if self.idf is not None:
            weight = {t: self.idf(t) for t in q_terms}
        else:
            weight = {t: math.log(1 + n / (1 + sum(t in st for st in sentence_terms))) for t in q_terms}
        total = sum(weight.values()) or 1.0
        for i, (s, st) in enumerate(zip(sentences, sentence_terms)):
            if not s.same_script:
                continue
            window = set(st)
            for j in (i - 1, i + 1):
                if 0 <= j < n and sentences[j].passage == s.passage:
                    window |= sentence_terms[j]
            s.coverage = sum(weight[t] for t in q_terms & st) / total
            s.window_coverage = sum(weight[t] for t in q_terms & window) / total
        return sentence_terms

    @staticmethod
    def _sentence_features(question: str, q_terms: set[str], sentences: list[Sentence], sentence_terms: list[set[str]],
                           passages: list[Passage]) -> None:
        sims = np.array([s.similarity for s in sentences])
        best_sim, best_cov = sims.max(), max(s.coverage for s in sentences)
        rank = np.empty(len(sims))
        rank[np.argsort(-sims, kind="stable")] = np.arange(len(sims))
        number_question = bool(_NUMBER_QUESTION.search(question))
        counts = Counter(s.passage for s in sentences)
        for i, (s, st) in enumerate(zip(sentences, sentence_terms)):
            neighbours = [sentences[j].similarity for j in (i - 1, i + 1)
                          if 0 <= j < len(sentences) and sentences[j].passage == s.passage]
            has_number = _has_number(s.text)
            own_terms = st if s.same_script else set(terms(s.text))
            s.features = np.array([
                s.similarity,
                s.similarity - best_sim,
                1.0 / (1.0 + rank[i]),
                s.coverage,
                s.window_coverage,
                s.coverage - best_cov,
                max(neighbours, default=s.similarity) - s.similarity,
                float(s.passage),
                passages[s.passage].score,
                math.log1p(len(s.text)),
                float(number_question and has_number),
                float(number_question and not has_number),
                len(own_terms - q_terms) / max(len(own_terms), 1),
                s.index / counts[s.passage],
            ])

    @staticmethod
    def _evidence_features(group: list[Sentence], passages: list[Passage]) -> np.ndarray:
        used = {s.passage for s in group}
        best_sim = max(s.similarity for s in group)
        best_passage = max(passages[i].scores.get("dense", 0.0) for i in used)
        # The question's baselines are the same on every passage (NaN: the store is too small).
        sentence_baseline = passages[0].scores.get("sentence_baseline", math.nan)
        dense_baseline = passages[0].scores.get("dense_baseline", math.nan)
        return np.array([
            best_sim,
            best_passage,
            max(s.coverage for s in group),
            max(s.window_coverage for s in group),
            best_sim - sentence_baseline,
            best_passage - dense_baseline,
        ])

    # -- answering ------------------------------------------------------------------------
    def score(self, question: str, passages: list[Passage]) -> Scored:
        if self.calibration is None:
            raise ValueError("the extractive answerer needs a calibration to score with")
        scored = self.featurize(question, passages)
        if not scored.sentences:
            return scored
        logits = self.calibration.ranker.logit(np.vstack([s.features for s in scored.sentences]))
        for s, value in zip(scored.sentences, logits):
            s.score = float(value)
        scored.evidence = max(self._evidence(r, x) for r, x in scored.evidence_features.items())
        return scored

    def _evidence(self, relation: str, x: np.ndarray) -> float:
        if np.isnan(x).any():
            relation, x = f"{relation}/no-baseline", x[: len(EVIDENCE_FEATURES_WITHOUT_BASELINE)]
        return float(self.calibration.evidence[relation].logit(x[None, :])[0]) - self.calibration.thresholds[relation]

    def answer(self, question: str, passages: list[Passage], asked: str | None = None) -> Answer:
        """``question``: what retrieval used (a follow-up joined to the one before it);
        ``asked``: what the user wrote, whose language every message of the answer takes."""
        asked = asked or question
        scored = self.score(question, passages)
        if not scored.confident:
            return Answer(abstain_message(asked), abstained=True, question_used=question)
        return self._compose(question, self.choose(scored.sentences), passages, asked)

    def choose(self, sentences: list[Sentence]) -> list[Sentence]:
        """The best ``max_sentences`` sentences, so long as the answer stays shorter than the
        passages it quotes: when they would quote every cited passage whole (a short passage),
        the weakest gives way to the next best sentence that keeps the answer shorter."""
        per_passage = Counter(s.passage for s in sentences)

        def quotes_all(chosen: list[Sentence]) -> bool:
            taken = Counter(s.passage for s in chosen)
            return all(n == per_passage[p] for p, n in taken.items())

        ranked = sorted(sentences, key=lambda s: -s.score)
        chosen, rest = ranked[: self.max_sentences], ranked[self.max_sentences:]
        while len(chosen) > 1 and quotes_all(chosen):
            keep = chosen[:-1]
            alternative = next((s for s in rest if not quotes_all([*keep, s])), None)
            chosen = [*keep, alternative] if alternative else keep
        return chosen

    def _compose(self, question: str, chosen: list[Sentence], passages: list[Passage], asked: str) -> Answer:
        # Quote in reading order; passage i is cited as [i+1], as the sources list numbers it.
        chosen.sort(key=lambda s: (s.passage, s.start))
        q_terms = set(terms(question))
        citations = {}
        parts: list[str] = []
        # A passage quoted twice is highlighted at its better sentence.
        best_of = {}
        for s in chosen:
            if s.passage not in best_of or s.score > best_of[s.passage].score:
                best_of[s.passage] = s
        for s in chosen:
            n = s.passage + 1
            if n not in citations:
                top = best_of[s.passage]
                clause = self._answer_clause(passages[s.passage].text, top, q_terms)
                citations[n] = citation_for(n, passages[s.passage], quote=(top.start, top.end), clause=clause)
            citations[n].quotes.append((passages[s.passage].start + s.start, passages[s.passage].start + s.end))
            parts.append(f"{s.text} [{n}]")
        best = max(chosen, key=lambda s: s.score)
        lead = f"{best.text} [{best.passage + 1}]"
        notice = None
        if not _is_arabic(asked) and any(_is_arabic(s.text) for s in chosen):
            notice = cross_language_notice(asked)
        return Answer(" ".join(parts), list(citations.values()), abstained=False, question_used=question, segments=parts,
                      lead=lead, notice=notice)

    @staticmethod
    def _answer_clause(text: str, sentence: Sentence, q_terms: set[str]) -> tuple[int, int]:
        """The clause of the sentence holding most of the question's terms (the whole sentence
        when it has one clause): where the answer sits, for highlighting."""
        clauses = split_clauses(text, sentence.start, sentence.end)
        if len(clauses) <= 1 or not q_terms:
            return sentence.start, sentence.end
        return max(clauses, key=lambda c: len(q_terms & set(terms(text[c[0]:c[1]]))))
