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
from ingest.analysis import terms
from vectorstore import IsnadEmbeddings

from ingest.chunking import split_clauses

from .eval import dataset_assistant
from .pipeline import Trace
from .question import Question as Asked
from .answer_models import (CLAUSE_FEATURES, DEFAULT_COMPLETION_MARGIN, DEFAULT_FLOOR_RATE, DEFAULT_SUPPORT_MARGIN,
                            EVIDENCE_FEATURES, EVIDENCE_FEATURES_WITHOUT_BASELINE, RELATIONS, SENTENCE_FEATURES,
                            LinearModel)
from .extractive import ExtractiveAnswerer, clause_features
from .settings import Settings
from .squad import Question, contains_answer, load_squad

EVIDENCE_KEYS = tuple(key for r in RELATIONS for key in (r, f"{r}/no-baseline"))
DEFAULT_ANSWER_RATE = 0.93
DEFAULT_MAX_WRONG = 0.2


@dataclass
class Samples:
    """Feature rows collected from one or more datasets."""

    # Evidence rows per calibration key: "<relation>" from the whole store, and
    # "<relation>/no-baseline" from a store of one article (the question's own, or the best
    # other one): what a small store, too small for baselines, looks like.
    answerable: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in EVIDENCE_KEYS})
    wrong_articles: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in EVIDENCE_KEYS})
    skipped_holding_answer: int = 0
    # Per relation, the rows each set contributed: (first answerable, end, first wrong, end).
    sets: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=lambda: {k: [] for k in EVIDENCE_KEYS})
    sentences: list[np.ndarray] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    questions: list[int] = field(default_factory=list)  # which question each sentence row belongs to
    # The clauses of sentences that hold the answer (sentences of two clauses or more).
    clauses: list[np.ndarray] = field(default_factory=list)
    clause_labels: list[bool] = field(default_factory=list)

    def extend(self, other: Samples) -> None:
        for r in EVIDENCE_KEYS:
            a, w = len(self.answerable[r]), len(self.wrong_articles[r])
            self.sets[r] += [(a + p0, a + p1, w + n0, w + n1) for p0, p1, n0, n1 in other.sets[r]]
            self.answerable[r] += other.answerable[r]
            self.wrong_articles[r] += other.wrong_articles[r]
        self.skipped_holding_answer += other.skipped_holding_answer
        offset = max(self.questions, default=-1) + 1
        self.sentences += other.sentences
        self.labels += other.labels
        self.questions += [offset + q for q in other.questions]
        self.clauses += other.clauses
        self.clause_labels += other.clause_labels


def _holds_long_answer(passages, q: Question) -> bool:
    """The gold answer (longer than three characters) appears in these passages."""
    golds = [normalize_for_matching(a) for a in q.answers if len(a.strip()) > 3]
    return any(g and g in normalize_for_matching(p.text) for g in golds for p in passages)


@dataclass
class Retrieved:
    """One question of a set, retrieved as the pipeline retrieves it: from the whole set
    (``right``) and with every paragraph of its own article removed (``wrong``; None when a
    related article still holds the gold answer: no negative). ``idf``: the store's IDF of the
    question's terms, so features can be computed again without the store."""

    question: Question
    right: list
    wrong: list | None
    idf: dict[str, float]
    # As if the store held one article: the question's own (``own``), or the best other one
    # (``other``; None when it holds the gold answer).
    own: list | None = None
    other: list | None = None

    def idf_of(self, term: str) -> float:
        return self.idf.get(term, 0.0)


