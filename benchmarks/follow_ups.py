"""Follow-up questions without an LLM: does each turn cite the right article?

    python benchmarks/follow_ups.py [--calibration FILE]

One store holds the bundled seed article and XQuAD-ar's paragraphs (``../shared/data``, see
``benchmarks/answer_states.py`` for where the sets come from). The conversations in
``benchmarks/data/conversations.json`` (Arabic, English and French; follow-ups that lean on the
turn before, and turns that change the subject) are put to ``Assistant.ask`` turn by turn, each
with the conversation so far as its history, as the page and the API send it.

A turn counts as right when the answer (answered or tentative) cites the paragraph that
answers it, or, for a turn nothing in the store answers, when it is not answered outright.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ingest import ingest_articles, load_file, seed_path
from qa.eval import dataset_assistant
from qa.settings import Settings
from qa.squad import load_squad

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data"


def run(settings: Settings) -> list[dict]:
    dataset = load_squad(DATA / "xquad/xquad.ar.json")
    conversations = json.loads((HERE / "data" / "conversations.json").read_text(encoding="utf-8"))["conversations"]
    seed = load_file(seed_path()).articles
    rows = []
    with dataset_assistant(dataset, settings) as (bot, _, _):
        ingest_articles(seed, bot.indexer, bot.settings.chunking)
        ids = {"seed": seed[0].id}
        for c, conversation in enumerate(conversations):
            history: list[tuple[str, str]] = []
            previous = None
            for t, turn in enumerate(conversation):
                answer = bot.ask(turn["question"], history=history)
                gold = ids.get(turn["paragraph"], turn["paragraph"])
                cited = [x.article_id for x in answer.citations]
                if gold is None:
                    right = answer.status != "answered"
                else:
                    right = answer.status in ("answered", "tentative") and gold in cited
                kind = "first" if t == 0 else ("same subject" if turn["paragraph"] == previous else "new subject")
                rows.append({"conversation": c, "turn": t, "kind": kind, "right": right, "status": answer.status,
                             "lead_right": bool(cited) and cited[0] == gold, "question": turn["question"],
                             "used": answer.question_used})
                history.append((turn["question"], answer.text))
                previous = turn["paragraph"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true", help="print every turn")
    args = parser.parse_args()
    rows = run(Settings.from_env())
    if args.verbose:
        for r in rows:
            print(f"{'ok ' if r['right'] else 'BAD'} {r['conversation']:>2}.{r['turn']} {r['kind']:<12} {r['status']:<10} "
                  f"{r['question']}  ⟶  {r['used']}")
    print("| turns | n | right article cited | lead from it |")
    print("|---|---:|---:|---:|")
    for kind in ("first", "same subject", "new subject", None):
        group = [r for r in rows if kind is None or r["kind"] == kind]
        if kind is None:
            group = [r for r in rows if r["turn"] > 0]
        name = kind or "all later turns"
        print(f"| {name} | {len(group)} | {sum(r['right'] for r in group) / len(group):.3f} | "
              f"{sum(r['lead_right'] for r in group) / len(group):.3f} |")


if __name__ == "__main__":
    main()
