"""``ranker_experiments.py signals``: what is left to try for the lead, the bold part and the
small store's tentative share without a trained reader, judged leave-one-set-out on the same
cached retrievals as answer_states.py.

The embedder's vectors are not in that cache (the store keeps them, the cache keeps scores), so
the questions (as queries and as passages), the quoted sentences and a set of reference
sentences are embedded once here with the product's embedder and cached beside it
(``signals-vectors.pkl``). A quoted sentence is embedded as the passage shows it (a chunk may
cut a long sentence), which is close to, not the same as, the stored vector.
"""
from __future__ import annotations

import json
import pickle
import random

import numpy as np

import answer_states as states
from ingest.analysis import terms
from ingest.chunking import split_clauses, split_sentences
from qa.answer_models import SENTENCE_FEATURES, LinearModel
from qa.calibrate import threshold_for
from qa.extractive import ExtractiveAnswerer, sentences_of
from qa.settings import Settings
from qa.squad import contains_answer

NAMES = ("XQuAD-ar", "ARCD-train", "ARCD-test", "AAQAD", "XQuAD en→ar", "seed")
JUDGED = ("XQuAD-ar", "ARCD-test", "AAQAD", "seed")
# Reference sentences for the one-article store's baseline: AAQAD files never judged here.
REFERENCE_FILES = (13, 2, 12, 4)
REFERENCE_SENTENCES = 2000
REFERENCE_TOP = 100  # the store's baseline is the median of its best hundred sentences; so is this one


def embed_all(data: dict, settings: Settings) -> dict:
    path = states.cache_dir() / "signals-vectors.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    from vectorstore.embedders import E5SmallEmbeddings

    questions, sentences = set(), set()
    for rows in data.values():
        for r in rows:
            questions.add(r.question.text)
            for passages in (r.right, r.own):
                sentences.update(s.text for s in sentences_of(passages or []))
    reference = []
    for n in REFERENCE_FILES:
        book = json.loads((states.DATA / "aaqad" / f"AAQAD-v1.0_{n}.json").read_text(encoding="utf-8"))
        for article in book["data"]:
            for p in article["paragraphs"]:
                text = p["context"]
                reference += [text[s:e] for s, e in split_sentences(text, 0, len(text)) if e - s > 40]
    reference = random.Random(0).sample(sorted(set(reference)), REFERENCE_SENTENCES)
    embedder = E5SmallEmbeddings(settings.model_dir, batch_size=32)
    questions, sentences = sorted(questions), sorted(sentences)
    out = {"query": dict(zip(questions, embedder.embed_queries(questions))),
           "as_passage": dict(zip(questions, embedder.embed_passages(questions))),
           "sentence": dict(zip(sentences, embedder.embed_passages(sentences))),
           "reference": embedder.embed_passages(reference)}
    path.write_bytes(pickle.dumps(out))
    return out


def sentence_rows(rows, vectors) -> dict:
    """Per sentence of each answerable question: the ranker's 20 features, the question ×
    sentence vector (elementwise), four "restates the question" features, the label."""
    base, product, restate, labels, groups = [], [], [], [], []
    for i, r in enumerate(rows):
        q = r.question
        if not any(contains_answer(p.text, p.article_id, q) for p in r.right):
            continue
        scored = ExtractiveAnswerer(None, idf=r.idf_of).featurize(q.text, r.right)
        query, as_passage = vectors["query"][q.text], vectors["as_passage"][q.text]
        s_vectors = np.array([vectors["sentence"][s.text] for s in scored.sentences])
        asym, sym = s_vectors @ query, s_vectors @ as_passage
        for k, s in enumerate(scored.sentences):
            base.append(s.features)
            product.append(query * s_vectors[k])
            restate.append([sym[k], sym[k] - sym.max(), asym[k] - sym[k],
                            (asym[k] - asym.mean()) - (sym[k] - sym.mean())])
            labels.append(contains_answer(s.text, r.right[s.passage].article_id, q))
            groups.append(i)
    return {"base": np.array(base), "product": np.array(product), "restate": np.array(restate),
            "y": np.array(labels, dtype=float), "groups": groups}


def top1(scores, labels, groups) -> float:
    best: dict[int, tuple[float, float]] = {}
    for s, y, g in zip(scores, labels, groups):
        if g not in best or s > best[g][0]:
            best[g] = (s, y)
    return float(np.mean([y for _, y in best.values()]))


