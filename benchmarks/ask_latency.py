"""Ask latency on a large store, extractive mode, 2 cores.

    python benchmarks/ask_latency.py [--chunks 10000] [--questions 200]
    python benchmarks/ask_latency.py --seed-store      # the store a fresh install answers from

Builds a real store from every XQuAD-ar and ARCD paragraph (embedded for real, once), then
copies its chunk and sentence records (same vectors, new ids and article ids) until it holds
``--chunks`` chunks: embedding 10k+ chunks for real takes too long on 2 cores, and retrieval cost
depends on the store's size, not on whether vectors repeat. Then asks XQuAD-ar, XQuAD-en and
ARCD questions through ``Assistant.ask`` and prints latency percentiles with a breakdown.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


from ingest import ingest_articles
from qa import Assistant, Settings
from qa.squad import load_squad
from scale import time_asks  # noqa: E402 - the sibling benchmark, on sys.path as this script's folder

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def replicate(store, target_chunks: int) -> None:
    base = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    sents = store.sentences.get(include=["metadatas", "embeddings"])
    copies = max(0, -(-target_chunks // len(base["ids"])) - 1)
    step = store.client.get_max_batch_size()
    for r in range(1, copies + 1):
        def rid(x: str) -> str:
            return f"r{r}-{x}"
        metas = [{**m, "article_id": rid(m["article_id"])} for m in base["metadatas"]]
        for i in range(0, len(metas), step):
            store.chunks.add(ids=[rid(x) for x in base["ids"][i:i + step]], embeddings=base["embeddings"][i:i + step],
                             documents=base["documents"][i:i + step], metadatas=metas[i:i + step])
        smetas = [{**m, "article_id": rid(m["article_id"])} for m in sents["metadatas"]]
        for i in range(0, len(smetas), step):
            store.sentences.add(ids=[rid(x) for x in sents["ids"][i:i + step]], embeddings=sents["embeddings"][i:i + step],
                                metadatas=smetas[i:i + step])
    store.flags.bump_revision()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(len(values) * p))]


def seed_store(n: int) -> None:
    """What `isnad ask` spends answering, in-process, on a fresh install's seeded store."""
    from qa.loadtest import DEFAULT_QUESTIONS

    xq_en = load_squad(SHARED / "xquad/xquad.ar.json", SHARED / "xquad/xquad.en.json")
    questions = (DEFAULT_QUESTIONS * 20)[: n // 2] + [q.text for q in xq_en.questions[: n - n // 2]]
    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(Settings.from_env({"ISNAD_DATA_DIR": tmp}))
        bot.ask(questions[0])
        total = []
        for q in questions:
            t0 = time.perf_counter()
            bot.ask(q)
            total.append(time.perf_counter() - t0)
        print(f"seed store ({bot.store.count_chunks()} chunks, {bot.embedder.name}): {len(total)} questions, "
              f"ask p50 {pct(total, .5):.1f} ms · p95 {pct(total, .95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=200, help="per question set")
    parser.add_argument("--seed-store", action="store_true", help="only the bundled seed article")
    args = parser.parse_args()
    if args.seed_store:
        seed_store(args.questions)
        return
    xq = load_squad(SHARED / "xquad/xquad.ar.json")
    xq_en = load_squad(SHARED / "xquad/xquad.ar.json", SHARED / "xquad/xquad.en.json")
    arcd = load_squad(SHARED / "arcd/arcd.json")
    for p in arcd.paragraphs:
        p.id = "arcd-" + p.id
    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(Settings.from_env({"ISNAD_DATA_DIR": tmp, "ISNAD_SEED": "0"}))
        t = time.perf_counter()
        report = ingest_articles(xq.paragraphs + arcd.paragraphs, bot.indexer, bot.settings.chunking)
        print(f"base store: {report.chunks} chunks embedded in {time.perf_counter() - t:.0f} s")
        replicate(bot.store, args.chunks)
        print(f"store: {bot.store.count_chunks()} chunks, {bot.store.sentences.count()} sentences")
        t = time.perf_counter()
        bot.retriever.lexical.sync(bot.store)
        print(f"lexical index build: {time.perf_counter() - t:.1f} s")

        for name, ds in (("xquad-ar", xq), ("xquad-en", xq_en), ("arcd", arcd)):
            total, parts = time_asks(bot, [q.text for q in ds.questions[: args.questions]])
            breakdown = " · ".join(f"{k} {statistics.median(v):.1f}" for k, v in parts.items())
            print(f"{name:9} ask p50 {pct(total, .5):.0f} ms · p95 {pct(total, .95):.0f} ms   (median ms: {breakdown})")


if __name__ == "__main__":
    main()
