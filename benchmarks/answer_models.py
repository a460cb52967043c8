"""Do the extractive answerer's fitted models hold on data they were not fitted on?

    python benchmarks/answer_models.py [--limit N]

Collects the rows `isnad calibrate` fits on, for XQuAD-ar, ARCD and XQuAD en→ar, then for each
set fits the models on the *other* sets and scores the held-out one:

- sentence ranker: share of answerable questions (passages holding the gold answer) whose
  first 1 / 2 / 3 ranked sentences include one holding it, against the hand-set formula the
  answerer used before (term coverage + 2 × similarity − 0.02 × passage rank);
- evidence model (same script: trained on the other Arabic set; the cross-script set has no
  other cross-script set, so it is shown fitted on itself, marked): share answered of the
  held-out answerable and wrong-article questions at the threshold chosen on the training sets.
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from qa.calibrate import DEFAULT_ANSWER_RATE, DEFAULT_MAX_WRONG, Samples, collect, threshold_for
from qa.extractive import EVIDENCE_FEATURES, SENTENCE_FEATURES, LinearModel
from qa.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "XQuAD-ar": ("same", DATA / "xquad/xquad.ar.json", None),
    "ARCD": ("same", DATA / "arcd/arcd.json", None),
    "XQuAD en→ar": ("cross", DATA / "xquad/xquad.ar.json", DATA / "xquad/xquad.en.json"),
}


def top_k_hits(samples: Samples, scores: np.ndarray, ks=(1, 2, 3)) -> dict[int, float]:
    rows = defaultdict(list)
    for q, label, score in zip(samples.questions, samples.labels, scores):
        rows[q].append((score, label))
    hits = {k: 0 for k in ks}
    for ranked in rows.values():
        ranked.sort(key=lambda r: -r[0])
        for k in ks:
            hits[k] += any(label for _, label in ranked[:k])
    return {k: hits[k] / max(len(rows), 1) for k in ks}


def hand_formula(x: np.ndarray) -> np.ndarray:
    f = {name: x[:, i] for i, name in enumerate(SENTENCE_FEATURES)}
    return 0.7 * f["coverage"] + 0.3 * f["window_coverage"] + 2 * f["similarity"] - 0.02 * f["passage_rank"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    settings = Settings.from_env()
    samples = {name: collect(str(path), str(qf) if qf else None, relation=relation, settings=settings, embedder=None,
                             limit=args.limit)
               for name, (relation, path, qf) in SETS.items()}

    print("| held-out set | ranker | top-1 | top-2 | top-3 |")
    print("|---|---|---:|---:|---:|")
    for name, held in samples.items():
        train = Samples()
        for other, s in samples.items():
            if other != name:
                train.extend(s)
        ranker = LinearModel.fit(SENTENCE_FEATURES, np.vstack(train.sentences), np.array(train.labels, dtype=float))
        x = np.vstack(held.sentences)
        for label, scores in (("hand-set formula", hand_formula(x)), ("fitted on the other sets", ranker.logit(x))):
            hits = top_k_hits(held, scores)
            print(f"| {name} | {label} | {hits[1]:.3f} | {hits[2]:.3f} | {hits[3]:.3f} |")

    print()
    print("| held-out set | evidence model fitted on | answerable answered | wrong-article answered |")
    print("|---|---|---:|---:|")
    for name, (relation, _, _) in SETS.items():
        trainers = [o for o, (r, _, _) in SETS.items() if r == relation and o != name] or [name]
        pos = np.vstack([r for o in trainers for r in samples[o].answerable[relation]])
        neg = np.vstack([r for o in trainers for r in samples[o].wrong_articles[relation]])
        model = LinearModel.fit(EVIDENCE_FEATURES, np.vstack([pos, neg]), np.r_[np.ones(len(pos)), np.zeros(len(neg))],
                                balanced=True)
        t = threshold_for(model.logit(pos), model.logit(neg), DEFAULT_ANSWER_RATE, DEFAULT_MAX_WRONG)["threshold"]
        held_pos = model.logit(np.vstack(samples[name].answerable[relation]))
        held_neg = model.logit(np.vstack(samples[name].wrong_articles[relation]))
        mark = "" if trainers != [name] else " (itself: no other set)"
        print(f"| {name} | {' + '.join(trainers)}{mark} | {(held_pos >= t).mean():.3f} | {(held_neg >= t).mean():.3f} |")


if __name__ == "__main__":
    main()
