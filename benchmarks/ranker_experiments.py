"""What was tried to lift the lead and "contains gold" figures, judged as answer_states.py
judges (the same cached retrievals, models fitted leave-one-set-out), so a later attempt
starts from the figures and not from scratch.

    python benchmarks/ranker_experiments.py features     # extra sentence features, one family at a time
    python benchmarks/ranker_experiments.py compose      # more supporting sentences under a length budget
    python benchmarks/ranker_experiments.py signals      # other models and other signals from the embedder

``features`` adds each family to the ranker's 20 features and refits; ``compose`` keeps the
shipped ranker and lets the answer take sentences within a wider margin of the lead, while
its length stays under a budget; ``signals`` tries what is left without a trained reader: a
non-linear ranker (gradient-boosted trees, scikit-learn, installed with sentence-transformers),
the embedder's vectors themselves as features (question × sentence, elementwise), the question
also embedded as a passage (how far a sentence merely restates the question), a baseline for
one-article stores from bundled reference sentences, and the best any clause could do for the
bold part. None is in the product: see BENCHMARKS.md for why.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter

import numpy as np

import answer_states as states  # noqa: E402 - the sibling benchmark, on sys.path as this script's folder
import ranker_signals  # noqa: E402 - the sibling module, likewise
import qa.answer_models as answer_models
import qa.calibrate as calibrate
from ingest.analysis import terms
from qa.extractive import ExtractiveAnswerer
from qa.settings import Settings

JUDGED = ("XQuAD-ar", "ARCD-test", "AAQAD")
FAMILIES = {
    "focus term (the question's first content term) in the sentence / its window": ("focus", "focus_window"),
    "rarest question term in the sentence / only in a neighbour": ("rare", "rare_neighbour_only"),
    "question term bigrams and longest common subsequence": ("bigram", "lcs"),
    "weight of the rarest matched term": ("max_matched_weight",),
}


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def extra_features(names, question, q_terms, sentences, sentence_terms, weight) -> list[list[float]]:
    q_seq = terms(question)
    focus = q_seq[0] if q_seq else None
    rare = max(weight, key=weight.get) if weight else None
    q_bigrams = set(zip(q_seq, q_seq[1:]))
    top = max(weight.values(), default=1.0) or 1.0
    rows = []
    for i, (s, own) in enumerate(zip(sentences, sentence_terms)):
        near = set()
        for j in (i - 1, i + 1):
            if 0 <= j < len(sentences) and sentences[j].passage == s.passage:
                near |= sentence_terms[j]
        seq = terms(s.text) if s.same_script else []
        f = {
            "focus": float(focus in own) if focus else 0.0,
            "focus_window": float(focus in own or focus in near) if focus else 0.0,
            "rare": float(rare in own) if rare else 0.0,
            "rare_neighbour_only": float(rare not in own and rare in near) if rare else 0.0,
            "bigram": len(q_bigrams & set(zip(seq, seq[1:]))) / max(1, len(q_bigrams)),
            "lcs": _lcs(q_seq, seq) / max(1, len(q_seq)) if seq else 0.0,
            "max_matched_weight": max((weight[t] for t in q_terms & own), default=0.0) / top,
        }
        rows.append([f[n] for n in names])
    return rows


ORIGINAL = ExtractiveAnswerer.__dict__["_sentence_features"]


def with_features(names: tuple[str, ...]) -> None:
    """Make featurising, fitting and loading use the 20 features plus ``names``."""
    original = ORIGINAL.__func__

    def featurize(question, q_terms, sentences, sentence_terms, passages, weight):
        original(question, q_terms, sentences, sentence_terms, passages, weight)
        for s, row in zip(sentences, extra_features(names, question, q_terms, sentences, sentence_terms, weight)):
            s.features = np.concatenate([s.features, row])

    ExtractiveAnswerer._sentence_features = staticmethod(featurize)
    calibrate.SENTENCE_FEATURES = answer_models.SENTENCE_FEATURES = answer_models.SENTENCE_FEATURES + names


def budgeted_choose(margin: float, budget: int, most: int):
    def choose(self, sentences, passages):
        lead = self.lead(sentences)
        close = [s for s in sentences if s is not lead and s.score >= lead.score - margin]
        close.sort(key=lambda s: (passages[s.passage].article_id != passages[lead.passage].article_id, -s.score))
        per_passage = Counter(s.passage for s in sentences)
        chosen, length = [lead], len(lead.text)
        for s in close:
            if len(chosen) >= most:
                break
            if all(n == per_passage[p] for p, n in Counter(c.passage for c in [*chosen, s]).items()):
                continue
            if length + len(s.text) <= budget:
                chosen.append(s)
                length += len(s.text)
        return chosen
    return choose


def report(label: str, data: dict) -> None:
    cells = []
    for name in JUDGED:
        r = states.judge(data[name], states.fitted(states.TRAINED_ON[name], data))
        cells.append(f"{r['contains']:.3f} / {r['lead']:.3f} / {r['median_chars']:.0f}")
    print(f"| {label} | {' | '.join(cells)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("features", "compose", "signals"))
    args = parser.parse_args()
    if args.what == "signals":
        return ranker_signals.main()
    data = {name: states.retrieved(name, Settings.from_env(), False) for name in states.SETS}
    print(f"| variant | {' | '.join(JUDGED)} (contains gold / lead / median chars) |")
    print(f"|---|{'---|' * len(JUDGED)}")
    report("shipped: 20 features, margins 1 (support) and 3 (completion), at most 3 sentences", data)
    if args.what == "features":
        base = answer_models.SENTENCE_FEATURES
        for label, names in FAMILIES.items():
            with_features(names)
            report(f"+ {label}", data)
            calibrate.SENTENCE_FEATURES = answer_models.SENTENCE_FEATURES = base
            ExtractiveAnswerer._sentence_features = ORIGINAL
    else:
        for margin in (2.0, 3.0, 9.0):
            for budget in (300, 400, 500):
                ExtractiveAnswerer.choose = budgeted_choose(margin, budget, 4)
                report(f"margin {margin:g}, at most 4 sentences, {budget} characters", data)


if __name__ == "__main__":
    sys.exit(main())
