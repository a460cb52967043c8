"""Ingestion throughput: the seed article, and every XQuAD-ar paragraph, into fresh stores.

    python benchmarks/ingest_speed.py [--xquad ../shared/data/xquad/xquad.ar.json] [--embedder e5-small-q4]

Prints one line per corpus: articles, chunks, seconds, chunks/s (embedding + Chroma writes).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from ingest import Article, content_id, seed_path
from qa import Assistant, Settings


def _bot(tmp: str, embedder: str) -> Assistant:
    return Assistant(Settings.from_env({"ISNAD_DATA_DIR": tmp, "ISNAD_SEED": "0", "ISNAD_EMBEDDER": embedder}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xquad", default=str(Path(__file__).resolve().parents[2] / "shared/data/xquad/xquad.ar.json"))
    parser.add_argument("--embedder", default="e5-small")
    args = parser.parse_args()

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

        report = ingest_articles(articles, bot.store, bot.settings.chunking)
        print(f"xquad-ar     : {report.articles} articles, {report.chunks} chunks, {report.seconds:.1f} s, {report.chunks_per_second:.2f} chunks/s")


if __name__ == "__main__":
    main()
