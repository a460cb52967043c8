"""``isnad``: the command line, one of the interfaces (with the page, the HTTP API and the
widget) over :class:`qa.Assistant`. Settings are read once, here, and handed down."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import IsnadError
from ingest.fields import TARGETS, ReadOptions
from ingest.records import Provenance
from ingest.pipeline import IngestReport, supported_extensions
from ingest.progress import show_progress
from qa.language import detect_language
from qa.answer_models import DEFAULT_COMPLETION_MARGIN, DEFAULT_FLOOR_RATE, DEFAULT_SUPPORT_MARGIN
from qa.settings import Settings
from vectorstore.catalog import read_catalog

from .errors import exit_code
from .labels import ALSO_REPORTED, FIGURES_DIFFER, said_differently, source_label
from .running_app import AppClient, AppRefused, running_app_url

if TYPE_CHECKING:  # imported when a command needs it: `isnad --help` loads no model or store code
    from qa import Assistant


def _cmd_ingest(bot: Assistant, args: argparse.Namespace) -> int:
    return _print_report(bot.ingest(args.paths, progress=None if not args.quiet else False,
                                    reading=ReadOptions.of(args.fields, args.outlet)))


def _print_report(report: IngestReport) -> int:
    for err in report.errors:
        print(f"error: {err}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_list(bot: Assistant | AppClient, args: argparse.Namespace) -> int:
    return _print_articles([asdict(a) for a in bot.list_articles()] if not isinstance(bot, AppClient)
                           else bot.list_articles(), args)


def _print_articles(articles: list[dict], args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(articles, ensure_ascii=False, indent=2))
        return 0
    for a in articles:
        when = datetime.fromtimestamp(a["ingested_at"], tz=timezone.utc).strftime("%Y-%m-%d %H:%M") if a["ingested_at"] else "?"
        about = a.get("provenance") or {}
        published = " · ".join(x for x in (about.get("outlet"), (about.get("published") or "")[:10]) if x) or "-"
        print(f"{a['id']}\t{a['chunks']:>4} chunks\t{published}\t{a['title']}\t{a['source']}\t(ingested {when})")
    print(f"{len(articles)} articles", file=sys.stderr)
    return 0


def _cmd_remove(bot: Assistant | AppClient, args: argparse.Namespace) -> int:
    status = 0
    for article_id in args.ids:
        if bot.remove(article_id):
            print(f"removed {article_id}")
        else:
            print(f"error: no article with id '{article_id}' (see `isnad list`)", file=sys.stderr)
            status = 1
    return status


def _cmd_reindex(bot: Assistant, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    # disable=None: a bar on a terminal, nothing in logs and pipes.
    # Not bot.store: opening it checks the embedder, which is what a reindex is about to change.
    listed = None if bot.settings.chroma_host else read_catalog(bot.settings.store.folder)
    with tqdm(total=None if listed is None else len(listed), unit="article", disable=None, file=sys.stderr,
              leave=False) as bar:
        articles, chunks = bot.reindex(progress=bar.update)
    print(f"re-indexed {articles} articles ({chunks} chunks) with embedder '{bot.embedder.name}'")
    return 0


def _cmd_ask(bot: Assistant | AppClient, args: argparse.Namespace) -> int:
    # The answer as the HTTP API returns it, whichever answered: one printer for both.
    filters = {"outlets": args.outlet, "since": args.since, "until": args.until, "article_ids": args.article}
    answer = (bot.ask(args.question, k=args.k, filters=filters, as_of=args.as_of) if isinstance(bot, AppClient)
              else bot.ask(args.question, k=args.k, filters=filters, as_of=args.as_of).to_dict())
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    if answer.get("notice"):  # the quotes are tentative, in another language, or stand in for the LLM
        print(answer["notice"])
    print(answer["answer"])
    if answer["citations"]:
        print()
        language = detect_language(args.question)
        for c in answer["citations"]:
            page = f", page {c['page']}" if c.get("page") else ""
            label = source_label(Provenance.of(c.get("provenance")), language)
            print(f"[{c['n']}] {c['title']}{page}{f' — {label}' if label else ''} "
                  f"(article {c['article_id']}, chars {c['start']}-{c['end']}, score {c['score']:.3f})")
            copies = [source_label(Provenance.of(copy.get("provenance")), language) or copy["title"]
                      for copy in c.get("copies") or []]
            if copies:
                print(f"    {ALSO_REPORTED[language]}: {'; '.join(copies)}")
    if answer.get("reports"):
        print()
        print(FIGURES_DIFFER[language])
        for r in answer["reports"]:
            print(f"  {source_label(Provenance.of(r.get('provenance')), language)}: {said_differently(r)}")
    return 0


def _ingest_through_app(app: AppClient, args: argparse.Namespace) -> int:
    """Each file sent to the app (which keeps its own copy, under its data dir) and waited for."""
    from ingest.errors import IngestError
    from ingest.pipeline import iter_files

    report, started = IngestReport(), time.monotonic()
    for path in iter_files(args.paths, report):
        report.files += 1
        try:
            job = app.upload(path, fields=args.fields, outlet=args.outlet)
        except AppRefused as err:  # this file refused (too large, say): the others still go
            report.add_error(IngestError(path, str(err)))
            continue
        for cause in job.get("errors", []):
            report.add_error(IngestError(path, cause))
        for key in ("articles", "written", "unchanged", "chunks"):
            setattr(report, key, getattr(report, key) + int(job.get(key, 0)))
        if not args.quiet:
            print(f"{path}: {job.get('state')}, {job.get('written', 0)} new, {job.get('unchanged', 0)} unchanged", file=sys.stderr)
    report.seconds = time.monotonic() - started
    return _print_report(report)


def _cmd_eval(bot: Assistant, args: argparse.Namespace) -> int:
    from qa.eval import evaluate, format_report

    def progress(done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r{done}/{total} questions", end="", file=sys.stderr, flush=True)

    result = evaluate(args.dataset, questions_from=args.questions_from, k=args.k, limit=args.limit,
                      settings=bot.settings, baselines=not args.no_baselines, progress=progress)
    if sys.stderr.isatty() and not args.json:
        print(file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_report(result))
    return 0


def _cmd_calibrate(bot: Assistant, args: argparse.Namespace) -> int:
    from qa.calibrate import calibrate, write

    result = calibrate(args.same_script, args.cross_script, settings=bot.settings, limit=args.limit,
                       answer_rate=args.answer_rate, max_wrong=args.max_wrong, floor_rate=args.floor_rate,
                       support_margin=args.support_margin, completion_margin=args.completion_margin)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        # ISNAD_CALIBRATION names the user's own file; without it, the bundled one is refitted.
        print(f"wrote {write(result, bot.settings.calibration)}", file=sys.stderr)
    return 0


def _cmd_serve(bot: Assistant, args: argparse.Namespace) -> int:
    # Gradio reads this when imported: no usage analytics are sent anywhere.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from .app import serve

    bot.calibration  # noqa: B018 - a bad ISNAD_CALIBRATION fails here, not at the first question
    if args.host or args.port:  # the flags win, also for the host names the app answers to
        bot.settings = replace(bot.settings, host=args.host or bot.settings.host, port=args.port or bot.settings.port)
    serve(bot, host=bot.settings.host, port=bot.settings.port)
    return 0


def _cmd_bench_load(bot: Assistant, args: argparse.Namespace) -> int:
    from qa.loadtest import DEFAULT_QUESTIONS, questions_from_squad, run_load

    questions = questions_from_squad(Path(args.questions)) if args.questions else DEFAULT_QUESTIONS
    url = args.url or f"http://{bot.settings.host}:{bot.settings.port}"
    result = run_load(url, questions, concurrency=args.concurrency, requests=args.requests, timeout=args.timeout)
    summary = result.to_dict()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"{summary['requests']} requests, {summary['concurrency']} clients, {summary['seconds']} s: "
              f"{summary['throughput_rps']} req/s; latency p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
              f"p99 {summary['p99_ms']} ms, max {summary['max_ms']} ms; errors {summary['errors']} {summary['error_kinds'] or ''}")
    return 0 if summary["errors"] == 0 else 1


# Flags of `isnad serve` that stand for settings; each overrides its environment variable.
SERVE_FLAGS = [
    ("--data-dir", "ISNAD_DATA_DIR", "where isnad keeps its data"),
    ("--chroma-host", "ISNAD_CHROMA_HOST", "a Chroma server instead of the embedded store"),
    ("--chroma-port", "ISNAD_CHROMA_PORT", "the Chroma server's port"),
    ("--answerer", "ISNAD_ANSWERER", "extractive or llm"),
    ("--llm-base-url", "ISNAD_LLM_BASE_URL", "OpenAI-compatible endpoint"),
    ("--llm-model", "ISNAD_LLM_MODEL", "model name at that endpoint"),
    ("--allowed-origins", "ISNAD_ALLOWED_ORIGINS", "origins whose pages may call the API"),
    ("--auth", "ISNAD_AUTH", "user:pass,... for the page and the API"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="isnad", description="Question answering over news articles, with sources.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add files or folders (recursively) to the store")
    p.add_argument("paths", nargs="+", help=f"files or folders; types: {' '.join(supported_extensions())}")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--fields", default=None, metavar="OURS=THEIRS,...",
                   help="which field of a .json/.jsonl record holds what, e.g. "
                        "text=content,published=date_extracted,outlet=source,author=author "
                        f"(ours: {', '.join(TARGETS)}; common names are recognised without it)")
    p.add_argument("--outlet", default=None, help="the outlet (newspaper, site) of articles whose file does not name one")
    p.set_defaults(func=_cmd_ingest, through_app=_ingest_through_app)

    p = sub.add_parser("list", help="list the articles in the store")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_list, through_app=_cmd_list)

    p = sub.add_parser("remove", help="delete articles (and their chunks) by id")
    p.add_argument("ids", nargs="+")
    p.set_defaults(func=_cmd_remove, through_app=_cmd_remove)

    p = sub.add_parser("reindex", help="re-embed every article with the configured embedder")
    p.set_defaults(func=_cmd_reindex)

    p = sub.add_parser("ask", help="ask a question; prints the answer and its numbered sources")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=None, help="passages to retrieve")
    p.add_argument("--outlet", action="append", default=None, help="answer only from this outlet (repeat for several)")
    p.add_argument("--since", default=None, help="only articles published on or after this day (2015-08-01)")
    p.add_argument("--until", default=None, help="only articles published on or before this day")
    p.add_argument("--article", action="append", default=None, help="only this article id (repeat for several)")
    p.add_argument("--as-of", default=None, help="the day \"yesterday\" or \"last week\" in the question is read "
                                                "against (2015-08-11); default ISNAD_AS_OF, else today")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_ask, through_app=_cmd_ask)

    p = sub.add_parser("eval", help="score retrieval and answers on a SQuAD v1.1 file, against baselines")
    p.add_argument("dataset")
    p.add_argument("--questions-from", default=None, help="parallel SQuAD file whose questions (same ids) to ask instead")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--limit", type=int, default=None, help="ask only the first N questions")
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("calibrate", help="fit the extractive answerer's sentence ranker and abstain models on SQuAD files")
    p.add_argument("--same-script", nargs="+", required=True, metavar="CONTEXT.json",
                   help="sets whose questions are in the articles' script, e.g. xquad.ar.json arcd.json")
    p.add_argument("--cross-script", nargs="+", required=True, metavar="CONTEXT.json:QUESTIONS.json",
                   help="sets asked across scripts, e.g. xquad.ar.json:xquad.en.json")
    p.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    p.add_argument("--answer-rate", type=float, default=0.93,
                   help="share of answerable questions the abstain threshold must answer (default 0.93)")
    p.add_argument("--max-wrong", type=float, default=0.2,
                   help="most wrong-article questions it may answer; caps --answer-rate (default 0.2)")
    p.add_argument("--floor-rate", type=float, default=DEFAULT_FLOOR_RATE,
                   help="share of answerable questions kept above the not-found floor (below it: the articles "
                        f"don't say; between it and the threshold: a tentative answer; default {DEFAULT_FLOOR_RATE})")
    p.add_argument("--support-margin", type=float, default=DEFAULT_SUPPORT_MARGIN,
                   help="how far below the lead's ranker logit a further sentence may score and still be quoted "
                        f"(default {DEFAULT_SUPPORT_MARGIN})")
    p.add_argument("--completion-margin", type=float, default=DEFAULT_COMPLETION_MARGIN,
                   help="... and how far, when it holds question terms the sentences quoted before it lack "
                        f"(default {DEFAULT_COMPLETION_MARGIN})")
    p.add_argument("--write", action="store_true",
                   help="store the models in $ISNAD_CALIBRATION (default: the bundled qa/calibration.json)")
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser("bench", help="benchmarks against a running app")
    bench = p.add_subparsers(dest="bench", required=True)
    p = bench.add_parser("load", help="POST questions to /api/ask at a fixed concurrency; report latency and errors")
    p.add_argument("--url", default=None, help="the app's base URL (default: http://ISNAD_HOST:ISNAD_PORT)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--requests", type=int, default=500)
    p.add_argument("--questions", default=None, metavar="SQUAD.json", help="take the questions from a SQuAD file")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_bench_load)

    p = sub.add_parser("serve", help="start the web app: chat page, HTTP API, widget")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    for flag, variable, meaning in SERVE_FLAGS:
        p.add_argument(flag, dest=variable, default=None, metavar="VALUE", help=f"{meaning} (same as {variable})")
    p.set_defaults(func=_cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    show_progress()
    try:
        flags = {variable: value for _, variable, _ in SERVE_FLAGS if (value := getattr(args, variable, None)) is not None}
        settings = Settings.from_env_with(flags)
        through_app = getattr(args, "through_app", None)
        if through_app is not None and (url := running_app_url(settings)):
            print(f"isnad: the app at {url} holds the store: going through its HTTP API", file=sys.stderr)
            app = AppClient(url, settings)
            try:
                return through_app(app, args)
            finally:
                app.close()
        if args.func is _cmd_list and not settings.chroma_host:
            listed = read_catalog(settings.store.folder)  # no Chroma, no model: milliseconds
            if listed is not None:
                return _print_articles([asdict(a) for a in listed], args)
        from qa import Assistant

        return args.func(Assistant(settings), args)
    except IsnadError as err:
        print(f"isnad: error: {err}", file=sys.stderr)
        return exit_code(err)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
