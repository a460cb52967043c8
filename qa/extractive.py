"""The extractive answerer: no LLM, no network. It quotes the sentences of the retrieved
passages that answer the question, each with its ``[n]`` marker, sets in bold the clause that
carries the answer, or says the articles don't say, in the question's language.

The models it reads are fitted by ``isnad calibrate`` (``qa/answer_models.py``; what they were
fitted on and how they do on sets they were not: BENCHMARKS.md):

- the *sentence ranker* scores every sentence of the passages (``SENTENCE_FEATURES``: its
  similarity to the question and how that compares with the others, the IDF-weighted share of
  the question's terms in it and around it, its passage's rank, a number for a how-many/when
  question, ...). The best is the *lead*; at most two more follow, from the lead's article
  first: those scoring close to it, and, a little further, those holding question terms the
  lead lacks;
- the *clause model* picks the clause of the lead to set in bold (``CLAUSE_FEATURES``);
- the *evidence model* scores the passages as a whole (``EVIDENCE_FEATURES``: best sentence and
  passage similarity, best term coverage, how far they stand above the question's baseline in
  this store). Above its threshold the answer is ``answered``; between its floor and the
  threshold ``tentative`` (the closest sentence, offered with doubt); below the floor
  ``not_found``. One model for a question in the articles' own script, one across scripts,
  each also without the baselines for stores too small to have them.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingest.analysis import is_arabic, terms
from ingest.chunking import split_clauses
from vectorstore import Passage

from .answer import ANSWERED, TENTATIVE, Answer
from .answer_models import (CLAUSE_FEATURES, EVIDENCE_FEATURES, EVIDENCE_FEATURES_WITHOUT_BASELINE, SENTENCE_FEATURES,
                            Calibration)
from .citations import citation_for
from .language import abstain_message, cross_language_notice, tentative_notice

__all__ = ["CLAUSE_FEATURES", "EVIDENCE_FEATURES", "SENTENCE_FEATURES", "Calibration", "ExtractiveAnswerer", "Sentence",
           "clause_features", "sentences_of"]

_DIGIT = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
# Questions whose answer is a number or a date, in Arabic, English and French.
_NUMBER_QUESTION = re.compile(
    r"(^|\s)(كم|متى|بكم|لكم)(\s|$)|عام|سنة|\bhow (many|much|long|old)\b|\bwhen\b|\bwhat year\b|\bcombien\b|\bquand\b"
    r"|\bquelle année\b",
    re.IGNORECASE,
)
_YEAR_WORD = re.compile(r"(^|\s)(عام|سنة|العام|السنة)(\s|$)")

IdfFn = Callable[[str], float]

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
    question_terms: frozenset[str] = frozenset()  # the question's terms it holds (same script only)
    features: np.ndarray | None = None
    score: float = 0.0


@dataclass
class Scored:
    sentences: list[Sentence]
    # Evidence features per script relation ("same", "cross") present among the passages.
    evidence_features: dict[str, np.ndarray] = field(default_factory=dict)
    # Best evidence logit minus its relation's threshold: ≥ 0 is "enough evidence to answer";
    # and minus its floor: < 0 is "nothing related is there".
    evidence: float = -math.inf
    floor: float = -math.inf


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
        question_arabic = is_arabic(question)
        for s in sentences:
            s.same_script = is_arabic(s.text) == question_arabic
        q_terms = set(terms(question))
        sentence_terms, weight = self._coverage(q_terms, sentences)
        self._sentence_features(question, q_terms, sentences, sentence_terms, passages, weight)
        evidence = {}
        for relation, same in (("same", True), ("cross", False)):
            group = [s for s in sentences if s.same_script == same]
            if group:
                evidence[relation] = self._evidence_features(group, passages)
        return Scored(sentences, evidence)

    def _coverage(self, q_terms: set[str], sentences: list[Sentence]) -> tuple[list[set[str]], dict[str, float]]:
        """IDF-weighted share of the question's terms in each sentence, and in the sentence
        with its neighbours (a name or date is often stated a sentence earlier). Only where
        sentence and question share a script: across scripts no term can match. Returns each
        sentence's terms and the question terms' weights."""
        sentence_terms = [set(terms(s.text)) if s.same_script else set() for s in sentences]
        if not q_terms:
            return sentence_terms, {}
        n = len(sentences)
        if self.idf is not None:
            weight = {t: self.idf(t) for t in q_terms}
        else:
            weight = {t: math.log(1 + n / (1 + sum(t in st for st in sentence_terms))) for t in q_terms}
        total = sum(weight.values()) or 1.0
        weight = {t: w / total for t, w in weight.items()}
        for i, (s, st) in enumerate(zip(sentences, sentence_terms)):
            if not s.same_script:
                continue
            window = set(st)
            for j in (i - 1, i + 1):
                if 0 <= j < n and sentences[j].passage == s.passage:
                    window |= sentence_terms[j]
            s.question_terms = frozenset(q_terms & st)
            s.coverage = sum(weight[t] for t in s.question_terms)
            s.window_coverage = sum(weight[t] for t in q_terms & window)
        return sentence_terms, weight

    @staticmethod
    def _sentence_features(question: str, q_terms: set[str], sentences: list[Sentence], sentence_terms: list[set[str]],
                           passages: list[Passage], weight: dict[str, float]) -> None:
        sims = np.array([s.similarity for s in sentences])
        best_sim, best_cov = sims.max(), max(s.coverage for s in sentences)
        mean_sim, spread = sims.mean(), sims.std() + 1e-6
        rank = np.empty(len(sims))
        rank[np.argsort(-sims, kind="stable")] = np.arange(len(sims))
        number_question = bool(_NUMBER_QUESTION.search(question))
        counts = Counter(s.passage for s in sentences)
        for i, (s, st) in enumerate(zip(sentences, sentence_terms)):
            neighbours = [sentences[j].similarity for j in (i - 1, i + 1)
                          if 0 <= j < len(sentences) and sentences[j].passage == s.passage]
            has_number = _has_number(s.text)
            own_terms = st if s.same_script else set(terms(s.text))
            best_clause, proximity = 0.0, 0.0
            if s.same_script and q_terms & st:
                text = passages[s.passage].text
                best_clause = max(sum(weight[t] for t in q_terms & set(terms(text[a:b])))
                                  for a, b in split_clauses(text, s.start, s.end))
                matched = [k for k, t in enumerate(terms(s.text)) if t in q_terms]
                if len(matched) > 1:
                    proximity = len(matched) / (matched[-1] - matched[0] + 1)
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
                best_clause,
                proximity,
                (s.similarity - mean_sim) / spread,
                math.log1p(len(own_terms - q_terms)),
                s.coverage * s.similarity,
                float(s.index == 0),
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
        margins = [self._evidence(r, x) for r, x in scored.evidence_features.items()]
        scored.evidence = max(m[0] for m in margins)
        scored.floor = max(m[1] for m in margins)
        return scored

    def _evidence(self, relation: str, x: np.ndarray) -> tuple[float, float]:
        """The evidence logit's margin over its relation's threshold and over its floor."""
        if np.isnan(x).any():
            relation, x = f"{relation}/no-baseline", x[: len(EVIDENCE_FEATURES_WITHOUT_BASELINE)]
        logit = float(self.calibration.evidence[relation].logit(x[None, :])[0])
        return logit - self.calibration.thresholds[relation], logit - self.calibration.floors[relation]

    def answer(self, question: str, passages: list[Passage], asked: str | None = None) -> Answer:
        """``question``: what retrieval used (a follow-up joined to the one before it);
        ``asked``: what the user wrote, whose language every message of the answer takes."""
        asked = asked or question
        scored = self.score(question, passages)
        if not scored.sentences or scored.floor < 0:
            return Answer(abstain_message(asked), abstained=True, question_used=question)
        status = ANSWERED if scored.evidence >= 0 else TENTATIVE
        return self._compose(question, self.choose(scored.sentences, passages), passages, asked, status)

    @staticmethod
    def lead(sentences: list[Sentence]) -> Sentence:
        return max(sentences, key=lambda s: s.score)

    def choose(self, sentences: list[Sentence], passages: list[Passage]) -> list[Sentence]:
        """The lead, then at most ``max_sentences - 1`` supporting sentences, those of the
        lead's article first: a sentence scoring within the support margin of the lead, or
        within the wider completion margin when it holds question terms that no sentence chosen
        before it holds (the part of the question the lead leaves out). Never every sentence of
        the passages they come from (an answer stays shorter than what it quotes)."""
        lead = self.lead(sentences)
        support, completion = self.calibration.support_margin, self.calibration.completion_margin
        reach = lead.score - max(support, completion)
        candidates = [s for s in sentences if s is not lead and s.score >= reach]
        candidates.sort(key=lambda s: (passages[s.passage].article_id != passages[lead.passage].article_id, -s.score))
        per_passage = Counter(s.passage for s in sentences)
        chosen, covered = [lead], set(lead.question_terms)
        for s in candidates:
            if len(chosen) >= self.max_sentences:
                break
            taken = Counter(c.passage for c in [*chosen, s])
            if all(n == per_passage[p] for p, n in taken.items()):
                continue
            close = s.score >= lead.score - support
            completes = s.score >= lead.score - completion and bool(s.question_terms - covered)
            if close or completes:
                chosen.append(s)
                covered |= s.question_terms
        return chosen

    def _compose(self, question: str, chosen: list[Sentence], passages: list[Passage], asked: str,
                 status: str) -> Answer:
        """The lead first, then its supporting sentences in reading order; passage i is cited
        as [i+1], as the sources list numbers it. Wrapped lines are shown as one line."""
        lead, rest = chosen[0], sorted(chosen[1:], key=lambda s: (s.passage, s.start))
        q_terms = set(terms(question))
        citations = {}
        parts: list[str] = []
        for s in [lead, *rest]:
            n = s.passage + 1
            if n not in citations:  # a passage is highlighted at its best quoted sentence
                clause = self.bold_clause(question, passages[s.passage].text, s, q_terms)
                citations[n] = citation_for(n, passages[s.passage], quote=(s.start, s.end), clause=clause)
            citations[n].quotes.append((passages[s.passage].start + s.start, passages[s.passage].start + s.end))
            parts.append(f"{' '.join(s.text.split())} [{n}]")
        notices = [tentative_notice(asked) if status == TENTATIVE else None]
        if not is_arabic(asked) and any(is_arabic(s.text) for s in chosen):
            notices.append(cross_language_notice(asked))
        return Answer(" ".join(parts), list(citations.values()), abstained=False, question_used=question,
                      segments=parts, lead=parts[0], notice=" ".join(filter(None, notices)) or None, status=status)

    def bold_clause(self, question: str, text: str, sentence: Sentence, q_terms: set[str]) -> tuple[int, int]:
        """The clause of the sentence the clause model scores best (the whole sentence when it
        has one clause): where the answer sits, for highlighting."""
        clauses = split_clauses(text, sentence.start, sentence.end)
        if len(clauses) <= 1:
            return sentence.start, sentence.end
        x = clause_features(question, text, clauses, q_terms, self._weight)
        return clauses[int(np.argmax(self.calibration.clause.logit(x)))]

    def _weight(self, term: str) -> float:
        return self.idf(term) if self.idf is not None else 1.0


_WHO_QUESTION = re.compile(r"(^|\s)(من|مَن)(\s|$)|\bwho(m|se)?\b|\bqui\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]")


def clause_features(question: str, text: str, clauses: list[tuple[int, int]], q_terms: set[str],
                    weight: IdfFn) -> np.ndarray:
    """``CLAUSE_FEATURES`` of each clause of one sentence of ``text``."""
    clause_terms = [set(terms(text[s:e])) for s, e in clauses]
    total = sum(weight(t) for t in q_terms) or 1.0
    cover = [sum(weight(t) for t in q_terms & ct) / total for ct in clause_terms]
    number_question, who_question = bool(_NUMBER_QUESTION.search(question)), bool(_WHO_QUESTION.search(question))
    sentence_length = max(clauses[-1][1] - clauses[0][0], 1)
    rows = []
    for i, ((s, e), ct) in enumerate(zip(clauses, clause_terms)):
        piece = text[s:e]
        has_number = _has_number(piece)
        new_terms = ct - q_terms
        named = bool(new_terms) and (bool(_CAPITALISED.search(piece)) or is_arabic(piece))
        rows.append([
            cover[i],
            max([cover[j] for j in (i - 1, i + 1) if 0 <= j < len(clauses)], default=0.0),
            len(new_terms) / max(len(ct), 1),
            float(number_question and has_number),
            float(number_question and not has_number),
            float(who_question and named),
            i / len(clauses),
            (e - s) / sentence_length,
            math.log1p(e - s),
        ])
    x = np.array(rows, dtype=float)
    n = len(clauses)
    return np.c_[x, x[:, 0] - x[:, 0].max(), x[:, 2] - x[:, 2].max(), (x[:, 0] > 0).astype(float),
                 np.r_[0.0, x[: n - 1, 0]], np.r_[x[1:, 0], 0.0]]
