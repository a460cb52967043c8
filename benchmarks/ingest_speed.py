"""Ingestion throughput: the seed article, and every XQuAD-ar paragraph, into fresh stores.

    python benchmarks/ingest_speed.py [--xquad ../shared/data/xquad/xquad.ar.json] [--embedder e5-small]

Prints one line per corpus: articles, chunks, seconds, chunks/s (embedding + Chroma writes), and
the process's peak RSS. A converted model (``e5-small``, ``e5-small-int8``) is converted first in
another process, so the peak is the ingest's own, not the one-time conversion's.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ingest import Article, content_id, seed_path
from qa import Assistant, Settings


MODELS = tempfile.mkdtemp(prefix="isnad-models-")


def _bot(tmp: str, embedder: str) -> Assistant:
    return Assistant(Settings.from_env({"ISNAD_DATA_DIR": tmp, "ISNAD_SEED": "0", "ISNAD_EMBEDDER": embedder,
                                        "ISNAD_MODEL_DIR": MODELS}))


def _peak_rss_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xquad", default=str(Path(__file__).resolve().parents[2] / "shared/data/xquad/xquad.ar.json"))
    parser.add_argument("--embedder", default="e5-small")
    args = parser.parse_args()
    if args.embedder.startswith("e5-small") and args.embedder != "e5-small-q4":
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from vectorstore import make_embedder; "
                        "make_embedder(sys.argv[1], cache_dir=Path(sys.argv[2]))", args.embedder, MODELS],
                       check=True, cwd=Path(__file__).resolve().parents[1], capture_output=True)

    with tempfile.TemporaryDirectory() as tmp:
        bot = _bot(tmp, args.embedder)
        bot.embedder  # noqa: B018 - load the model outside the timed run
        report = bot.ingest([seed_path()], progress=False)
        print(f"seed article : {report.articles} articles, {report.chunks} chunks, {report.seconds:.2f} s, {report.chunks_per_second:.2f} chunks/s")

    data = json.loads(Path(args.xquad).read_text(encoding="utf-8"))
    articles = []
    for doc in data["data"]:
        for i, para in enumerate(doc["paragraphs"]):
            text = para["context"].strip()
            articles.append(Article(id=content_id(text), title=f"{doc['title']} {i}", text=text, format="json"))
    with tempfile.TemporaryDirectory() as tmp:
        bot = _bot(tmp, args.embedder)
        bot.embedder  # noqa: B018
        from ingest import ingest_articles

        report = ingest_articles(articles, bot.indexer, bot.settings.chunking)
        print(f"xquad-ar     : {report.articles} articles, {report.chunks} chunks, {report.seconds:.1f} s, {report.chunks_per_second:.2f} chunks/s")
    print(f"peak RSS     : {_peak_rss_mb():.0f} MB ({args.embedder})")


if __name__ == "__main__":
    main()
