"""SQuAD v1.1 files (XQuAD, ARCD): paragraphs, questions, and the matching rules for scoring."""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ingest import Article, normalize_for_matching


@dataclass
class Question:
    id: str
    text: str
    answers: list[str]
    paragraph_id: str
    doc_title: str


@dataclass
class Dataset:
    paragraphs: list[Article]
    questions: list[Question]


def load_squad(path: str | Path, questions_from: str | Path | None = None, limit: int | None = None) -> Dataset:
    """Paragraphs as articles (id ``p<doc>-<paragraph>``) and their questions.

    ``questions_from``: a parallel file with the same question ids (XQuAD en); its question texts
    replace the ones of ``path`` (so English questions are asked against Arabic paragraphs).
    ``limit``: keep the first ``limit`` questions (and every paragraph, so retrieval stays as hard).
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    other: dict[str, str] = {}
    if questions_from:
        for doc in json.loads(Path(questions_from).read_text(encoding="utf-8"))["data"]:
            for para in doc["paragraphs"]:
                other.update((q["id"], q["question"]) for q in para["qas"])
    paragraphs: list[Article] = []
    questions: list[Question] = []
    for d, doc in enumerate(data["data"]):
        title = str(doc.get("title", f"doc {d}"))
        for p, para in enumerate(doc["paragraphs"]):
            pid = f"p{d}-{p}"
            paragraphs.append(Article(id=pid, title=title, text=para["context"], format="squad"))
            for q in para["qas"]:
                text = other.get(q["id"], q["question"]) if other else q["question"]
                if questions_from and q["id"] not in other:
                    continue
                if not any(a["text"].strip() for a in q.get("answers", [])):
                    continue  # SQuAD 2.0's unanswerable questions (AAQAD has them): no gold to score
                questions.append(Question(q["id"], text.strip(), [a["text"] for a in q["answers"]], pid, title))
    if limit:
        questions = questions[:limit]
    return Dataset(paragraphs, questions)


def contains_answer(chunk_text: str, chunk_article: str, question: Question) -> bool:
    """The rule for "a retrieved chunk contains the gold answer": normalised containment, and for
    answers of three characters or fewer, the chunk must come from the gold paragraph."""
    haystack = normalize_for_matching(chunk_text)
    for answer in question.answers:
        gold = normalize_for_matching(answer)
        if gold and gold in haystack and (len(gold) > 3 or chunk_article == question.paragraph_id):
            return True
    return False


_PUNCT = re.compile(r"[^\w\s]|_", re.UNICODE)
_MARKER = re.compile(r"\[\d+\]")


def _answer_tokens(text: str) -> list[str]:
    text = _MARKER.sub(" ", text)
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in normalize_for_matching(text))
    return _PUNCT.sub(" ", text).split()


def exact_match(prediction: str, answers: list[str]) -> float:
    pred = _answer_tokens(prediction)
    return float(any(pred == _answer_tokens(a) for a in answers))


def token_f1(prediction: str, answers: list[str]) -> float:
    pred = _answer_tokens(prediction)
    best = 0.0
    for answer in answers:
        gold = _answer_tokens(answer)
        common = Counter(pred) & Counter(gold)
        overlap = sum(common.values())
        if overlap:
            precision, recall = overlap / len(pred), overlap / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def answer_contains(prediction: str, answers: list[str]) -> bool:
    pred = normalize_for_matching(_MARKER.sub(" ", prediction))
    return any(normalize_for_matching(a) in pred for a in answers if a.strip())


def answer_holds_gold(prediction: str, cited_articles: list[str], question: Question) -> bool:
    """"Answer contains gold" as the benchmarks count it: the rule retrieval is scored by
    (:func:`contains_answer`) applied to the answer text, with any cited article standing for
    the chunk's (so an answer of three characters or fewer counts only when the answer cites
    the gold paragraph: a "5" is in many sentences)."""
    text = _MARKER.sub(" ", prediction)
    return any(contains_answer(text, article_id, question) for article_id in cited_articles or [""])
