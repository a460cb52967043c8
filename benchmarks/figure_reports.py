"""Figures that differ between reports (issue 24), end to end.

    python benchmarks/figure_reports.py [--data benchmarks/data/figure-reports.tsv]

Every case of the written set (pairs of reports of one statement, in Arabic, English and French,
that agree or disagree on a number, a date or a name) is stored as two short articles by two
papers a day apart ("<city> - <paper>: " + the sentence + a shared sentence of context), all
cases in one store, so each question meets the other cases' articles too. Each case's question
is asked; a disagreement is *shown* when the answer's ``reports`` hold both papers with their
figures, newest first; an agreement is *wrongly shown* when ``reports`` is not empty. Reported
per kind (number, date, name) and language.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PAPERS = [("okaz", "جدة"), ("alriyadh", "الرياض"), ("almadina", "المدينة"), ("alwatan", "أبها")]


def cases(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, kind, differ, question, first, second, context = line.split("\t")
        out.append({"lang": lang, "kind": kind, "differ": differ == "yes", "question": question,
                    "first": first, "second": second, "context": context})
    return out


def main() -> None:
    from qa import Assistant
    from qa.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "figure-reports.tsv")
    args = parser.parse_args()
    written = cases(args.data)
    records = []
    for i, case in enumerate(written):
        (one, city1), (two, city2) = PAPERS[i % 4], PAPERS[(i + 1) % 4]
        records.append({"source": one, "date_extracted": "2015-08-05", "title": f"{case['question']} ({one})",
                        "url": f"https://{one}.example/{i}", "content": f"{city1} - {one}: {case['first']} {case['context']}"})
        records.append({"source": two, "date_extracted": "2015-08-06", "title": f"{case['question']} ({two})",
                        "url": f"https://{two}.example/{i}", "content": f"{city2} - {two}: {case['second']} {case['context']}"})
    folder = Path(tempfile.mkdtemp(prefix="isnad-figures-"))
    dump = folder / "reports.json"
    dump.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    bot = Assistant(Settings.from_env({"ISNAD_DATA_DIR": str(folder / "data"), "ISNAD_SEED": "0"}))
    assert bot.ingest([dump]).ok
    tally = defaultdict(lambda: [0, 0])
    rows = []
    for i, case in enumerate(written):
        answer = bot.ask(case["question"])
        outlets = [r.provenance.outlet for r in answer.reports]
        pair = {PAPERS[i % 4][0], PAPERS[(i + 1) % 4][0]}
        newest_first = [r.provenance.published for r in answer.reports] == sorted(
            (r.provenance.published for r in answer.reports), reverse=True)
        shown = bool(answer.reports) and pair <= set(outlets) and newest_first
        right = shown if case["differ"] else not answer.reports
        key = ("disagree" if case["differ"] else "agree", case["kind"], case["lang"])
        tally[key][0] += right
        tally[key][1] += 1
        rows.append({**key_dict(key), "question": case["question"], "right": right, "status": answer.status,
                     "reports": [(r.provenance.outlet, r.figures) for r in answer.reports]})
    disagree = [r for r in rows if r["case"] == "disagree"]
    agree = [r for r in rows if r["case"] == "agree"]
    by_kind = defaultdict(lambda: [0, 0])
    for (case, kind, _), (right, n) in tally.items():
        by_kind[f"{case}/{kind}"][0] += right
        by_kind[f"{case}/{kind}"][1] += n
    print(json.dumps({
        "cases": len(rows),
        "disagreements_shown": sum(r["right"] for r in disagree) / len(disagree),
        "disagreements_shown_numbers_and_dates": _share([r for r in disagree if r["kind"] != "name"]),
        "agreements_wrongly_shown": 1 - sum(r["right"] for r in agree) / len(agree),
        "by_kind": {k: f"{right}/{n}" for k, (right, n) in sorted(by_kind.items())},
        "wrong": [r for r in rows if not r["right"]],
    }, ensure_ascii=False, indent=1))


def key_dict(key: tuple[str, str, str]) -> dict:
    return {"case": key[0], "kind": key[1], "lang": key[2]}


def _share(rows: list[dict]) -> float:
    return sum(r["right"] for r in rows) / max(1, len(rows))


if __name__ == "__main__":
    main()
