"""``isnad calibrate``: fits the extractive answerer's two models on SQuAD files.

For every question the passages are retrieved twice, by the pipeline's own retrieve step
(``qa/pipeline.py``): from the whole dataset (answerable: kept when they hold the gold answer) and with every
paragraph of the question's own article removed (the same question against the wrong
articles: it should abstain). A wrong-article retrieval that still holds the gold answer (a
related article that says it too, common in ARCD) is no negative and is left out.

- The sentence ranker: a logistic model over every sentence of the answerable retrievals,
  labelled by whether the sentence holds the gold answer (``SENTENCE_FEATURES``).
- The evidence models, one for questions in the articles' own script and one across scripts:
  logistic models telling answerable retrievals from wrong-article ones
  (``EVIDENCE_FEATURES``), each with the threshold that answers ``answer_rate`` of the
  answerable questions (default 0.93) unless that would answer more than ``max_wrong`` of
  the wrong-article ones (default 0.2; then the threshold rises to that cap). Why these
  and what they cost: BENCHMARKS.md. Youden's J point is reported beside it.

``--write`` stores the result in ``qa/calibration.json``, which the answerer loads.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ingest import normalize_for_matching
from vectorstore import IsnadEmbeddings

from .eval import dataset_assistant
from .pipeline import Trace
from .question import Question as Asked
from .extractive import EVIDENCE_FEATURES, EVIDENCE_FEATURES_WITHOUT_BASELINE, RELATIONS, SENTENCE_FEATURES, ExtractiveAnswerer, LinearModel
from .settings import Settings
from .squad import Question, contains_answer, load_squad

DEFAULT_ANSWER_RATE = 0.93
DEFAULT_MAX_WRONG = 0.2


@dataclass
class Samples:
    """Feature rows collected from one or more datasets."""

    answerable: dict[str, list[np.ndarray]] = field(default_factory=lambda: {r: [] for r in RELATIONS})
    wrong_articles: dict[str, list[np.ndarray]] = field(default_factory=lambda: {r: [] for r in RELATIONS})
    skipped_holding_answer: int = 0
    sentences: list[np.ndarray] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    questions: list[int] = field(default_factory=list)  # which question each sentence row belongs to

    def extend(self, other: Samples) -> None:
        for r in RELATIONS:
            self.answerable[r] += other.answerable[r]
            self.wrong_articles[r] += other.wrong_articles[r]
        self.skipped_holding_answer += other.skipped_holding_answer
        offset = max(self.questions, default=-1) + 1
        self.sentences += other.sentences
        self.labels += other.labels
        self.questions += [offset + q for q in other.questions]


def _holds_long_answer(passages, q: Question) -> bool:
    """The gold answer (longer than three characters) appears in these passages."""
    golds = [normalize_for_matching(a) for a in q.answers if len(a.strip()) > 3]
    return any(g and g in normalize_for_matching(p.text) for g in golds for p in passages)


def collect(dataset_path: str, questions_from: str | None, *, relation: str, settings: Settings,
            embedder: IsnadEmbeddings | None, limit: int | None, progress=None) -> Samples:
    """Rows of one set. ``relation``: the script relation the set stands for ("same" or
    "cross"); only that relation's evidence is kept (an Arabic question also meets the odd
    Latin-script sentence, and an English one the odd English quote inside Arabic text, but
    neither is what the set measures)."""
    dataset = load_squad(dataset_path, questions_from, limit)
    out = Samples()
    with dataset_assistant(dataset, settings, embedder) as (bot, _, _):
        pipeline, top_k = bot.pipeline, bot.settings.top_k
        answerer = ExtractiveAnswerer(None, idf=bot.retriever.lexical.idf)
        doc_of = {p.id: p.title for p in dataset.paragraphs}
        for i, q in enumerate(dataset.questions):
            trace = Trace()
            right = pipeline.retrieve(Asked.of(q.text).text, top_k, trace=trace)
            if any(contains_answer(p.text, p.article_id, q) for p in right):
                scored = answerer.featurize(q.text, right)
                if relation in scored.evidence_features:
                    out.answerable[relation].append(scored.evidence_features[relation])
                for s in scored.sentences:
                    out.sentences.append(s.features)
                    out.labels.append(contains_answer(s.text, right[s.passage].article_id, q))
                    out.questions.append(i)
            wrong = pipeline.retrieve_without(trace, top_k, lambda article_id: doc_of.get(article_id) == q.doc_title)
            if _holds_long_answer(wrong, q):
                out.skipped_holding_answer += 1
            else:
                features = answerer.featurize(q.text, wrong).evidence_features
                if relation in features:
                    out.wrong_articles[relation].append(features[relation])
            if progress:
                progress(i + 1, len(dataset.questions))
    return out


def threshold_for(positives, negatives, answer_rate: float = DEFAULT_ANSWER_RATE,
                  max_wrong: float = DEFAULT_MAX_WRONG) -> dict:
    """The highest threshold that still answers ``answer_rate`` of the positives, raised as far
    as needed to answer at most ``max_wrong`` of the negatives; what it answers on each side;
    and Youden's J point (most answered right minus answered wrong) for comparison."""
    pos, neg = np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    if not len(pos) or not len(neg):
        raise ValueError("calibration needs both answerable and wrong-article questions for each script relation")
    if not 0 < answer_rate <= 1 or not 0 <= max_wrong <= 1:
        raise ValueError(f"answer rate must be in (0, 1] and the wrong-answer cap in [0, 1], got {answer_rate}, {max_wrong}")
    ranked = np.sort(pos)[::-1]
    threshold = float(ranked[max(int(np.ceil(answer_rate * len(pos))) - 1, 0)])
    if (neg >= threshold).mean() > max_wrong:
        # The lowest threshold above all but max_wrong of the negatives.
        allowed = int(np.floor(max_wrong * len(neg)))
        threshold = float(np.nextafter(np.sort(neg)[::-1][allowed], np.inf))
    youden = max(((float((pos >= t).mean() - (neg >= t).mean()), float(t)) for t in np.unique(np.r_[pos, neg])))
    return {
        "threshold": threshold,
        "answered_right": float((pos >= threshold).mean()),
        "answered_wrong": float((neg >= threshold).mean()),
        "answerable": int(len(pos)),
        "wrong_articles": int(len(neg)),
        "youden": {"threshold": youden[1], "answered_right": float((pos >= youden[1]).mean()),
                   "answered_wrong": float((neg >= youden[1]).mean())},
    }


