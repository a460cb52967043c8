"""Scale curve: ask latency and peak memory at 1k, 10k and 100k chunks, embedded Chroma vs. a
Chroma server; ingest throughput into stores of 1k and 10k chunks; the lexical index's build
time; where an ask's time goes at the largest size.

    python benchmarks/scale.py [--sizes 1000 10000 100000] [--questions 200] [--modes embedded server]

The XQuAD-ar and ARCD paragraphs are embedded for real once (the base, ~750 chunks and their
sentences); each store is then filled with copies of the base records under new chunk and
article ids (same vectors), because embedding 100k chunks for real takes hours on 2 cores and
search cost depends on the store's size, not on whether vectors repeat. Each (mode, size) runs
in its own process, so its peak RSS is its own; the Chroma server's peak RSS is read from /proc.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def _datasets():
    from qa.squad import load_squad

    xq = load_squad(SHARED / "xquad/xquad.ar.json")
    xq_en = load_squad(SHARED / "xquad/xquad.ar.json", SHARED / "xquad/xquad.en.json")
    arcd = load_squad(SHARED / "arcd/arcd.json")
    for p in arcd.paragraphs:
        p.id = "arcd-" + p.id
    return xq, xq_en, arcd


def build_base(out: Path, model_dir: str) -> None:
    """Embed every XQuAD-ar and ARCD paragraph once; keep the records (with vectors)."""
    from ingest import ingest_articles
    from qa import Assistant, Settings

    xq, _, arcd = _datasets()
    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(Settings.from_env({"ISNAD_DATA_DIR": tmp, "ISNAD_SEED": "0", "ISNAD_MODEL_DIR": model_dir}))
        report = ingest_articles(xq.paragraphs + arcd.paragraphs, bot.indexer, bot.settings.chunking)
        store = bot.store
        base = {
            "chunks": store.chunks.get(include=["documents", "metadatas", "embeddings"]),
            "sentences": store.sentences.get(include=["metadatas", "embeddings"]),
            "ingest": {"chunks": report.chunks, "seconds": report.seconds},
        }
        bot.close()
    out.write_bytes(pickle.dumps(base))


def fill(store, base: dict, target_chunks: int) -> float:
    """Copies of the base records until the store holds ``target_chunks``; returns seconds."""
    started = time.perf_counter()
    chunks, sents = base["chunks"], base["sentences"]
    step = min(store.client.get_max_batch_size(), 5000)
    copy = 0
    while store.count_chunks() < target_chunks:
        need = target_chunks - store.count_chunks()
        n = min(need, len(chunks["ids"]))

        def rid(x: str) -> str:
            return f"r{copy}-{x}"
        metas = [{**m, "article_id": rid(m["article_id"])} for m in chunks["metadatas"][:n]]
        for i in range(0, n, step):
            store.chunks.add(ids=[rid(x) for x in chunks["ids"][i:i + step][: n - i]],
                             embeddings=chunks["embeddings"][i:min(i + step, n)],
                             documents=chunks["documents"][i:min(i + step, n)], metadatas=metas[i:i + step])
        articles = {m["article_id"] for m in chunks["metadatas"][:n]}
        sel = [j for j, m in enumerate(sents["metadatas"]) if m["article_id"] in articles]
        for i in range(0, len(sel), step):
            part = sel[i:i + step]
            store.sentences.add(ids=[rid(sents["ids"][j]) for j in part],
                                embeddings=[sents["embeddings"][j] for j in part],
                                metadatas=[{**sents["metadatas"][j], "article_id": rid(sents["metadatas"][j]["article_id"])}
                                           for j in part])
        copy += 1
    store.flags.bump_revision()
    return time.perf_counter() - started


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_asks(bot, questions: list[str]) -> tuple[list[float], dict[str, list[float]]]:
    """Each question through the pipeline ``bot.ask`` runs (seconds), and the parts of that very
    run from its trace (milliseconds): query embedding, dense search, sentence search, BM25,
    fusion, the passages' sentence scores, the answer."""
    from qa.pipeline import Trace
    from qa.question import Question

    bot.ask(questions[0])  # warm caches
    total: list[float] = []
    parts: dict[str, list[float]] = {"embed": [], "dense": [], "sentences": [], "bm25": [], "fusion": [],
                                     "sentence_scores": [], "answer": []}
    for q in questions:
        trace = Trace()
        t0 = time.perf_counter()
        bot.pipeline.ask(Question.of(q), trace=trace)
        total.append(time.perf_counter() - t0)
        for key in parts:
            parts[key].append(1000 * trace.seconds.get(f"retrieve.{key}", trace.seconds.get(key, 0.0)))
    return total, parts


