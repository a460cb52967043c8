"""Thumbs up/down on answers, kept as JSON lines in the data dir (one file, append-only)."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def add(self, *, rating: str, question: str, answer: str, citations: list[dict[str, Any]], user: str | None = None) -> dict:
        if rating not in ("up", "down"):
            raise ValueError("rating must be 'up' or 'down'")
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "rating": rating,
            "question": question,
            "answer": answer,
            "citations": [
                {k: c.get(k) for k in ("n", "article_id", "title", "start", "end", "page", "score")} for c in citations
            ],
            "user": user,
        }
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        return record

    def export(self) -> str:
        """Every record, as JSON lines."""
        with self._lock:
            return self.path.read_text(encoding="utf-8") if self.path.exists() else ""
