"""The extractive answerer: no LLM, no network. It quotes the sentences of the retrieved
passages that best answer the question, each with its ``[n]`` marker, marks the clause that
carries the answer, or abstains in the question's language.

Which sentences: each sentence of the passages gets
    term coverage (corpus-IDF-weighted share of the question's terms in the sentence and,
    with less weight, its neighbours; only where sentence and question share a script)
    + 2 × its embedding similarity to the question (from the sentence index)
    − a small penalty for lower-ranked passages,
and the two best are quoted.

Whether to answer at all: the evidence, the mean of the best sentence similarity and the best
passage similarity to the question plus a tenth of the best term coverage, must reach a threshold calibrated on data
(``isnad calibrate``, stored in ``qa/calibration.json``): one for a question in the articles'
own script and one across scripts (similarities run lower across languages). On XQuAD and ARCD
that separates answerable questions from the same questions put to the wrong articles better
than term overlap or either similarity alone (see BENCHMARKS.md).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from ingest import split_sentences
from ingest.analysis import terms
from ingest.chunking import split_clauses
from vectorstore import Passage

from .answer import Answer
from .citations import citation_for
from .language import abstain_message

_ARABIC = re.compile(r"[\u0600-\u06ff]")

EmbedFn = Callable[[Sequence[str]], np.ndarray]
IdfFn = Callable[[str], float]

SIMILARITY_WEIGHT = 2.0
RANK_PENALTY = 0.02
COVERAGE_EVIDENCE_WEIGHT = 0.1


@dataclass(frozen=True)
class Calibration:
    """Least evidence to answer: ``min_similarity`` when question and passages share a script,
    ``min_similarity_cross`` when they do not."""

    min_similarity: float = 0.84
    min_similarity_cross: float = 0.78

    @classmethod
    def bundled(cls) -> Calibration:
        return _bundled_calibration()


@lru_cache(maxsize=1)
def _bundled_calibration() -> Calibration:
    """``qa/calibration.json`` (written by ``isnad calibrate --write``), read once per process."""
    path = resources.files("qa") / "calibration.json"
    if not path.is_file():
        return Calibration()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Calibration(float(data["min_similarity"]), float(data["min_similarity_cross"]))


@dataclass
class Sentence:
    passage: int  # index into the passages
    start: int  # offsets inside the passage text
    end: int
    text: str
    same_script: bool = True
    similarity: float = 0.0
    coverage: float = 0.0
    score: float = 0.0


@dataclass
class Scored:
    sentences: list[Sentence]
    # Raw evidence per script relation ("same", "cross"): mean of the best sentence and the best
    # passage similarity among the passages of that relation.
    raw: dict[str, float]
    # Raw evidence divided by its threshold, best relation: 1.0 is "just enough evidence".
    evidence: float

    @property
    def confident(self) -> bool:
        return bool(self.sentences) and self.evidence >= 1.0


def _is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


@dataclass
class ExtractiveAnswerer:
    calibration: Calibration
    idf: IdfFn | None = None
    embed_query: EmbedFn | None = None
    embed_passages: EmbedFn | None = None
    max_sentences: int = 2

    def score(self, question: str, passages: list[Passage]) -> Scored:
        sentences = [Sentence(i, s, e, p.text[s:e]) for i, p in enumerate(passages) for s, e in split_sentences(p.text)]
        if not sentences:
            return Scored([], {}, 0.0)
        question_arabic = _is_arabic(question)
        for s in sentences:
            s.same_script = _is_arabic(s.text) == question_arabic
        self._similarities(question, sentences, passages)
        self._coverage(question, sentences)
        for s in sentences:
            s.score = s.coverage + SIMILARITY_WEIGHT * s.similarity - RANK_PENALTY * s.passage
        raw: dict[str, float] = {}
        for relation, same in (("same", True), ("cross", False)):
            group = [s for s in sentences if s.same_script == same]
            if group:
                best_passage = max(passages[s.passage].scores.get("dense", 0.0) for s in group)
                raw[relation] = (max(s.similarity for s in group) + best_passage) / 2
                # Term coverage (0 across scripts) adds what similarity misses on short questions.
                raw[relation] += COVERAGE_EVIDENCE_WEIGHT * max(s.coverage for s in group)
        thresholds = {"same": self.calibration.min_similarity, "cross": self.calibration.min_similarity_cross}
        evidence = max(value / thresholds[relation] for relation, value in raw.items())
        return Scored(sentences, raw, evidence)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        scored = self.score(question, passages)
        if not scored.confident:
            return Answer(abstain_message(question), abstained=True, question_used=question)
        chosen = sorted(scored.sentences, key=lambda s: -s.score)[: self.max_sentences]
        return self._compose(question, chosen, passages)

    def _similarities(self, question: str, sentences: list[Sentence], passages: list[Passage]) -> None:
        """From the sentence index (found at retrieval: no embedding here). A sentence the index
        did not return scores 0. Passages retrieved without the index get embedded now."""
        found = {}
        for i, p in enumerate(passages):
            for start, end, sim in p.sentences:
                found[(i, start - p.start, end - p.start)] = sim
        missing = [s for s in sentences if not passages[s.passage].sentences]
        for s in sentences:
            s.similarity = found.get((s.passage, s.start, s.end), 0.0)
        if missing and self.embed_query is not None:
            sims = self.embed_passages([s.text for s in missing]) @ self.embed_query([question])[0]
            for s, sim in zip(missing, sims):
                s.similarity = float(sim)

    def _coverage(self, question: str, sentences: list[Sentence]) -> None:
        """IDF-weighted share of the question's terms in the sentence (0.7) and in the sentence
        with its neighbours (0.3): a name or date is often stated a sentence earlier."""
        q_terms = set(terms(question))
        if not q_terms:
            return
        sentence_terms = [set(terms(s.text)) if s.same_script else set() for s in sentences]
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
            s.coverage = (0.7 * sum(weight[t] for t in q_terms & st) + 0.3 * sum(weight[t] for t in q_terms & window)) / total

    def _compose(self, question: str, chosen: list[Sentence], passages: list[Passage]) -> Answer:
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
        return Answer(" ".join(parts), list(citations.values()), abstained=False, question_used=question)

    @staticmethod
    def _answer_clause(text: str, sentence: Sentence, q_terms: set[str]) -> tuple[int, int]:
        """The clause of the sentence holding most of the question's terms (the whole sentence
        when it has one clause): where the answer sits, for highlighting."""
        clauses = split_clauses(text, sentence.start, sentence.end)
        if len(clauses) <= 1 or not q_terms:
            return sentence.start, sentence.end
        return max(clauses, key=lambda c: len(q_terms & set(terms(text[c[0]:c[1]]))))
