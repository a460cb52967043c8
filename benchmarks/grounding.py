"""The similarity threshold of the LLM-answer check (``qa/grounding.py``), measured.

    python benchmarks/grounding.py

A claim an LLM might make is stood in for by a question with its gold answer ("Who chaired the
dialogue? Nasser Bourita"): XQuAD's Arabic questions and, across languages, its English
questions with their English answers, against the Arabic paragraphs. For each, its similarity
(as ``embedding_similarity`` computes it) to the sentences of the paragraph that holds the answer
(a supported claim) and to those of the best passage from another article (what a mis-cited
claim meets: the retrieval of ``benchmarks/answer_states.py``, read from its cache). Printed: the
share of each accepted at candidate thresholds.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answer_states import DATA, retrieved  # noqa: E402

from qa.grounding import embedding_similarity  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.squad import contains_answer  # noqa: E402
from vectorstore import make_embedder  # noqa: E402


def english_answers() -> dict[str, str]:
    data = json.loads((DATA / "xquad/xquad.en.json").read_text(encoding="utf-8"))
    return {q["id"]: q["answers"][0]["text"] for d in data["data"] for p in d["paragraphs"] for q in p["qas"]}


def main() -> None:
    settings = Settings.from_env()
    embedder = make_embedder(settings.embedder, cache_dir=settings.model_dir)
    similarity = embedding_similarity(embedder)
    answers_en = english_answers()
    print("| claims | supported (own paragraph) | mis-cited (other article) | threshold | supported accepted | mis-cited accepted |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("XQuAD-ar", "XQuAD en→ar"):
        own, other = [], []
        for r in retrieved(name, settings, False)[::2]:
            q = r.question
            gold = next((p for p in r.right if contains_answer(p.text, p.article_id, q)), None)
            if gold is None or not r.wrong:
                continue
            answer = answers_en[q.id] if name.startswith("XQuAD en") else q.answers[0]
            sims = similarity([f"{q.text} {answer}"], [gold, r.wrong[0]])[0]
            own.append(sims[0])
            other.append(sims[1])
        own, other = np.array(own), np.array(other)
        for t in np.arange(0.75, 0.8651, 0.01):
            print(f"| {name} | {len(own)} | {len(other)} | {t:.2f} | {(own >= t).mean():.3f} | {(other >= t).mean():.3f} |")


if __name__ == "__main__":
    main()