def retrieve_set(dataset_path: str, questions_from: str | None, *, settings: Settings,
                 embedder: IsnadEmbeddings | None, limit: int | None, negatives: list[Question] = (),
                 progress=None) -> list[Retrieved]:
    """``negatives``: questions about other things, put to this set's store (``right`` empty,
    ``wrong`` what they retrieve): the wrong-article case for a store of one article."""
    dataset = load_squad(dataset_path, questions_from, limit)
    out = []
    with dataset_assistant(dataset, settings, embedder) as (bot, _, _):
        pipeline, top_k, idf = bot.pipeline, bot.settings.top_k, bot.retriever.lexical.idf
        doc_of = {p.id: p.title for p in dataset.paragraphs}
        for i, q in enumerate(dataset.questions):
            trace = Trace()
            right = pipeline.retrieve(Asked.of(q.text).text, top_k, trace=trace)
            wrong = pipeline.retrieve_without(trace, top_k, lambda article_id: doc_of.get(article_id) == q.doc_title)
            own = pipeline.retrieve_without(trace, top_k, lambda article_id: doc_of.get(article_id) != q.doc_title)
            other_title = doc_of.get(wrong[0].article_id) if wrong else None
            other = pipeline.retrieve_without(trace, top_k, lambda article_id: doc_of.get(article_id) != other_title)
            out.append(Retrieved(q, right, None if not wrong or _holds_long_answer(wrong, q) else wrong,
                                 {t: idf(t) for t in terms(q.text)}, own or None,
                                 None if not other or _holds_long_answer(other, q) else other))
            if progress:
                progress(i + 1, len(dataset.questions))
        for q in negatives:
            out.append(Retrieved(q, [], pipeline.retrieve(Asked.of(q.text).text, top_k),
                                 {t: idf(t) for t in terms(q.text)}))
    return out


def samples_of(retrieved: list[Retrieved], relation: str) -> Samples:
    """Feature rows of retrieved questions. ``relation``: the script relation the set stands
    for ("same" or "cross"); only that relation's evidence is kept (an Arabic question also
    meets the odd Latin-script sentence, and an English one the odd English quote inside
    Arabic text, but neither is what the set measures)."""
    out = Samples()
    for i, r in enumerate(retrieved):
        answerer = ExtractiveAnswerer(None, idf=r.idf_of)
        q = r.question
        if any(contains_answer(p.text, p.article_id, q) for p in r.right):
            scored = answerer.featurize(q.text, r.right)
            if relation in scored.evidence_features:
                out.answerable[relation].append(scored.evidence_features[relation])
            q_terms = set(terms(q.text))
            for s in scored.sentences:
                holds = contains_answer(s.text, r.right[s.passage].article_id, q)
                out.sentences.append(s.features)
                out.labels.append(holds)
                out.questions.append(i)
                if holds:
                    text = r.right[s.passage].text
                    clauses = split_clauses(text, s.start, s.end)
                    if len(clauses) > 1:
                        out.clauses.append(clause_features(q.text, text, clauses, q_terms, r.idf_of))
                        out.clause_labels += [contains_answer(text[cs:ce], r.right[s.passage].article_id, q)
                                              for cs, ce in clauses]
        if r.wrong is None:
            out.skipped_holding_answer += 1
        else:
            features = answerer.featurize(q.text, r.wrong).evidence_features
            if relation in features:
                out.wrong_articles[relation].append(features[relation])
        # The one-article stores: the question's own article (when it holds the answer), and the
        # best other one.
        small = f"{relation}/no-baseline"
        own_answers = bool(r.own) and any(contains_answer(p.text, p.article_id, q) for p in r.own)
        for passages, rows in ((r.own if own_answers else None, out.answerable[small]),
                               (r.other, out.wrong_articles[small])):
            if passages:
                features = answerer.featurize(q.text, passages).evidence_features
                if relation in features:
                    rows.append(features[relation][: len(EVIDENCE_FEATURES_WITHOUT_BASELINE)])
    for key in (relation, small):
        out.sets[key].append((0, len(out.answerable[key]), 0, len(out.wrong_articles[key])))
    return out


def collect(dataset_path: str, questions_from: str | None, *, relation: str, settings: Settings,
            embedder: IsnadEmbeddings | None, limit: int | None, progress=None) -> Samples:
    """Feature rows of one set (see ``samples_of``)."""
    return samples_of(retrieve_set(dataset_path, questions_from, settings=settings, embedder=embedder, limit=limit,
                                   progress=progress), relation)