def fit(samples: Samples, answer_rate: float = DEFAULT_ANSWER_RATE, max_wrong: float = DEFAULT_MAX_WRONG) -> dict:
    if not samples.sentences or len(set(samples.labels)) < 2:
        raise ValueError("calibration needs answerable questions whose passages hold the answer")
    ranker = LinearModel.fit(SENTENCE_FEATURES, np.vstack(samples.sentences), np.array(samples.labels, dtype=float))
    evidence = {}
    for relation in RELATIONS:
        pos, neg = samples.answerable[relation], samples.wrong_articles[relation]
        if not pos or not neg:
            raise ValueError(f"calibration needs both answerable and wrong-article questions for the '{relation}' "
                             "script relation (give --same-script and --cross-script sets)")
        entry = {}
        for key, names in (("full", EVIDENCE_FEATURES), ("without_baseline", EVIDENCE_FEATURES_WITHOUT_BASELINE)):
            p, n = np.vstack(pos)[:, : len(names)], np.vstack(neg)[:, : len(names)]
            model = LinearModel.fit(names, np.vstack([p, n]), np.r_[np.ones(len(p)), np.zeros(len(n))], balanced=True)
            entry[key] = {"model": model.to_dict(), **threshold_for(model.logit(p), model.logit(n), answer_rate, max_wrong)}
        evidence[relation] = {**entry["full"], "without_baseline": entry["without_baseline"]}
    return {"ranker": {**ranker.to_dict(), "sentences": len(samples.labels), "holding_answer": int(sum(samples.labels))},
            "evidence": evidence, "skipped_wrong_articles_holding_answer": samples.skipped_holding_answer}


def calibrate(same_script_sets: list[str], cross_script_sets: list[str], *, settings: Settings | None = None,
              embedder: IsnadEmbeddings | None = None, limit: int | None = None,
              answer_rate: float = DEFAULT_ANSWER_RATE, max_wrong: float = DEFAULT_MAX_WRONG, progress=None) -> dict:
    """Each set is ``context.json`` or ``context.json:questions.json`` (parallel questions).
    Every set feeds the ranker; the same-script sets feed the 'same' evidence model and the
    cross-script sets the 'cross' one."""
    settings = settings or Settings.from_env()
    samples = Samples()
    for relation, sets in (("same", same_script_sets), ("cross", cross_script_sets)):
        for spec in sets:
            context, _, questions = spec.partition(":")
            samples.extend(collect(context, questions or None, relation=relation, settings=settings,
                                   embedder=embedder, limit=limit, progress=progress))
    result = fit(samples, answer_rate, max_wrong)
    result.update({
        "answer_rate": answer_rate,
        "max_wrong": max_wrong,
        "datasets": {"same_script": same_script_sets, "cross_script": cross_script_sets},
        "limit": limit,
        "embedder": embedder.name if embedder else settings.embedder,
        "chunking": [settings.chunk_size, settings.chunk_overlap],
        "top_k": settings.top_k,
        "date": dt.date.today().isoformat(),
    })
    return result


def bundled_path() -> Path:
    return Path(str(resources.files("qa") / "calibration.json"))


def write(result: dict, path: Path | None = None) -> Path:
    path = path or bundled_path()
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
