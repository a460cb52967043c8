"""Answers in a store like a newcomer's: the seed article and eight short articles of every
format (Markdown, HTML, French text, a cp1256 text, a JSONL feed, a PDF) in Arabic, English
and French, and 77 questions about them written by the developers, a third of them near-topic
questions the articles don't answer, off-topic ones and messages that ask nothing.

    python benchmarks/mixed_store.py [--split test] [--show]

The store is built with the product's own ``Assistant`` in a temporary data dir (the seed
article comes with it) and every question goes through ``Assistant`` as a user's would. Per
split (``dev``: looked at while the rules were written; ``test``: only scored) and per
(question language, article language):

- lead: the lead sentence holds the answer (answerable questions);
- recall@1 / @5: the question's article is the first passage / among the passages;
- confident errors: ``answered`` while the lead lacks the answer, or ``answered`` for a question
  the articles don't answer (over all questions);
- the three states over answerable and over the rest.

The articles and questions are in ``benchmarks/data/mixed-store`` (written for isnad; the facts
in them are invented for testing and must not be read as news).
"""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "mixed-store"


def read_questions(path: Path = DATA / "questions.tsv") -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for r in rows:
        r["answers"] = [a for a in r["answers"].split("|") if a]
    return rows


def article_key(info) -> str:
    """The name the questions give an article: a record's id, a file's name without its
    extension, ``seed`` for the bundled article."""
    if info.format == "json":
        return info.id
    name = Path(info.source).name
    return "seed" if "counterterrorism" in name else name.rsplit(".", 1)[0]


def language_of(text: str) -> str:
    from qa.language import detect_language
    return detect_language(text)


def squash(text: str) -> str:
    return " ".join(text.split())


def run(questions: list[dict], show: bool) -> list[dict]:
    from qa import Assistant, Settings
    from qa.pipeline import Trace
    from qa.question import Question

    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(Settings.from_env({"ISNAD_DATA_DIR": tmp}))
        report = bot.ingest(sorted(p for p in (DATA / "articles").iterdir()), progress=False)
        if report.errors:
            sys.exit(f"ingest failed: {report.errors}")
        infos = bot.list_articles()
        key_of = {a.id: article_key(a) for a in infos}
        texts = {article_key(a): bot.get_article(a.id)[1] for a in infos}
        results = []
        for q in questions:
            trace = Trace()
            answer = bot.pipeline.ask(Question.of(q["question"]), trace=trace)
            articles = [key_of.get(p.article_id) for p in trace.passages]
            lead = squash(answer.lead)
            holds = any(squash(a) in lead for a in q["answers"]) if q["answers"] else False
            row = {**q, "status": answer.status, "lead_holds": holds, "articles": articles,
                   "q_lang": language_of(q["question"]),
                   "a_lang": language_of(texts[q["article"]]) if q["article"] else "-",
                   "lead": lead, "notice": answer.notice}
            results.append(row)
            if show:
                mark = "ok " if holds else ("-  " if q["kind"] != "answerable" else "MISS")
                print(f"{q['id']} {mark} {answer.status:9} {q['question']} → {lead[:140]}", file=sys.stderr)
        bot.close()
    return results


def summary(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["kind"] == "answerable"]
    others = [r for r in rows if r["kind"] != "answerable"]
    n, a, o = max(len(rows), 1), max(len(answerable), 1), max(len(others), 1)
    confident = sum(r["status"] == "answered" and (r["kind"] != "answerable" or not r["lead_holds"]) for r in rows)
    return {
        "questions": len(rows), "answerable": len(answerable),
        "lead": sum(r["lead_holds"] for r in answerable) / a,
        "recall1": sum(bool(r["articles"]) and r["articles"][0] == r["article"] for r in answerable) / a,
        "recall5": sum(r["article"] in r["articles"] for r in answerable) / a,
        "confident_errors": confident / n,
        "answered": sum(r["status"] == "answered" for r in answerable) / a,
        "tentative": sum(r["status"] == "tentative" for r in answerable) / a,
        "not_found": sum(r["status"] == "not_found" for r in answerable) / a,
        "others_answered": sum(r["status"] == "answered" for r in others) / o,
        "others_tentative": sum(r["status"] == "tentative" for r in others) / o,
        "others_not_found": sum(r["status"] in ("not_found", "small_talk") for r in others) / o,
    }


ROW = ("| {name} | {questions} | {answerable} | {lead:.3f} | {recall1:.3f} | {recall5:.3f} | {confident_errors:.3f} | "
       "{answered:.3f} / {tentative:.3f} / {not_found:.3f} | {others_answered:.3f} / {others_tentative:.3f} / "
       "{others_not_found:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--show", action="store_true", help="print every question's status and lead")
    args = parser.parse_args()
    questions = [q for q in read_questions() if args.split in ("all", q["split"])]
    rows = run(questions, args.show)
    print("| questions | n | answerable | lead | recall@1 | recall@5 | confident errors | answerable: answered / "
          "tentative / not found | the rest: answered / tentative / not found |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for split in ("dev", "test"):
        part = [r for r in rows if r["split"] == split]
        if part:
            print(ROW.format(name=split, **summary(part)))
    if args.split == "all":
        print(ROW.format(name="all", **summary(rows)))
    pairs = defaultdict(list)
    for r in rows:
        if r["kind"] == "answerable":
            pairs[(r["q_lang"], r["a_lang"])].append(r)
    for (ql, al), part in sorted(pairs.items()):
        print(ROW.format(name=f"{ql} question, {al} article", **summary(part)))


if __name__ == "__main__":
    main()
