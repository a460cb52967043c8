"""What the extractive answerer's models read: the quotable sentences of the passages, each
with its ranking features (``SENTENCE_FEATURES``), the evidence features of the passages as a
whole (``EVIDENCE_FEATURES``) and the features of a sentence's clauses (``CLAUSE_FEATURES``).
``isnad calibrate`` fits the models on these rows; ``qa/extractive.py`` applies them."""
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
from vectorstore.hybrid import CROSS_LANGUAGE_OFFSET

from .kinds import DIGITS, Asked, Stated, stated_in
from .sentences import is_quotable

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
    stated: Stated | None = None  # what it states (a number, a date, a cost...), in any language
    names_new: bool = False  # a Latin-script sentence naming someone a "who" question does not (set by scoring)
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
    asked: Asked = field(default_factory=lambda: Asked(None))


def _has_number(text: str) -> bool:
    return bool(DIGITS.search(text) or _YEAR_WORD.search(text))


def holds_asked(s: Sentence, asked: Asked) -> bool:
    """Whether a sentence holds what a specific question asks for (``Asked.specific``): a
    quantity of the asked attribute, or a number beside what is counted (in the question's
    script; across scripts the number alone)."""
    if not asked.specific or not s.stated.matches(asked):
        return False
    return not (asked.counted and s.same_script) or bool(asked.counted & s.question_terms)


def sentences_of(passages: list[Passage]) -> list[Sentence]:
    """The quotable sentences of the passages: the sentence spans each passage carries from
    the store (the article's indexed sentences that lie inside it, with their similarity to the
    question), less titles, bylines, datelines and captions (``qa/answering/sentences.py``).
    The answerer never splits text itself, so what it quotes is what was indexed."""
    out = []
    for i, p in enumerate(passages):
        spans = sorted({(s - p.start, e - p.start): sim for s, e, sim in p.sentences}.items())
        spans = [(span, sim) for span, sim in spans if is_quotable(p.text[span[0]:span[1]], p.title)]
        out.extend(Sentence(i, j, s, e, p.text[s:e], similarity=sim, stated=stated_in(p.text[s:e]))
                   for j, ((s, e), sim) in enumerate(spans))
    return out


def sentence_features(question: str, q_terms: set[str], sentences: list[Sentence], sentence_terms: list[set[str]],
                       passages: list[Passage], weight: dict[str, float], asked: Asked) -> None:
    # Sentences of both scripts: those in the other one compared as retrieval compares them
    # (``CROSS_LANGUAGE_OFFSET``: a question sits closer to any text in its own language).
    mixed = len({s.same_script for s in sentences}) > 1
    sims = np.array([s.similarity + (CROSS_LANGUAGE_OFFSET if mixed and not s.same_script else 0.0)
                     for s in sentences])
    best_sim, best_cov = sims.max(), max(s.coverage for s in sentences)
    mean_sim, spread = sims.mean(), sims.std() + 1e-6
    rank = np.empty(len(sims))
    rank[np.argsort(-sims, kind="stable")] = np.arange(len(sims))
    number_question = bool(_NUMBER_QUESTION.search(question))
    counts = Counter(s.passage for s in sentences)
    for i, (s, st) in enumerate(zip(sentences, sentence_terms)):
        similarity = float(sims[i])
        neighbours = [float(sims[j]) for j in (i - 1, i + 1)
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
            similarity,
            similarity - best_sim,
            1.0 / (1.0 + rank[i]),
            s.coverage,
            s.window_coverage,
            s.coverage - best_cov,
            max(neighbours, default=similarity) - similarity,
            float(s.passage),
            passages[s.passage].score,
            math.log1p(len(s.text)),
            float(number_question and has_number),
            float(number_question and not has_number),
            len(own_terms - q_terms) / max(len(own_terms), 1),
            s.index / counts[s.passage],
            best_clause,
            proximity,
            (similarity - mean_sim) / spread,
            math.log1p(len(own_terms - q_terms)),
            s.coverage * similarity,
            float(s.index == 0),
            float(s.stated.answers(asked)),
            float(asked.kind is not None and not s.stated.answers(asked)),
            float(s.stated.names(asked)),
            float(s.stated.other_quantity(asked)),
        ])

def evidence_features(group: list[Sentence], passages: list[Passage], asked: Asked) -> np.ndarray:
    used = {s.passage for s in group}
    best_sim = max(s.similarity for s in group)
    kind_gap = 0.0
    if asked.kind is not None:
        holding = [s.similarity for s in group if s.stated.answers(asked)]
        kind_gap = max(holding) - best_sim if holding else -1.0
    best_passage = max(passages[i].scores.get("dense", 0.0) for i in used)
    # The question's baselines are the same on every passage (NaN: the store is too small).
    sentence_baseline = passages[0].scores.get("sentence_baseline", math.nan)
    dense_baseline = passages[0].scores.get("dense_baseline", math.nan)
    return np.array([
        best_sim,
        best_passage,
        max(s.coverage for s in group),
        max(s.window_coverage for s in group),
        kind_gap,
        best_sim - sentence_baseline,
        best_passage - dense_baseline,
    ])

# -- answering ------------------------------------------------------------------------


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
