"""The write journal: one entry per article being written, deleted once the article's record
(its commit marker) is stored. A process killed mid-write leaves its entries behind; the next
writer finds them (:meth:`Journal.abandoned`) and the indexer repairs those articles
(``vectorstore.indexing.Indexer.recover``)."""
from __future__ import annotations

import os
import socket
import time
from typing import Any

# Journal entries carry no vector of their own; Chroma needs one, so every entry gets this one.
PLACEHOLDER_VECTOR = [1.0]


class Journal:
    def __init__(self, collection, *, shared: bool):
        self.collection = collection
        # On a Chroma server other processes write too: their entries may be live.
        self.shared = shared

    def begin(self, articles: list[tuple[str, str]], now: float | None = None) -> None:
        """Open an entry per ``(article id, version)`` about to be written."""
        now = time.time() if now is None else now
        self.collection.upsert(
            ids=[article_id for article_id, _ in articles],
            embeddings=[PLACEHOLDER_VECTOR] * len(articles),
            metadatas=[{"version": version, "pid": os.getpid(), "host": socket.gethostname(), "started": now}
                       for _, version in articles],
        )

    def finish(self, article_ids: list[str]) -> None:
        if article_ids:
            self.collection.delete(ids=article_ids)

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        got = self.collection.get(include=["metadatas"])
        return [(article_id, meta or {}) for article_id, meta in zip(got["ids"], got["metadatas"])]

    def count(self) -> int:
        return self.collection.count()

    def clear(self) -> None:
        self.finish(list(self.collection.get(include=[])["ids"]))

    def abandoned(self, meta: dict[str, Any], stale_after: float) -> bool:
        """An entry whose writer is gone: in embedded mode every entry (this process holds the
        only lock); on a server, a dead process of this host, or any entry older than
        ``stale_after`` seconds."""
        if not self.shared:
            return True
        if meta.get("host") == socket.gethostname():
            try:
                os.kill(int(meta.get("pid", 0)), 0)
            except ProcessLookupError:
                return True
            except (PermissionError, ValueError):
                pass
        return time.time() - float(meta.get("started", 0.0)) > stale_after
