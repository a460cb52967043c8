"""Time in questions (issue 24): the written set of questions with and without time expressions,
parsed against their reference day.

    python benchmarks/time_questions.py [--data benchmarks/data/time-questions.tsv]

A question is right when ``qa.answering.periods.asked_period`` gives exactly the days the set
says (both ends; "-" for an open end, both "-" for a question that names no time). Reported
overall, per language, and for the questions naming a time and those naming none; the misses are
listed.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from qa.answering.periods import asked_period  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "time-questions.tsv")
    args = parser.parse_args()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for line in args.data.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, as_of, since, until, question = line.split("\t")
        found = asked_period(question, date.fromisoformat(as_of))
        got = ("-", "-") if found is None else (found.since.isoformat() if found.since else "-",
                                                found.until.isoformat() if found.until else "-")
        right = got == (since, until)
        for key in ("all", lang, "names a time" if (since, until) != ("-", "-") else "names none"):
            tally[key][0] += right
            tally[key][1] += 1
        if not right:
            misses.append({"question": question, "as_of": as_of, "expected": [since, until], "got": list(got)})
    print(json.dumps({"right": {k: f"{r}/{n} = {r / n:.3f}" for k, (r, n) in tally.items()}, "misses": misses},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
