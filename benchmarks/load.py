"""Load on the HTTP API: `isnad serve` over every XQuAD-ar paragraph, driven by `isnad bench load`.

    python benchmarks/load.py [--concurrency 16] [--requests 500]

Ingests the 240 XQuAD-ar paragraphs into a fresh embedded store, starts `isnad serve` on a free
loopback port (extractive answers), then runs `isnad bench load` with the XQuAD-ar questions and
prints its summary (throughput, p50/p95/p99 latency, errors) and the server's peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
XQUAD = ROOT.parent / "shared/data/xquad/xquad.ar.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    isnad = [sys.executable, "-m", "ui.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ISNAD_DATA_DIR": tmp, "ISNAD_SEED": "0", "HF_HUB_OFFLINE": "1"}
        data = json.loads(XQUAD.read_text(encoding="utf-8"))
        records = [{"id": f"xq-{d}-{i}", "title": doc["title"], "text": p["context"]}
                   for d, doc in enumerate(data["data"]) for i, p in enumerate(doc["paragraphs"])]
        feed = Path(tmp) / "xquad.jsonl"
        feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
        subprocess.run([*isnad, "ingest", "--quiet", str(feed)], env=env, check=True, cwd=ROOT)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([*isnad, "serve", "--port", str(port)], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            out = subprocess.run([*isnad, "bench", "load", "--url", f"http://127.0.0.1:{port}", "--concurrency",
                                  str(args.concurrency), "--requests", str(args.requests), "--questions", str(XQUAD),
                                  "--json"], env=env, cwd=ROOT, capture_output=True, text=True)
            summary = json.loads(out.stdout)
            status = Path(f"/proc/{server.pid}/status").read_text()
            summary["server_peak_rss_mb"] = round(int(next(line.split()[1] for line in status.splitlines()
                                                       if line.startswith("VmHWM:"))) / 1024)
            print(json.dumps(summary, indent=2))
        finally:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
