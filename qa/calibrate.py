"""``isnad calibrate``: the extractive answerer's abstain thresholds, fitted on data.

For every question of the given SQuAD files, the answerer's evidence (see ``qa/extractive.py``)
is taken twice:
against the passages retrieved from the whole dataset (answerable: kept only when they do hold
the gold answer), and against the passages retrieved with every paragraph of the question's own
article removed (the same question against the wrong articles: it should abstain). The
threshold that best separates the two (most answered right, fewest answered wrong: Youden's J)
is kept, for questions in the articles' own script and for questions across scripts separately. ``--write`` stores them in ``qa/calibration.json``.
"""
from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import numpy as np

from vectorstore import IsnadEmbeddings

from .eval import dataset_assistant
from .extractive import Calibration, ExtractiveAnswerer
from .settings import Settings
from .squad import contains_answer, load_squad


def _evidence(answerer: ExtractiveAnswerer, question: str, passages) -> dict[str, float]:
    return answerer.score(question, passages).raw


def collect(dataset_path: str, questions_from: str | None, *, settings: Settings, embedder: IsnadEmbeddings | None,
            limit: int | None, progress=None) -> dict[str, tuple[list[float], list[float]]]:
    """Evidence scores per mode: ``{mode: (answerable, wrong_articles)}``."""
    dataset = load_squad(dataset_path, questions_from, limit)
    out: dict[str, tuple[list[float], list[float]]] = {"same": ([], []), "cross": ([], [])}
    with dataset_assistant(dataset, settings, embedder) as (bot, _, _):
        answerer = ExtractiveAnswerer(Calibration(1.0, 1.0))
        top_k = bot.settings.top_k
        doc_of = {p.id: p.title for p in dataset.paragraphs}
        for i, q in enumerate(dataset.questions):
            cands = bot.retriever.candidates(q.text)
            right = bot.retriever.fuse(cands, top_k)
            if any(contains_answer(p.text, p.article_id, q) for p in right):
                for mode, value in _evidence(answerer, q.text, right).items():
                    out[mode][0].append(value)
            cands.dense = [p for p in cands.dense if doc_of.get(p.article_id) != q.doc_title]
            cands.lexical = [p for p in cands.lexical if doc_of.get(p.article_id) != q.doc_title]
            cands.sentences = [s for s in cands.sentences if doc_of.get(s[0]) != q.doc_title]
            wrong = bot.retriever.fuse(cands, top_k)
            for mode, value in _evidence(answerer, q.text, wrong).items():
                out[mode][1].append(value)
            if progress:
                progress(i + 1, len(dataset.questions))
    return out


def best_threshold(positives: list[float], negatives: list[float]) -> dict[str, float]:
    pos, neg = np.asarray(positives), np.asarray(negatives)
    if not len(pos) or not len(neg):
        raise ValueError("calibration needs both answerable and wrong-article questions for each mode")
    best = None
    for t in np.unique(np.concatenate([pos, neg])):
        tpr, fpr = float((pos >= t).mean()), float((neg >= t).mean())
        if best is None or tpr - fpr > best["youden_j"]:
            best = {"threshold": float(t), "answered_right": tpr, "answered_wrong": fpr, "youden_j": tpr - fpr,
                    "answerable": int(len(pos)), "wrong_articles": int(len(neg))}
    return best


def calibrate(same_script_sets: list[str], cross_script_sets: list[str], *, settings: Settings | None = None,
              embedder: IsnadEmbeddings | None = None, limit: int | None = None, progress=None) -> dict:
    """Each set is ``context.json`` or ``context.json:questions.json`` (parallel questions)."""
    settings = settings or Settings.from_env()
    pools = {"same": ([], []), "cross": ([], [])}
    for mode, sets in (("same", same_script_sets), ("cross", cross_script_sets)):
        for spec in sets:
            context, _, questions = spec.partition(":")
            got = collect(context, questions or None, settings=settings, embedder=embedder, limit=limit, progress=progress)
            pools[mode][0].extend(got[mode][0])
            pools[mode][1].extend(got[mode][1])
    same, cross = best_threshold(*pools["same"]), best_threshold(*pools["cross"])
    return {
        "min_similarity": round(same["threshold"], 4),
        "min_similarity_cross": round(cross["threshold"], 4),
        "same_script": same,
        "cross_script": cross,
        "datasets": {"same_script": same_script_sets, "cross_script": cross_script_sets},
        "limit": limit,
        "embedder": embedder.name if embedder else settings.embedder,
        "chunking": [settings.chunk_size, settings.chunk_overlap],
        "date": dt.date.today().isoformat(),
    }


def bundled_path() -> Path:
    return Path(str(resources.files("qa") / "calibration.json"))


def write(result: dict, path: Path | None = None) -> Path:
    path = path or bundled_path()
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
