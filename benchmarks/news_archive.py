"""The whole SaudiNewsNet archive on this machine (issue 23).

    python benchmarks/news_archive.py [--data-dir /tmp/isnad-snn] [--kill-at 0.5] [--questions 200]
                                      [--skip-ingest] [--days 2015-08-01,...] [--embedder e5-small-int8]

1. Ingest every day's zip as a user would (``isnad ingest ../shared/data/saudinewsnet/*.zip``,
   the records' field names recognised without a mapping), killed with SIGKILL once about
   ``--kill-at`` of the articles are listed, then started again to the end: wall time (both
   runs), chunks per second, the store's size on disk, the largest resident set of either run.
2. Check the store against the dumps: every record with text stored once (ids as the loader
   makes them), none missing, none doubled (each article's chunks as many as its record says,
   the chunk collection no larger than their sum), each with its outlet and date.
3. ``--questions`` questions (an article's title, asked of the whole archive; seeded sample),
   each with a filter its article passes: its outlet, a week around its day, or both. Every
   citation must lie inside the filter; recall@5 (the article among the first five passages)
   with the filter and without it, on the same questions.
4. Ask latency over the archive, with and without the filters, and on the seed store (the
   bundled article alone), the three asked in turn, question by question.
5. A new article uploaded to a running app (``isnad serve`` on the archive's data dir): seconds
   from the upload's start until a question about it cites it.

SaudiNewsNet (CC BY-NC-SA 4.0) is read from ``../shared/data/saudinewsnet``; nothing of it is
copied into the repository.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARCHIVE = HERE.parents[1] / "shared" / "data" / "saudinewsnet"


EMBEDDER = {"name": "e5-small"}


def env_for(data_dir: Path, seed: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISNAD_") or k == "ISNAD_MODEL_DIR"}
    env.update(ISNAD_DATA_DIR=str(data_dir), ISNAD_SEED="1" if seed else "0", ISNAD_EMBEDDER=EMBEDDER["name"])
    return env


def listed_count(data_dir: Path) -> int:
    try:
        return len(json.loads((data_dir / "chroma" / "articles.json").read_text(encoding="utf-8"))["articles"])
    except (OSError, ValueError, KeyError):
        return 0


def expected_articles(zips: list[Path]) -> dict[str, dict]:
    """What the loader makes of the dumps: article id → its provenance, for records with text."""
    from ingest import load_file

    out = {}
    for path in zips:
        for article in load_file(path).articles:
            out[article.id] = article.provenance.to_dict()
    return out


def ingest(data_dir: Path, zips: list[Path], expected: int, kill_at: float) -> dict:
    command = [sys.executable, "-m", "ui.cli", "ingest", *map(str, zips)]
    log = open(data_dir.parent / f"{data_dir.name}-ingest.log", "ab")
    started = time.monotonic()
    first = subprocess.Popen(command, env=env_for(data_dir), stdout=log, stderr=log)
    killed_at = None
    while first.poll() is None:
        time.sleep(2)
        if kill_at and listed_count(data_dir) >= kill_at * expected:
            first.send_signal(signal.SIGKILL)
            first.wait()
            killed_at = listed_count(data_dir)
            print(f"  killed with SIGKILL after {time.monotonic() - started:.0f} s, {killed_at} articles listed", flush=True)
    second = subprocess.run(command, env=env_for(data_dir), stdout=subprocess.PIPE, stderr=log, text=True)
    wall = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("  " + second.stdout.strip().replace("\n", "\n  "), flush=True)
    return {"wall_s": wall, "killed_at_articles": killed_at, "peak_rss_mb": peak, "summary": second.stdout.strip()}


def check_store(bot, expected: dict[str, dict]) -> dict:
    store = bot.store
    articles = store.list_articles()
    ids = [a.id for a in articles]
    stored = set(ids)
    chunk_total = store.count_chunks()
    per_article = {}
    for _, _, meta in store.iter_chunks(page_size=5000):
        per_article[meta["article_id"]] = per_article.get(meta["article_id"], 0) + 1
    return {
        "expected": len(expected), "stored": len(stored),
        "missing": len(set(expected) - stored), "unexpected": len(stored - set(expected)),
        "listed_twice": len(ids) - len(stored),
        "chunks": chunk_total, "chunks_listed": sum(a.chunks for a in articles),
        "articles_with_wrong_chunk_count": sum(per_article.get(a.id, 0) != a.chunks for a in articles),
        "without_outlet": sum(not a.provenance.outlet for a in articles),
        "without_date": sum(not a.provenance.published for a in articles),
        "provenance_differs": sum(a.provenance.to_dict() != expected.get(a.id) for a in articles if a.id in expected),
    }


def du(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def questions(bot, n: int, rng: random.Random) -> list[tuple[str, str, dict]]:
    """(question, its article id, a filter its article passes), a third of each kind of filter."""
    articles = [a for a in bot.list_articles() if a.provenance.outlet and a.provenance.published
                and 5 <= len(a.title.split()) <= 25]
    chosen = rng.sample(articles, n)
    out = []
    for i, a in enumerate(chosen):
        day = date.fromisoformat(a.provenance.published[:10])
        week = {"since": (day - timedelta(days=3)).isoformat(), "until": (day + timedelta(days=3)).isoformat()}
        outlet = {"outlets": [a.provenance.outlet]}
        out.append((a.title, a.id, [outlet, week, {**outlet, **week}][i % 3]))
    return out


def inside(citation, filters) -> bool:
    p = citation.provenance
    if filters.outlets and p.outlet not in filters.outlets:
        return False
    day = (p.published or "")[:10]
    return not ((filters.since and day < filters.since.isoformat()) or (filters.until and day > filters.until.isoformat()))


def filtered_questions(bot, seed_bot, asked: list[tuple[str, str, dict]]) -> dict:
    from vectorstore.filters import filters_from

    hits = {"filtered": 0, "unfiltered": 0}
    outside = citations = 0
    seconds = {"archive": [], "archive, filtered": [], "seed store": []}
    for question, article_id, raw in asked:
        filters = filters_from(raw)
        for name, run in (("archive", lambda: bot.ask(question)),
                          ("archive, filtered", lambda: bot.ask(question, filters=filters)),
                          ("seed store", lambda: seed_bot.ask(question))):
            started = time.perf_counter()
            answer = run()
            seconds[name].append(time.perf_counter() - started)
            if name == "archive, filtered":
                citations += len(answer.citations)
                outside += sum(not inside(c, filters) for c in answer.citations)
        hits["unfiltered"] += article_id in {p.article_id for p in bot.retrieve(question, k=5)}
        hits["filtered"] += article_id in {p.article_id for p in bot.retrieve(question, k=5, filters=filters)}
    n = len(asked)

    def pct(values, q):
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    return {
        "questions": n, "citations": citations, "citations_outside_filter": outside,
        "recall@5_filtered": hits["filtered"] / n, "recall@5_unfiltered": hits["unfiltered"] / n,
        "ask_ms": {name: {"p50": statistics.median(v) * 1000, "p95": pct(v, 95)} for name, v in seconds.items()},
    }


def new_article_latency(data_dir: Path) -> dict:
    import httpx

    sys.path.insert(0, str(HERE.parents[0] / "tests"))
    from conftest import free_port, stop, wait_for_port  # the tests' helpers for a live app

    port = free_port()
    log = open(data_dir.parent / f"{data_dir.name}-serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], env=env_for(data_dir),
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=600, proc=proc)
        base = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=base, timeout=120)
        question = "كم عدد الكتب في مكتبة الملك فهد العامة الجديدة في حفر الباطن؟"
        client.post("/api/ask", json={"question": question})  # the app warmed up, its lexical index built
        text = ("حفر الباطن - افتتحت أمس مكتبة الملك فهد العامة الجديدة في حفر الباطن، وتضم المكتبة "
                "سبعة وأربعين ألف كتاب في مبنى من ثلاثة طوابق.")
        record = json.dumps([{"content": text, "title": "مكتبة عامة جديدة في حفر الباطن", "source": "benchmark",
                              "date_extracted": "2015-08-12", "url": f"https://bench.example/{time.time()}"}],
                            ensure_ascii=False).encode()
        started = time.perf_counter()
        r = client.post("/api/articles", params={"filename": "new.json", "wait": 60}, content=record)
        uploaded = time.perf_counter() - started
        while True:
            answer = client.post("/api/ask", json={"question": question}).json()
            if any(c.get("provenance", {}).get("outlet") == "benchmark" for c in answer.get("citations", [])):
                break
            if time.perf_counter() - started > 120:
                raise RuntimeError("the new article was not cited within 120 s")
        return {"upload_status": r.status_code, "upload_s": uploaded, "answerable_s": time.perf_counter() - started,
                "answer": answer["answer"][:200]}
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/isnad-snn"))
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--days", default=None, help="only these days (2015-08-01,2015-08-02: a quicker run)")
    parser.add_argument("--embedder", default="e5-small", help="ISNAD_EMBEDDER for the archive (e.g. e5-small-int8)")
    parser.add_argument("--skip-ingest", action="store_true", help="use the store already in --data-dir")
    args = parser.parse_args()
    zips = sorted(ARCHIVE.glob("*.zip"))
    if args.days:
        zips = [z for z in zips if z.stem in args.days.split(",")]
    EMBEDDER["name"] = args.embedder
    results: dict = {"days": [z.stem for z in zips], "embedder": args.embedder}
    expected = expected_articles(zips)
    print(f"{len(zips)} days, {len(expected)} articles with text", flush=True)
    if not args.skip_ingest:
        if args.data_dir.exists() and any(args.data_dir.iterdir()):
            sys.exit(f"{args.data_dir} is not empty: remove it, or pass --skip-ingest")
        args.data_dir.mkdir(parents=True, exist_ok=True)
        results["ingest"] = ingest(args.data_dir, zips, len(expected), args.kill_at)
    results["store_mb"] = du(args.data_dir)

    from qa import Assistant, Settings

    bot = Assistant(Settings.from_env(env_for(args.data_dir)))
    results["check"] = check_store(bot, expected)
    print(json.dumps(results, indent=2), flush=True)
    seed_dir = args.data_dir.parent / f"{args.data_dir.name}-seed"
    seed_bot = Assistant(Settings.from_env(env_for(seed_dir, seed=True)), embedder=bot.embedder)
    asked = questions(bot, args.questions, random.Random(23))
    bot.ask("warm up"), seed_bot.ask("warm up")
    results["filtered"] = filtered_questions(bot, seed_bot, asked)
    print(json.dumps(results["filtered"], indent=2), flush=True)
    bot.close()
    seed_bot.close()
    results["new_article"] = new_article_latency(args.data_dir)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    (args.data_dir.parent / f"{args.data_dir.name}-results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