def threshold_for(positives, negatives, answer_rate: float = DEFAULT_ANSWER_RATE,
                  max_wrong: float = DEFAULT_MAX_WRONG, floor_rate: float = DEFAULT_FLOOR_RATE,
                  sets: list[tuple[int, int, int, int]] | None = None) -> dict:
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
    floor = float(ranked[max(int(np.ceil(floor_rate * len(pos))) - 1, 0)])
    # Question styles differ (one set's wrong articles are off-topic, another's on the same
    # subject): the threshold must hold the cap on every set, the floor keep floor_rate of
    # every set's answerable questions.
    for p0, p1, n0, n1 in sets or []:
        if p1 > p0 and n1 > n0:
            one = threshold_for(pos[p0:p1], neg[n0:n1], answer_rate, max_wrong, floor_rate)
            if (neg[n0:n1] >= threshold).mean() > max_wrong:
                threshold = max(threshold, one["threshold"])
            floor = min(floor, one["floor"])
    floor = min(floor, threshold)
    youden = max(((float((pos >= t).mean() - (neg >= t).mean()), float(t)) for t in np.unique(np.r_[pos, neg])))
    return {
        "threshold": threshold,
        "floor": floor,
        "not_found_right": float((pos < floor).mean()),
        "not_found_wrong": float((neg < floor).mean()),
        "answered_right": float((pos >= threshold).mean()),
        "answered_wrong": float((neg >= threshold).mean()),
        "answerable": int(len(pos)),
        "wrong_articles": int(len(neg)),
        "youden": {"threshold": youden[1], "answered_right": float((pos >= youden[1]).mean()),
                   "answered_wrong": float((neg >= youden[1]).mean())},
    }


def fit(samples: Samples, answer_rate: float = DEFAULT_ANSWER_RATE, max_wrong: float = DEFAULT_MAX_WRONG,
        floor_rate: float = DEFAULT_FLOOR_RATE, support_margin: float = DEFAULT_SUPPORT_MARGIN,
        completion_margin: float = DEFAULT_COMPLETION_MARGIN) -> dict:
    if not samples.sentences or len(set(samples.labels)) < 2:
        raise ValueError("calibration needs answerable questions whose passages hold the answer")
    if len(set(samples.clause_labels)) < 2:
        raise ValueError("calibration needs answers inside sentences of several clauses, to fit the clause model")
    ranker = LinearModel.fit_listwise(SENTENCE_FEATURES, np.vstack(samples.sentences),
                                      np.array(samples.labels, dtype=float), samples.questions)
    clause = LinearModel.fit(CLAUSE_FEATURES, np.vstack(samples.clauses), np.array(samples.clause_labels, dtype=float))
    evidence = {}
    for relation in RELATIONS:
        entry = {}
        for key, names in ((relation, EVIDENCE_FEATURES), (f"{relation}/no-baseline", EVIDENCE_FEATURES_WITHOUT_BASELINE)):
            pos, neg = samples.answerable[key], samples.wrong_articles[key]
            if not pos or not neg:
                raise ValueError(f"calibration needs both answerable and wrong-article questions for the '{relation}' "
                                 "script relation (give --same-script and --cross-script sets)")
            p, n = np.vstack(pos), np.vstack(neg)
            model = LinearModel.fit(names, np.vstack([p, n]), np.r_[np.ones(len(p)), np.zeros(len(n))], balanced=True)
            entry[key] = {"model": model.to_dict(),
                          **threshold_for(model.logit(p), model.logit(n), answer_rate, max_wrong, floor_rate,
                                          samples.sets[key])}
        evidence[relation] = {**entry[relation], "without_baseline": entry[f"{relation}/no-baseline"]}
    return {"ranker": {**ranker.to_dict(), "sentences": len(samples.labels), "holding_answer": int(sum(samples.labels))},
            "clause": {**clause.to_dict(), "clauses": len(samples.clause_labels),
                       "holding_answer": int(sum(samples.clause_labels))},
            "support_margin": support_margin,
            "completion_margin": completion_margin,
            "evidence": evidence, "skipped_wrong_articles_holding_answer": samples.skipped_holding_answer}


def calibrate(same_script_sets: list[str], cross_script_sets: list[str], *, settings: Settings | None = None,
              embedder: IsnadEmbeddings | None = None, limit: int | None = None,
              answer_rate: float = DEFAULT_ANSWER_RATE, max_wrong: float = DEFAULT_MAX_WRONG,
              floor_rate: float = DEFAULT_FLOOR_RATE, support_margin: float = DEFAULT_SUPPORT_MARGIN,
              completion_margin: float = DEFAULT_COMPLETION_MARGIN, progress=None) -> dict:
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
    result = fit(samples, answer_rate, max_wrong, floor_rate, support_margin, completion_margin)
    result.update({
        "answer_rate": answer_rate,
        "max_wrong": max_wrong,
        "floor_rate": floor_rate,
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
