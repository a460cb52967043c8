"""The extractive answer as a reader meets it, judged on sets its models were not fitted on.

    python benchmarks/answer_states.py [--fresh] [--margins 0.5,1,1.5,2] [--completion-margins 1,2,3]

Every set's questions are retrieved once, as the pipeline retrieves them (from the whole set,
and with the question's own article removed: the wrong-article case), and kept in a cache
(``$XDG_CACHE_HOME/isnad-bench``; ``--fresh`` rebuilds it). Then, for each held-out set, the
answer models are fitted (``qa.calibrate.fit``, the code `isnad calibrate` runs) on the other
sets only, and the answerer (``ExtractiveAnswerer.answer``, the product's code) answers the
held-out set's questions:

- answered / tentative / not found, over answerable questions (the passages hold the gold
  answer) and over wrong-article ones;
- answer contains gold over all questions (lead + supporting; a not-found counts as a miss),
  the lead alone, the bold clause; the median answer length;
- the single-article store (the bundled article alone, the first thing a new user meets):
  the developers' questions about it in Arabic, English and French; its "wrong-article"
  questions are other sets' questions put to it.

The shared sets live beside the checkout (``../shared/data``: XQuAD from
github.com/google-deepmind/xquad, ARCD from github.com/husseinmozannar/SOQAL, AAQAD from
github.com/adelmeleka/AQAD); the seed questions are in ``benchmarks/data``.
"""
from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
from pathlib import Path


from qa.answer_models import Calibration
from qa.calibrate import DEFAULT_COMPLETION_MARGIN, DEFAULT_SUPPORT_MARGIN, Retrieved, Samples, fit, retrieve_set, samples_of
from qa.extractive import ExtractiveAnswerer
from qa.settings import Settings
from qa.squad import answer_holds_gold, contains_answer, load_squad

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data"
AAQAD = DATA / "aaqad" / "AAQAD-v1.0_0.json"
# name: (script relation, context file, parallel questions file)
SETS = {
    "XQuAD-ar": ("same", DATA / "xquad/xquad.ar.json", None),
    "ARCD-train": ("same", DATA / "arcd/arcd-train.json", None),
    "ARCD-test": ("same", DATA / "arcd/arcd-test.json", None),
    "AAQAD": ("same", AAQAD, None),
    "XQuAD en→ar": ("cross", DATA / "xquad/xquad.ar.json", DATA / "xquad/xquad.en.json"),
}
SEED = HERE / "data" / "seed-questions.json"
# What each held-out set is judged by: fitted on these (never its own questions, never ARCD-test,
# which is kept for judging). en→ar is the only cross-script set: it is split by article in two
# halves, each judged by models whose cross-script part was fitted on the other half.
SHIPPED = ("ARCD-train", "AAQAD", "XQuAD en→ar")
TRAINED_ON = {
    "XQuAD-ar": ("ARCD-train", "AAQAD", "XQuAD en→ar"),
    "ARCD-test": ("ARCD-train", "AAQAD", "XQuAD en→ar"),
    "AAQAD": ("XQuAD-ar", "ARCD-train", "XQuAD en→ar"),
    "seed": ("ARCD-train", "AAQAD", "XQuAD en→ar"),
}


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    path = base / "isnad-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress(name):
    def report(i, n):
        if i % 200 == 0 or i == n:
            print(f"  {name}: {i}/{n}", file=sys.stderr, flush=True)
    return report


def retrieved(name: str, settings: Settings, fresh: bool) -> list[Retrieved]:
    path = cache_dir() / f"{name.replace(' ', '_').replace('→', '-')}.pkl"
    if path.exists() and not fresh:
        # (a cache written before unanswerable SQuAD 2.0 questions were left out may hold some)
        return [r for r in pickle.loads(path.read_bytes()) if not r.right or any(a.strip() for a in r.question.answers)]
    if name == "seed":
        out = seed_retrieved(settings)
    else:
        _, context, questions = SETS[name]
        if not Path(context).exists():
            sys.exit(f"{context} is missing: put the shared sets in ../shared/data (sources in this script's docstring)")
        out = retrieve_set(str(context), str(questions) if questions else None, settings=settings, embedder=None,
                           limit=None, progress=_progress(name))
    path.write_bytes(pickle.dumps(out))
    return out


def seed_retrieved(settings: Settings) -> list[Retrieved]:
    """The seed questions against the seed article alone; as wrong-article questions, the first
    150 XQuAD-ar and 100 XQuAD-en questions (about other things) against the same store."""
    off_topic = load_squad(DATA / "xquad/xquad.ar.json").questions[:150]
    off_topic += load_squad(DATA / "xquad/xquad.ar.json", DATA / "xquad/xquad.en.json").questions[:100]
    return retrieve_set(str(SEED), None, settings=settings, embedder=None, limit=None, negatives=off_topic,
                        progress=_progress("seed"))


def fitted(names, data, *, only_articles=None, margin=DEFAULT_SUPPORT_MARGIN,
           completion=DEFAULT_COMPLETION_MARGIN) -> Calibration:
    return Calibration.from_dict(fitted_dict(names, data, only_articles=only_articles, margin=margin,
                                             completion=completion))


def fitted_dict(names, data, *, only_articles=None, margin=DEFAULT_SUPPORT_MARGIN,
                completion=DEFAULT_COMPLETION_MARGIN) -> dict:
    """What ``isnad calibrate`` fits on these sets, from the cached retrievals."""
    samples = Samples()
    for name in names:
        rows = data[name]
        if only_articles is not None and SETS[name][0] == "cross":
            rows = [r for r in rows if only_articles(r.question)]
        samples.extend(samples_of(rows, SETS[name][0]))
    return fit(samples, support_margin=margin, completion_margin=completion)


