"""The extractive answerer: no LLM, no network. It quotes the sentences of the retrieved
passages that best answer the question, each with its ``[n]`` marker, or abstains.

Sentence scoring: the share of the question's (IDF-weighted) terms a sentence contains, with
the passage's retrieval score as a tie-breaker. When the question and the passages share no
script (an English question over Arabic articles), terms cannot match, so sentences are
scored by embedding similarity to the question instead.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest import split_sentences
from ingest.analysis import terms
from vectorstore import Passage

from .answer import Answer, Citation
from .language import abstain_message

_ARABIC = re.compile(r"[\u0600-\u06ff]")

EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass
class _Sentence:
    passage: int  # index into the passages
    start: int  # offsets inside the passage text
    end: int
    text: str
    score: float = 0.0


@dataclass
class ExtractiveAnswerer:
    """``min_coverage``: least share of the question's terms the best sentence must hold;
    ``min_dense``: least query-sentence similarity when scoring cross-lingually."""

    min_coverage: float = 0.34
    min_dense: float = 0.75
    max_sentences: int = 2
    embed_query: EmbedFn | None = None
    embed_passages: EmbedFn | None = None

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        sentences = [
            _Sentence(i, s, e, p.text[s:e]) for i, p in enumerate(passages) for s, e in split_sentences(p.text)
        ]
        if not sentences:
            return Answer(abstain_message(question), abstained=True, question_used=question)
        same_script = bool(_ARABIC.search(question)) == any(_ARABIC.search(p.text) for p in passages)
        if same_script or self.embed_query is None:
            confident = self._score_lexical(question, sentences, passages)
        else:
            confident = self._score_dense(question, sentences)
        if not confident:
            return Answer(abstain_message(question), abstained=True, question_used=question)
        best = max(s.score for s in sentences)
        chosen = sorted(sentences, key=lambda s: -s.score)[: self.max_sentences]
        chosen = [s for s in chosen if s.score >= 0.75 * best]
        return self._compose(question, chosen, passages)

    def _score_lexical(self, question: str, sentences: list[_Sentence], passages: list[Passage]) -> bool:
        q_terms = set(terms(question))
        if not q_terms:
            return False
        sentence_terms = [set(terms(s.text)) for s in sentences]
        n = len(sentences)
        idf = {t: math.log(1 + n / (1 + sum(t in st for st in sentence_terms))) for t in q_terms}
        total = sum(idf.values())
        best_coverage = 0.0
        for s, st in zip(sentences, sentence_terms):
            coverage = sum(idf[t] for t in q_terms & st) / total
            best_coverage = max(best_coverage, coverage)
            s.score = coverage + 0.05 * passages[s.passage].scores.get("dense", 0.0)
        return best_coverage >= self.min_coverage

    def _score_dense(self, question: str, sentences: list[_Sentence]) -> bool:
        q = self.embed_query([question])[0]
        vectors = self.embed_passages([s.text for s in sentences])
        sims = vectors @ q
        for s, sim in zip(sentences, sims):
            s.score = float(sim)
        return float(sims.max()) >= self.min_dense

    @staticmethod
    def _compose(question: str, chosen: list[_Sentence], passages: list[Passage]) -> Answer:
        # Quote in reading order of the passages, one citation per passage.
        chosen.sort(key=lambda s: (s.passage, s.start))
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for s in chosen:
            if s.passage not in numbers:
                p = passages[s.passage]
                numbers[s.passage] = len(numbers) + 1
                citations.append(
                    Citation(
                        n=numbers[s.passage],
                        article_id=p.article_id,
                        title=p.title,
                        text=p.text,
                        start=p.start,
                        end=p.end,
                        page=p.page,
                        score=p.score,
                        quote_start=p.start + s.start,
                        quote_end=p.start + s.end,
                    )
                )
            parts.append(f"{s.text} [{numbers[s.passage]}]")
        return Answer(" ".join(parts), citations, abstained=False, question_used=question)
