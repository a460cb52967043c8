"""An LLM's answer, checked against the passages it cites, sentence by sentence.

A sentence stands only when it cites a given passage, every number in it (digits of any script,
years included) occurs in a passage it cites, every capitalised Latin name in it occurs there
too when that passage is in Latin script, and it is close enough to one of that passage's
sentences: their embedding similarity (the embedder's query side for the claim, its passage side
for the sentence) at least ``SUPPORT_SIMILARITY`` for their script relation. The threshold is measured, not guessed:
``benchmarks/grounding.py`` puts true claims (a question with its gold answer) against their own
sentence and against the closest sentence of other articles (BENCHMARKS.md).

Sentences that fail are dropped, never shown as cited fact; an answer none of whose sentences
stands is replaced by the extractive answer (the pipeline does that, and says so).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ingest.analysis import is_arabic
from ingest.chunking import split_sentences
from ingest.normalize import ASCII_DIGITS
from vectorstore import Passage

from .citations import MARKER, cited_numbers

# The least similarity for a claim and a sentence in the same script, and across scripts (an
# English answer quoting Arabic text: similarities run lower); each accepts about 95% of true
# claims (BENCHMARKS.md, "Checking LLM answers").
SUPPORT_SIMILARITY = {"same": 0.83, "cross": 0.77}

_DIGITS = str.maketrans(ASCII_DIGITS)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN_NAME = re.compile(r"\b[A-Z][A-Za-z\u00c0-\u024f'-]+")
_LATIN = re.compile(r"[A-Za-z]")
_LEADING_MARKERS = re.compile(r"^((?:\s*\[\d{1,3}\])+)")

# Similarity of each claim to each passage: the best over the passage's sentences.
Similarity = Callable[[list[str], list[Passage]], np.ndarray]


@dataclass
class CheckedSentence:
    text: str  # with its markers
    cited: list[int]  # the passage numbers it cites (1-based), valid ones only
    problem: str | None = None  # why it does not stand; None when it does

    @property
    def stands(self) -> bool:
        return self.problem is None


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text.translate(_DIGITS))}


def _names(text: str) -> set[str]:
    words = _LATIN_NAME.findall(text)
    first = re.match(r"\W*([A-Z][\w'-]*)", text)
    return {w.lower() for w in words if not (first and w == first.group(1))}


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences, each with its markers (a marker written after the full stop,
    "... in 2021. [2]", belongs to the sentence before it)."""
    pieces = [text[s:e] for s, e in split_sentences(text)]
    out: list[str] = []
    for piece in pieces:
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1] = f"{out[-1]} {lead.group(1).strip()}"
            piece = piece[lead.end():].strip()
        if piece:
            out.append(piece)
    return out


def check_sentences(text: str, passages: list[Passage], similarity: Similarity) -> list[CheckedSentence]:
    sentences = [CheckedSentence(s, [n for n in cited_numbers(s) if 1 <= n <= len(passages)])
                 for s in answer_sentences(text)]
    claims = [MARKER.sub(" ", s.text).strip() for s in sentences]
    cited_rows = [i for i, s in enumerate(sentences) if s.cited]
    sims = similarity([claims[i] for i in cited_rows], passages) if cited_rows and passages else None
    row_of = {i: r for r, i in enumerate(cited_rows)}
    for i, s in enumerate(sentences):
        if not s.cited:
            s.problem = "cites no passage"
            continue
        texts = [passages[n - 1].text for n in s.cited]
        missing_numbers = _numbers(claims[i]) - _numbers(" ".join(texts))
        latin_sources = " ".join(t for t in texts if _LATIN.search(t)).lower()
        missing_names = {n for n in _names(claims[i]) if latin_sources and n not in latin_sources}
        best = max(float(sims[row_of[i], n - 1]) for n in s.cited)
        relation = "same" if is_arabic(claims[i]) == is_arabic(" ".join(texts)) else "cross"
        if missing_numbers:
            s.problem = f"the cited passages do not give {', '.join(sorted(missing_numbers))}"
        elif missing_names:
            s.problem = f"the cited passages do not name {', '.join(sorted(missing_names))}"
        elif best < SUPPORT_SIMILARITY[relation]:
            s.problem = f"no sentence of the cited passages says it (similarity {best:.2f})"
    return sentences


def embedding_similarity(embedder) -> Similarity:
    """Claims on the embedder's query side against each passage's sentences (or its whole
    text, when it carries none) on the passage side; the best per passage."""

    def similarity(claims: list[str], passages: list[Passage]) -> np.ndarray:
        spans = [[(s, e) for s, e, _ in p.sentences] or [(p.start, p.end)] for p in passages]
        texts = [p.text[s - p.start:e - p.start] for p, ss in zip(passages, spans) for s, e in ss]
        q = np.asarray(embedder.embed_queries(claims))
        v = np.asarray(embedder.embed_passages(texts))
        sims = q @ v.T
        out, at = np.empty((len(claims), len(passages))), 0
        for j, ss in enumerate(spans):
            out[:, j] = sims[:, at:at + len(ss)].max(axis=1)
            at += len(ss)
        return out

    return similarity