def judge(rows: list[Retrieved], calibration: Calibration) -> dict:
    counts = {"answerable": 0, "answered": 0, "tentative": 0, "not_found": 0, "wrong": 0, "wrong_answered": 0,
              "wrong_tentative": 0, "questions": 0, "contains": 0, "lead": 0, "bold": 0}
    lengths = []
    for r in rows:
        q = r.question
        answerer = ExtractiveAnswerer(calibration, idf=r.idf_of)
        if r.right:
            counts["questions"] += 1
            answer = answerer.answer(q.text, r.right)
            cited = [c.article_id for c in answer.citations]
            if any(contains_answer(p.text, p.article_id, q) for p in r.right):
                counts["answerable"] += 1
                counts[answer.status] += 1
            if not answer.abstained:
                lengths.append(len(answer.text))
                counts["contains"] += answer_holds_gold(answer.text, cited, q)
                counts["lead"] += answer_holds_gold(answer.lead, cited[:1], q)
                lead = answer.citations[0]
                counts["bold"] += contains_answer(lead.text[lead.clause_start - lead.start:lead.clause_end - lead.start],
                                                  lead.article_id, q)
        if r.wrong is not None:
            answer = ExtractiveAnswerer(calibration, idf=r.idf_of).answer(q.text, r.wrong)
            counts["wrong"] += 1
            counts["wrong_answered"] += answer.status == "answered"
            counts["wrong_tentative"] += answer.status == "tentative"
    a, n, w = max(counts["answerable"], 1), max(counts["questions"], 1), max(counts["wrong"], 1)
    return {
        "questions": counts["questions"], "answerable": counts["answerable"], "wrong": counts["wrong"],
        "answered": counts["answered"] / a, "tentative": counts["tentative"] / a, "not_found": counts["not_found"] / a,
        "wrong_answered": counts["wrong_answered"] / w, "wrong_tentative": counts["wrong_tentative"] / w,
        "contains": counts["contains"] / n, "lead": counts["lead"] / n, "bold": counts["bold"] / n,
        "median_chars": statistics.median(lengths) if lengths else 0,
    }


ROW = ("| {set} | {fit} | {answerable} | {answered:.3f} | {tentative:.3f} | {not_found:.3f} | {wrong_answered:.3f} | "
       "{contains:.3f} | {lead:.3f} | {bold:.3f} | {median_chars:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh", action="store_true", help="retrieve again instead of reading the cache")
    parser.add_argument("--margins", default=None, help="support margins to compare, e.g. 0.5,1,2")
    parser.add_argument("--completion-margins", default=None,
                        help="completion margins to compare, e.g. 1,2,3 (one no wider than the support margin: none)")
    parser.add_argument("--write-shipped", action="store_true",
                        help="write the fit on the shipped sets (what `isnad calibrate` would write) to qa/calibration.json")
    args = parser.parse_args()
    settings = Settings.from_env()
    data = {name: retrieved(name, settings, args.fresh) for name in [*SETS, "seed"]}
    if args.write_shipped:
        from qa.calibrate import write
        import datetime as dt
        result = fitted_dict(SHIPPED, data)
        result.update({"datasets": {"same_script": ["arcd/arcd-train.json", "aaqad/AAQAD-v1.0_0.json"],
                                    "cross_script": ["xquad/xquad.ar.json:xquad/xquad.en.json"]},
                       "embedder": settings.embedder, "chunking": [settings.chunk_size, settings.chunk_overlap],
                       "top_k": settings.top_k, "date": dt.date.today().isoformat(),
                       "made_by": "python benchmarks/answer_states.py --write-shipped"})
        print(f"wrote {write(result)}", file=sys.stderr)
    supports = [float(m) for m in args.margins.split(",")] if args.margins else [DEFAULT_SUPPORT_MARGIN]
    completions = ([float(m) for m in args.completion_margins.split(",")] if args.completion_margins
                   else [DEFAULT_COMPLETION_MARGIN])
    compared = bool(args.margins or args.completion_margins)
    print("| held-out set | fitted on | answerable | answered | tentative | not found | wrong-article answered | "
          "contains gold | lead | bold | median chars |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for margin, completion in [(m, c) for m in supports for c in completions]:
        label = f" (margins {margin:g} / {completion:g})" if compared else ""
        for name, trainers in TRAINED_ON.items():
            result = judge(data[name], fitted(trainers, data, margin=margin, completion=completion))
            print(ROW.format(set=name, fit=" + ".join(trainers) + label, **result), flush=True)
        # en→ar, two folds by article.
        rows = data["XQuAD en→ar"]
        titles = sorted({r.question.doc_title for r in rows})
        half = set(titles[: len(titles) // 2])
        results = []
        for fold in (half, set(titles) - half):
            calibration = fitted(("ARCD-train", "AAQAD", "XQuAD en→ar"), data, margin=margin, completion=completion,
                                 only_articles=lambda q, fold=fold: q.doc_title not in fold)
            results.append((judge([r for r in rows if r.question.doc_title in fold], calibration),
                            sum(r.question.doc_title in fold for r in rows)))
        total = sum(n for _, n in results)
        merged = {k: sum(res[k] * n for res, n in results) / total for k in results[0][0]}
        merged.update(questions=total, answerable=sum(res["answerable"] for res, _ in results))
        print(ROW.format(set="XQuAD en→ar", fit="other half of its articles (+ ARCD-train + AAQAD)" + label, **merged),
              flush=True)


if __name__ == "__main__":
    main()
