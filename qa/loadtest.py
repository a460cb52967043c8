"""`isnad bench load`: drive a running isnad HTTP API at a fixed concurrency and report
throughput, latency percentiles and errors. A benchmark, not a test: it prints numbers.

Each client is a thread with its own keep-alive connection; it takes the next question from a
shared queue until ``requests`` have been sent, so exactly that many requests are made.
"""
from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_QUESTIONS = [
    "من ترأس الحوار الإستراتيجي بين المغرب ومكتب الأمم المتحدة لمكافحة الإرهاب؟",
    "ما هي العناصر الأربعة التي يركز عليها المغرب لتعزيز القدرات المؤسسية؟",
    "Which regional programme did Morocco launch in 2022 with the UN counter-terrorism office?",
    "متى عقد الحوار الإستراتيجي؟",
    "ما دور مكتب الأمم المتحدة لمكافحة الإرهاب في الرباط؟",
]


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    def to_dict(self) -> dict:
        return {
            "requests": self.requests,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "throughput_rps": round(self.requests / self.seconds, 2) if self.seconds else 0.0,
            "ok": self.ok,
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1),
            "p99_ms": round(self.percentile(0.99), 1),
            "max_ms": round(max(self.latencies_ms), 1) if self.latencies_ms else None,
        }


def questions_from_squad(path: Path) -> list[str]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [q["question"] for doc in data["data"] for p in doc["paragraphs"] for q in p["qas"]]


def run_load(url: str, questions: list[str], *, concurrency: int = 16, requests: int = 500,
             timeout: float = 60.0, headers: dict[str, str] | None = None) -> LoadResult:
    if not questions:
        raise ValueError("no questions to send")
    if concurrency < 1 or requests < 1:
        raise ValueError("concurrency and requests must be at least 1")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    path = parts.path.rstrip("/") + "/api/ask"
    send_headers = {"Content-Type": "application/json", **(headers or {})}
    next_index = itertools.count()
    lock = threading.Lock()
    result = LoadResult(requests=requests, concurrency=concurrency, seconds=0.0)

    def record(latency: float | None, error: str | None) -> None:
        with lock:
            if error is None:
                result.latencies_ms.append(latency * 1000)
            else:
                result.errors[error] = result.errors.get(error, 0) + 1

    def client() -> None:
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = cls(parts.hostname, parts.port, timeout=timeout)
        while (i := next(next_index)) < requests:
            body = json.dumps({"question": questions[i % len(questions)]}).encode()
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=send_headers)
                response = conn.getresponse()
                payload = response.read()
                if response.status != 200:
                    record(None, f"HTTP {response.status}")
                elif "answer" not in json.loads(payload):
                    record(None, "no answer in the response")
                else:
                    record(time.perf_counter() - started, None)
            except (OSError, http.client.HTTPException, ValueError) as err:
                record(None, type(err).__name__)
                conn.close()
                conn = cls(parts.hostname, parts.port, timeout=timeout)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result
