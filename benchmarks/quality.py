"""Retrieval and answer quality on XQuAD-ar, XQuAD en→ar and ARCD, isnad vs. baselines.

    python benchmarks/quality.py [--limit N] [--out results.json]

Runs `isnad eval` (the same code path) on the three shared sets and prints the Markdown tables
recorded in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.eval import evaluate

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "XQuAD-ar": (DATA / "xquad/xquad.ar.json", None),
    "XQuAD en→ar": (DATA / "xquad/xquad.ar.json", DATA / "xquad/xquad.en.json"),
    "ARCD": (DATA / "arcd/arcd.json", None),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    results = {name: evaluate(path, questions_from=qf, limit=args.limit) for name, (path, qf) in SETS.items()}
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")

    print("| set | system | r@1 | r@5 | r@10 | MRR@10 |")
    print("|---|---|---:|---:|---:|---:|")
    for name, result in results.items():
        for system, s in result["retrieval"].items():
            print(f"| {name} | {system} | {s['recall@1']:.3f} | {s['recall@5']:.3f} | {s['recall@10']:.3f} | {s['mrr@10']:.3f} |")
    print()
    print("| set | questions | chunks | ingest chunks/s | EM | F1 | contains gold | … when answered | abstain | answer/passage chars | answers shorter than quoted | ask p50 ms | ask p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        a = r["answers"]
        print(f"| {name} | {r['questions']} | {r['chunks']} | {r['ingest_chunks_per_s']:.1f} | {a['exact_match']:.3f} | "
              f"{a['token_f1']:.3f} | {a['answer_contains_gold']:.3f} | {a['answer_contains_gold_when_answered']:.3f} | {a['abstain_rate']:.3f} | "
              f"{a['answer_to_passage_chars']:.2f} | {a['answers_shorter_than_quoted']:.3f} | {a['ask_p50_ms']:.0f} | {a['ask_p95_ms']:.0f} |")


if __name__ == "__main__":
    main()