def run_one(mode: str, size: int, base_path: Path, model_dir: str, questions: int) -> dict:
    from ingest import Article, ingest_articles
    from qa import Assistant, Settings

    base = pickle.loads(base_path.read_bytes())
    xq, xq_en, arcd = _datasets()
    result: dict = {"mode": mode, "chunks": size}
    with tempfile.TemporaryDirectory() as tmp:
        env = {"ISNAD_DATA_DIR": tmp, "ISNAD_SEED": "0", "ISNAD_MODEL_DIR": model_dir}
        server = None
        if mode == "server":
            port = _free_port()
            log = open(Path(tmp) / "chroma.log", "wb")
            server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(Path(tmp) / "db"),
                                       "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
            for _ in range(300):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            env.update(ISNAD_CHROMA_HOST="127.0.0.1", ISNAD_CHROMA_PORT=str(port))
        try:
            bot = Assistant(Settings.from_env(env))
            store = bot.store
            result["fill_s"] = round(fill(store, base, size), 1)
            result["sentences"] = store.sentences.count()

            # Ingest throughput into a store of this size: 60 real paragraphs, embedded for real.
            fresh = [Article(id=f"fresh-{p.id}", title=p.title, text=p.text, format="json") for p in xq.paragraphs[:60]]
            report = ingest_articles(fresh, bot.indexer, bot.settings.chunking)
            result["ingest_chunks_per_s"] = round(report.chunks_per_second, 2)

            t = time.perf_counter()
            bot.retriever.lexical.sync(store)
            result["lexical_build_s"] = round(time.perf_counter() - t, 2)
            # What the next process pays: the same index started from the terms cache.
            from vectorstore.lexical import LexicalIndex

            t = time.perf_counter()
            LexicalIndex(cache_path=bot.settings.lexical_cache).sync(store)
            result["lexical_from_cache_s"] = round(time.perf_counter() - t, 2)
            # What every process pays at its next question after any write to the store.
            store.flags.bump_revision()
            t = time.perf_counter()
            bot.retriever.lexical.sync(store)
            result["lexical_resync_s"] = round(time.perf_counter() - t, 2)

            asked = [q.text for ds in (xq, xq_en, arcd) for q in ds.questions[: questions // 3]]
            total, parts = time_asks(bot, asked)
            total.sort()
            result["ask_p50_ms"] = round(1000 * total[len(total) // 2], 1)
            result["ask_p95_ms"] = round(1000 * total[min(len(total) - 1, int(len(total) * 0.95))], 1)
            result["breakdown_median_ms"] = {k: round(statistics.median(v), 1) for k, v in parts.items()}
            # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report
            # its parent's peak (here, the model conversion of the base step).
            result["peak_rss_mb"] = round(_rss_mb(os.getpid()))
            if server is not None:
                result["chroma_server_peak_rss_mb"] = round(_rss_mb(server.pid))
            bot.close()
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=60)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"])
    parser.add_argument("--questions", type=int, default=201)
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, size, base_path, model_dir = args.one
        print(json.dumps(run_one(mode, int(size), Path(base_path), model_dir, args.questions)))
        return
    with tempfile.TemporaryDirectory() as work:
        base_path, model_dir = Path(work) / "base.pkl", str(Path(work) / "models")
        t = time.perf_counter()
        build_base(base_path, model_dir)
        base = pickle.loads(base_path.read_bytes())
        print(f"base: {base['ingest']['chunks']} chunks embedded for real in {time.perf_counter() - t:.0f} s", flush=True)
        rows = []
        for size in args.sizes:
            for mode in args.modes:
                out = subprocess.run([sys.executable, __file__, "--one", mode, str(size), str(base_path), model_dir,
                                      "--questions", str(args.questions)], capture_output=True, text=True,
                                     env={**os.environ, "HF_HUB_OFFLINE": "1"})
                if out.returncode != 0:
                    print(out.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(f"{mode} {size} failed")
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(json.dumps(rows[-1]), flush=True)
    print()
    print("| mode | chunks | sentences | ask p50 ms | ask p95 ms | ingest chunks/s | lexical build / from cache / re-sync s | peak RSS MB (app) | Chroma server RSS MB | fill s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['mode']} | {r['chunks']:,} | {r['sentences']:,} | {r['ask_p50_ms']} | {r['ask_p95_ms']} | "
              f"{r['ingest_chunks_per_s']} | {r['lexical_build_s']} / {r['lexical_from_cache_s']} / {r['lexical_resync_s']} | {r['peak_rss_mb']} | "
              f"{r.get('chroma_server_peak_rss_mb', '—')} | {r['fill_s']} |")
    print()
    print("| mode | chunks | embed | dense | sentences | bm25 | fusion | answer (median ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        b = r["breakdown_median_ms"]
        print(f"| {r['mode']} | {r['chunks']:,} | {b['embed']} | {b['dense']} | {b['sentences']} | {b['bm25']} | {b['fusion']} | {b['answer']} |")


if __name__ == "__main__":
    main()