def rankers(rows: dict) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    restate_names = ("restate_similarity", "restate_below_best", "query_minus_restate", "relative_difference")
    variants = {
        "shipped: listwise logistic, 20 features": ("linear", ("base",), 1.0),
        "gradient-boosted trees, 20 features": ("trees", ("base",), None),
        "+ question × sentence vector (384, L2 100)": ("linear", ("base", "product"), 100.0),
        "+ question × sentence vector (384, L2 1000)": ("linear", ("base", "product"), 1000.0),
        "+ the question embedded as a passage (4)": ("linear", ("base", "restate"), 1.0),
        "gradient-boosted trees, 20 + 4": ("trees", ("base", "restate"), None),
    }
    print("\n| ranker (lead holds gold, among answerable questions) | " + " | ".join(JUDGED) + " |")
    print("|---|" + "---:|" * len(JUDGED))
    for label, (kind, parts, l2) in variants.items():
        cells = []
        for held in JUDGED:
            train = [rows[n] for n in states.TRAINED_ON[held]]
            x = np.vstack([np.hstack([t[p] for p in parts]) for t in train])
            y = np.concatenate([t["y"] for t in train])
            groups = [(j, g) for j, t in enumerate(train) for g in t["groups"]]
            test = rows[held]
            xt = np.hstack([test[p] for p in parts])
            if kind == "trees":
                model = HistGradientBoostingClassifier(max_depth=6, max_iter=300, learning_rate=0.05, random_state=0)
                scores = model.fit(x, y).decision_function(xt)
            else:
                names = [*SENTENCE_FEATURES, *(restate_names if "restate" in parts else ()),
                         *(f"product_{i}" for i in range(test["product"].shape[1]) if "product" in parts)]
                scores = LinearModel.fit_listwise(names, x, y, groups, l2=l2).logit(xt)
            cells.append(f"{top1(scores, test['y'], test['groups']):.3f}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


def bold_bound(data: dict) -> None:
    """The shipped clause model against the best any clause of the lead could do."""
    print("\n| XQuAD-ar, over all questions | holds gold |\n|---|---:|")
    held = "XQuAD-ar"
    calibration = states.fitted(states.TRAINED_ON[held], data)
    counts = {"lead": 0, "bold (the clause model)": 0, "the best clause of the lead (an oracle)": 0}
    for r in data[held]:
        q = r.question
        answerer = ExtractiveAnswerer(calibration, idf=r.idf_of)
        scored = answerer.score(q.text, r.right)
        if not scored.sentences or scored.floor < 0:
            continue
        lead = answerer.lead(scored.sentences)
        passage = r.right[lead.passage]
        if not contains_answer(lead.text, passage.article_id, q):
            continue
        clauses = split_clauses(passage.text, lead.start, lead.end)
        chosen = answerer.bold_clause(q.text, passage.text, lead, set(terms(q.text)))
        counts["lead"] += 1
        counts["bold (the clause model)"] += contains_answer(passage.text[chosen[0]:chosen[1]], passage.article_id, q)
        counts["the best clause of the lead (an oracle)"] += any(
            contains_answer(passage.text[a:b], passage.article_id, q) for a, b in clauses)
    for label, n in counts.items():
        print(f"| {label} | {n / len(data[held]):.3f} |")


def small_store(data: dict, vectors: dict) -> None:
    """The one-article store's evidence model (4 features, no baseline) against the same with
    the best sentence and passage measured over the question's similarity to reference text:
    answered share of answerable questions and of wrong-article ones, for one-article stores
    built from held-out sets (the question's own article / the best other one) and the seed."""
    reference = vectors["reference"]

    def features(r, relation, passages):
        f = ExtractiveAnswerer(None, idf=r.idf_of).featurize(r.question.text, passages).evidence_features.get(relation)
        if f is None:
            return None
        baseline = float(np.median(np.sort(reference @ vectors["query"][r.question.text])[::-1][:REFERENCE_TOP]))
        return np.r_[f[:4], f[0] - baseline, f[1] - baseline]

    def one_article(name, relation):
        pos, neg = [], []
        for r in data[name]:
            if name == "seed":
                pos.append(features(r, relation, r.right) if r.right else None)
                neg.append(features(r, relation, r.wrong) if r.wrong else None)
                continue
            if r.own and any(contains_answer(p.text, p.article_id, r.question) for p in r.own):
                pos.append(features(r, relation, r.own))
            if r.other:
                neg.append(features(r, relation, r.other))
        return [x for x in pos if x is not None], [x for x in neg if x is not None]

    rows = {(n, rel): one_article(n, rel) for n in NAMES for rel in ("same", "cross")
            if n == "seed" or states.SETS[n][0] == rel}
    print("\n| one-article store evidence | relation | held out: answered (answerable) / answered (wrong article) |")
    print("|---|---|---|")
    for label, columns in (("shipped: 4 features", slice(0, 4)), ("+ 2 over a reference baseline", slice(0, 6))):
        for relation in ("same", "cross"):
            pos, neg, sets = [], [], []
            for n in states.TRAINED_ON["seed"]:
                if states.SETS[n][0] == relation:
                    p, w = rows[(n, relation)]
                    sets.append((len(pos), len(pos) + len(p), len(neg), len(neg) + len(w)))
                    pos += p
                    neg += w
            p, w = np.array(pos)[:, columns], np.array(neg)[:, columns]
            model = LinearModel.fit([str(i) for i in range(p.shape[1])], np.vstack([p, w]),
                                    np.r_[np.ones(len(p)), np.zeros(len(w))], balanced=True)
            threshold = threshold_for(model.logit(p), model.logit(w), sets=sets)["threshold"]
            cells = []
            for held in (("XQuAD-ar", "ARCD-test", "seed") if relation == "same" else ("seed",)):
                hp, hw = rows[(held, relation)]
                answered = np.mean(model.logit(np.array(hp)[:, columns]) >= threshold)
                wrong = np.mean(model.logit(np.array(hw)[:, columns]) >= threshold) if hw else float("nan")
                cells.append(f"{held} {answered:.3f} / {wrong:.3f}")
            print(f"| {label} | {relation} | {'; '.join(cells)} |", flush=True)


def main() -> None:
    settings = Settings.from_env()
    data = {name: states.retrieved(name, settings, False) for name in NAMES}
    vectors = embed_all(data, settings)
    rankers({name: sentence_rows(data[name], vectors) for name in NAMES})
    bold_bound(data)
    small_store(data, vectors)
