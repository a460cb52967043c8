"""The Chroma-backed article store: embedded (``PersistentClient``) or a server (``HttpClient``).

Collections per store (``<name>_sentences`` and ``<name>_journal`` besides the two below):
- ``<name>_chunks``: one record per chunk, with its vector, text and metadata (article id,
  title, chunk index, page, start/end offsets into the article text, content version). Its
  metadata records the embedder (name and dimension) that built it.
- ``<name>_articles``: one record per article with its full original text (for citation
  viewers and re-indexing) and its metadata. An article's record is written *after* its
  chunks, so it doubles as the commit marker: a crash mid-write leaves a version mismatch that
  the next ingest repairs, never a listed article with missing chunks.
- ``<name>_journal``: one record per article being written, deleted once its commit marker is
  stored. A process killed mid-write leaves its entry behind; the next writer (``recover``)
  finishes the job: a new article's partial chunks are deleted, a replaced article is rewritten
  from its stored text, so no orphan or mixed-version chunk survives.

An embedded store has one writer process at a time: opening it takes an exclusive lock on
``data_dir/chroma/isnad.lock`` (held until ``close`` or process exit, released by the OS even
on ``SIGKILL``). Chroma's embedded engine keeps index state in memory, so two processes writing
one folder would corrupt it; processes that must share a store use a Chroma server.

Chroma is never given an embedding function: every vector comes from our embedder, so Chroma
can never fall back to its own default one (which would download a model).
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
import httpx
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError

from ingest import Article, Chunk, ChunkingOptions, PageSpan, chunk_article
from ingest.errors import Conflict, IsnadError, Misconfigured, Unavailable
from ingest.chunking import article_sentences
from ingest.pipeline import chunking_version

from .embedders import IsnadEmbeddings

# Articles carry no vector of their own; Chroma needs one, so every article gets this one.
_ARTICLE_PLACEHOLDER_VECTOR = [1.0]


class StoreError(IsnadError):
    """Base class for store problems a user can act on."""


class StoreUnavailable(StoreError, Unavailable):
    """The Chroma server cannot be reached."""


class StoreLocked(StoreError, Conflict):
    """Another process has the embedded store open."""


class EmbedderMismatch(StoreError, Misconfigured):
    """The collection was built by another embedder than the configured one."""


@dataclass(frozen=True)
class StoreConfig:
    """Where the store lives. With ``chroma_host`` set, a Chroma server; else ``data_dir/chroma``."""

    data_dir: Path
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "isnad"

    @property
    def is_server(self) -> bool:
        return bool(self.chroma_host)

    def describe(self, *, location: bool = True) -> str:
        """What and where the store is; without ``location`` (for web clients), no server
        address and no path of this machine."""
        if self.is_server:
            where = f" {self.chroma_host}:{self.chroma_port}" if location else ""
            return f"Chroma server{where}, collection '{self.collection}'"
        where = f" at {self.data_dir / 'chroma'}" if location else ""
        return f"embedded Chroma{where}, collection '{self.collection}'"


@dataclass
class ArticleInfo:
    id: str
    title: str
    source: str
    format: str
    url: str | None
    published: str | None
    chunks: int
    version: str
    ingested_at: float


@dataclass
class Passage:
    """A retrieved chunk, with everything a citation needs."""

    chunk_id: str
    article_id: str
    title: str
    text: str
    start: int
    end: int
    page: int | None
    chunk_index: int
    score: float
    scores: dict[str, float]
    # Sentences of this chunk found by the sentence index: (start, end, similarity), article offsets.
    sentences: list[tuple[int, int, float]] = field(default_factory=list)


@dataclass
class _Pending:
    """One article on its way into the store, with its vectors."""

    article: Article
    chunks: list[Chunk]
    version: str
    chunk_vectors: Any
    spans: list[tuple[int, int]]
    sentence_vectors: Any


def _transport_failure(err: BaseException | None) -> bool:
    """Whether a Chroma client error comes from the network: an ``httpx`` transport error or
    an ``OSError`` anywhere in its chain (the client re-raises a failed connection as a
    ``ValueError`` inside the ``except`` that caught it, so the original stays its context)."""
    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, (httpx.TransportError, OSError)):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


@contextlib.contextmanager
def _guard(config: StoreConfig) -> Iterator[None]:
    """Turn transport failures of a Chroma server into one clear :class:`StoreUnavailable`."""
    try:
        yield
    except StoreError:
        raise
    except Exception as err:
        if config.is_server and _transport_failure(err):
            raise StoreUnavailable(
                f"the store is unavailable: cannot reach the Chroma server at {config.chroma_host}:{config.chroma_port} ({err})"
            ) from err
        raise


try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; one process by convention
    fcntl = None

# One lock per embedded store folder per process, shared by every ArticleStore of this process
# (flock locks of two descriptors of one file conflict even inside one process).
_WRITER_LOCKS: dict[str, list] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def acquire_writer_lock(folder: Path) -> str:
    """Take (or share, inside this process) the embedded store's exclusive lock."""
    key = str(folder.resolve())
    with _WRITER_LOCKS_GUARD:
        if key in _WRITER_LOCKS:
            _WRITER_LOCKS[key][1] += 1
            return key
        if fcntl is None:
            _WRITER_LOCKS[key] = [None, 1]
            return key
        fd = os.open(folder / "isnad.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise StoreLocked(
                f"the embedded store at {folder} is in use by {holder}. An embedded store has one "
                "process at a time: stop that process (or use its HTTP API), or share the store "
                "between processes through a Chroma server (ISNAD_CHROMA_HOST, ISNAD_CHROMA_PORT; "
                "see docs/deploy.md)."
            ) from None
        os.ftruncate(fd, 0)
        command = " ".join(os.path.basename(a) for a in sys.argv[:2]) or "python"
        os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()} ({command})".encode(), 0)
        _WRITER_LOCKS[key] = [fd, 1]
        return key


def release_writer_lock(key: str) -> None:
    with _WRITER_LOCKS_GUARD:
        entry = _WRITER_LOCKS.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _WRITER_LOCKS[key]
            if entry[0] is not None:
                os.close(entry[0])  # closing the descriptor releases the flock


def open_client(config: StoreConfig) -> chromadb.ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    with _guard(config):
        if config.is_server:
            return chromadb.HttpClient(host=config.chroma_host, port=config.chroma_port, settings=settings)
        path = config.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)


def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if v is not None}


class ArticleStore:
    """Articles and their embedded chunks in Chroma; implements :class:`ingest.ArticleSink`."""

    def __init__(self, config: StoreConfig, embedder: IsnadEmbeddings, *, client: chromadb.ClientAPI | None = None, check_embedder: bool = True):
        self.config = config
        self.embedder = embedder
        self._lock = threading.RLock()
        self._writer_lock: str | None = None
        if not config.is_server:
            folder = config.data_dir / "chroma"
            folder.mkdir(parents=True, exist_ok=True)
            self._writer_lock = acquire_writer_lock(folder)
        try:
            self.client = client or open_client(config)
            with _guard(config):
                self.articles = self._collection(f"{config.collection}_articles", {"kind": "articles"}, space="l2")
                self.chunks = self._collection(f"{config.collection}_chunks", self._identity(), space="cosine")
                self.sentences = self._collection(f"{config.collection}_sentences", self._identity(), space="cosine")
                self.journal = self._collection(f"{config.collection}_journal", {"kind": "journal"}, space="l2")
            if check_embedder:
                self.check_embedder()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let another process open this embedded store (a no-op for a server)."""
        if self._writer_lock is not None:
            release_writer_lock(self._writer_lock)
            self._writer_lock = None

    # -- collections -------------------------------------------------------------------
    def _identity(self) -> dict[str, Any]:
        return {"kind": "chunks", "embedder": self.embedder.name, "dimension": self.embedder.dimension}

    def _collection(self, name: str, metadata: dict[str, Any], space: str):
        try:
            return self.client.get_collection(name, embedding_function=None)
        except NotFoundError:
            pass
        try:
            return self.client.create_collection(
                name, embedding_function=None, metadata=metadata, configuration={"hnsw": {"space": space}}
            )
        except ChromaError:
            # Another process created it between our two calls.
            return self.client.get_collection(name, embedding_function=None)

    def built_with(self) -> tuple[str, int]:
        meta = self.chunks.metadata or {}
        return str(meta.get("embedder", "?")), int(meta.get("dimension", 0) or 0)

    def check_embedder(self) -> None:
        name, dim = self.built_with()
        if (name, dim) != (self.embedder.name, self.embedder.dimension):
            raise EmbedderMismatch(
                f"the store ({self.config.describe()}) was built with embedder '{name}' (dimension {dim}), "
                f"but isnad is configured with '{self.embedder.name}' (dimension {self.embedder.dimension}). "
                f"Run `isnad reindex` to re-embed every article with '{self.embedder.name}', "
                f"or set ISNAD_EMBEDDER={name} to keep using the store as it is."
            )

    # Store-wide flags live in the articles collection's metadata. Always read it afresh: another
    # process may have changed it since this one opened the collection.
    def _store_meta(self) -> dict[str, Any]:
        with _guard(self.config):
            return dict(self.client.get_collection(self.articles.name, embedding_function=None).metadata or {})

    def _update_store_meta(self, **updates: Any) -> None:
        with _guard(self.config):
            fresh = self.client.get_collection(self.articles.name, embedding_function=None)
            meta = dict(fresh.metadata or {})
            meta.update(updates)
            fresh.modify(metadata=meta)

    @property
    def seeded(self) -> bool:
        return bool(self._store_meta().get("seeded"))

    def mark_seeded(self) -> None:
        self._update_store_meta(seeded=True)

    def revision(self) -> str:
        """A token that changes whenever any process changes the store's content."""
        return str(self._store_meta().get("revision", ""))

    def _bump_revision(self) -> None:
        self._update_store_meta(revision=uuid.uuid4().hex)

    # -- ArticleSink ---------------------------------------------------------------------
    def versions(self, article_ids: list[str]) -> dict[str, str]:
        if not article_ids:
            return {}
        with _guard(self.config):
            got = self.articles.get(ids=list(dict.fromkeys(article_ids)), include=["metadatas"])
        return {i: str(m.get("version", "")) for i, m in zip(got["ids"], got["metadatas"])}

    def write(self, batch: list[tuple[Article, list[Chunk], str]]) -> list[tuple[str, Exception]]:
        """Embed every chunk and sentence of the batch at once, then store the batch in a few
        bulk calls; if that fails, article by article, so one bad article fails alone."""
        sentences = [article_sentences(article) for article, _, _ in batch]
        texts = [c.text for _, chunks, _ in batch for c in chunks]
        texts += [article.text[s:e] for (article, _, _), spans in zip(batch, sentences) for s, e in spans]
        vectors = self.embedder.embed_passages(texts)
        items: list[_Pending] = []
        chunk_offset, sentence_offset = 0, sum(len(chunks) for _, chunks, _ in batch)
        for (article, chunks, version), spans in zip(batch, sentences):
            items.append(_Pending(article, chunks, version, vectors[chunk_offset : chunk_offset + len(chunks)],
                                  spans, vectors[sentence_offset : sentence_offset + len(spans)]))
            chunk_offset += len(chunks)
            sentence_offset += len(spans)
        failures: list[tuple[str, Exception]] = []
        try:
            with self._lock, _guard(self.config):
                self._write_many(items)
        except StoreUnavailable:
            raise
        except Exception:  # noqa: BLE001 - retried one by one below, to name the culprit
            for item in items:
                try:
                    with self._lock, _guard(self.config):
                        self._write_many([item])
                except StoreUnavailable:
                    raise
                except Exception as err:  # noqa: BLE001 - reported per article, the batch goes on
                    failures.append((item.article.id, err))
        self._bump_revision()
        return failures

    def _write_many(self, items: list[_Pending]) -> None:
        """Journal entries, then chunks and sentences, then the article records (the commit
        markers), then the journal entries go: a crash anywhere leaves entries that
        :meth:`recover` resolves."""
        ids = [item.article.id for item in items]
        existing = set(self.articles.get(ids=ids, include=[])["ids"])
        step = max(1, self.client.get_max_batch_size())
        now = time.time()
        self._journal_begin([(item.article.id, item.version) for item in items], now)
        chunk_rows = [(c, item, i) for item in items for i, c in enumerate(item.chunks)]
        for start in range(0, len(chunk_rows), step):
            part = chunk_rows[start : start + step]
            self.chunks.upsert(
                ids=[c.id for c, _, _ in part],
                embeddings=[item.chunk_vectors[i] for _, item, i in part],
                documents=[c.text for c, _, _ in part],
                metadatas=[
                    _clean_meta({"article_id": item.article.id, "title": item.article.title, "chunk_index": c.index,
                                 "start": c.start, "end": c.end, "page": c.page, "version": item.version})
                    for c, item, _ in part
                ],
            )
        sentence_rows = [(span, item, i) for item in items for i, span in enumerate(item.spans)]
        for start in range(0, len(sentence_rows), step):
            part = sentence_rows[start : start + step]
            self.sentences.upsert(
                ids=[f"{item.article.id}:s{i:05d}" for _, item, i in part],
                embeddings=[item.sentence_vectors[i] for _, item, i in part],
                metadatas=[{"article_id": item.article.id, "sentence_index": i, "start": s, "end": e,
                            "version": item.version} for (s, e), item, i in part],
            )
        for item in items:
            if item.article.id in existing:
                # Chunks and sentences beyond the new counts belong to an older, longer version.
                aid = item.article.id
                self.chunks.delete(where={"$and": [{"article_id": aid}, {"chunk_index": {"$gte": len(item.chunks)}}]})
                self.sentences.delete(where={"$and": [{"article_id": aid}, {"sentence_index": {"$gte": len(item.spans)}}]})
        self.articles.upsert(
            ids=ids,
            embeddings=[_ARTICLE_PLACEHOLDER_VECTOR] * len(items),
            documents=[item.article.text for item in items],
            metadatas=[self._article_meta(item.article, len(item.chunks), item.version, now) for item in items],
        )
        self.journal.delete(ids=ids)

    @staticmethod
    def _article_meta(article: Article, n_chunks: int, version: str, now: float) -> dict[str, Any]:
        return _clean_meta(
            {
                "title": article.title,
                "source": article.source,
                "format": article.format,
                "url": article.url,
                "published": article.published,
                "pages": json.dumps([[p.page, p.start, p.end] for p in article.pages]) if article.pages else None,
                "chunks": n_chunks,
                "version": version,
                "ingested_at": now,
            }
        )

    def remove_other_articles_from_source(self, source: str, keep_id: str) -> int:
        with _guard(self.config):
            got = self.articles.get(where={"source": source}, include=[])
        stale = [i for i in got["ids"] if i != keep_id]
        for article_id in stale:
            self.remove(article_id)
        return len(stale)

    # -- crash recovery ----------------------------------------------------------------------
    def _journal_begin(self, articles: list[tuple[str, str]], now: float) -> None:
        """Open a journal entry per ``(article id, version)`` about to be written."""
        self.journal.upsert(
            ids=[article_id for article_id, _ in articles],
            embeddings=[_ARTICLE_PLACEHOLDER_VECTOR] * len(articles),
            metadatas=[{"version": version, "pid": os.getpid(), "host": socket.gethostname(), "started": now}
                       for _, version in articles],
        )

    def _abandoned(self, meta: dict[str, Any], stale_after: float) -> bool:
        """An entry whose writer is gone: in embedded mode every entry (we hold the only lock);
        on a server, a dead process of this host, or any entry older than ``stale_after`` s."""
        if not self.config.is_server:
            return True
        if meta.get("host") == socket.gethostname():
            try:
                os.kill(int(meta.get("pid", 0)), 0)
            except ProcessLookupError:
                return True
            except (PermissionError, ValueError):
                pass
        return time.time() - float(meta.get("started", 0.0)) > stale_after

    def recover(self, options: ChunkingOptions, stale_after: float = 3600.0) -> list[str]:
        """Finish writes that a killed process left half done; returns the article ids repaired."""
        with self._lock, _guard(self.config):
            got = self.journal.get(include=["metadatas"])
        repaired = []
        for article_id, meta in zip(got["ids"], got["metadatas"]):
            meta = meta or {}
            if not self._abandoned(meta, stale_after):
                continue
            with self._lock, _guard(self.config):
                committed = self.versions([article_id]).get(article_id)
                if committed != meta.get("version"):
                    # Its chunks are partly written (or partly overwritten): drop them all, then
                    # rebuild the article that was there before, if any, from its stored text.
                    self.chunks.delete(where={"article_id": article_id})
                    self.sentences.delete(where={"article_id": article_id})
                    previous = self.load_article(article_id) if committed is not None else None
                    if previous is not None:
                        # Not committed until rebuilt: a crash during the rebuild is seen as one.
                        record, _ = self._article_record(article_id)
                        self.articles.update(ids=[article_id], metadatas=[{**record, "version": "repairing"}])
                repaired.append(article_id)
            if committed != meta.get("version") and previous is not None:
                chunks = chunk_article(previous, options)
                self._write_checked([(previous, chunks, chunking_version(previous, options))])
            with _guard(self.config):
                self.journal.delete(ids=[article_id])
        if repaired:
            self._bump_revision()
        return repaired

    # -- reading and removing ---------------------------------------------------------------
    @staticmethod
    def _info(article_id: str, meta: dict[str, Any]) -> ArticleInfo:
        return ArticleInfo(
            id=article_id,
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            format=str(meta.get("format", "")),
            url=meta.get("url"),
            published=meta.get("published"),
            chunks=int(meta.get("chunks", 0)),
            version=str(meta.get("version", "")),
            ingested_at=float(meta.get("ingested_at", 0.0)),
        )

    def list_articles(self) -> list[ArticleInfo]:
        with _guard(self.config):
            got = self.articles.get(include=["metadatas"])
        infos = [self._info(i, m or {}) for i, m in zip(got["ids"], got["metadatas"])]
        return sorted(infos, key=lambda a: (a.title, a.id))

    def _article_record(self, article_id: str) -> tuple[dict[str, Any], str] | None:
        with _guard(self.config):
            got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return got["metadatas"][0] or {}, got["documents"][0]

    def get_article(self, article_id: str) -> tuple[ArticleInfo, str] | None:
        """An article's metadata and full original text (what chunk offsets point into)."""
        record = self._article_record(article_id)
        if record is None:
            return None
        meta, text = record
        return self._info(article_id, meta), text

    def load_article(self, article_id: str) -> Article | None:
        record = self._article_record(article_id)
        if record is None:
            return None
        meta, text = record
        info = self._info(article_id, meta)
        pages = [PageSpan(*p) for p in json.loads(meta["pages"])] if meta.get("pages") else []
        return Article(id=info.id, title=info.title, text=text, source=info.source, format=info.format,
                       url=info.url, published=info.published, pages=pages)

    def remove(self, article_id: str) -> bool:
        """Delete an article and all its chunks; False if it was not there."""
        with self._lock, _guard(self.config):
            exists = bool(self.articles.get(ids=[article_id], include=[])["ids"])
            self.chunks.delete(where={"article_id": article_id})
            self.sentences.delete(where={"article_id": article_id})
            if exists:
                self.articles.delete(ids=[article_id])
            self._bump_revision()
        return exists

    def count_articles(self) -> int:
        with _guard(self.config):
            return self.articles.count()

    def count_chunks(self) -> int:
        with _guard(self.config):
            return self.chunks.count()

    def chunk_ids(self) -> list[str]:
        """Every stored chunk id (ids only: ten times cheaper to read than metadata)."""
        with _guard(self.config):
            return list(self.chunks.get(include=[])["ids"])

    def article_versions(self) -> dict[str, str]:
        """``article id -> content version`` of every committed article."""
        with _guard(self.config):
            got = self.articles.get(include=["metadatas"])
        return {i: str((m or {}).get("version", "")) for i, m in zip(got["ids"], got["metadatas"])}

    def get_chunks(self, chunk_ids: list[str], page_size: int = 2000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(id, text, metadata)`` of the given chunks (missing ones are skipped)."""
        for start in range(0, len(chunk_ids), page_size):
            with _guard(self.config):
                got = self.chunks.get(ids=chunk_ids[start : start + page_size], include=["documents", "metadatas"])
            yield from zip(got["ids"], got["documents"], got["metadatas"])

    def iter_chunks(self, page_size: int = 2000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every stored chunk as ``(id, text, metadata)``, in pages."""
        offset = 0
        while True:
            with _guard(self.config):
                got = self.chunks.get(include=["documents", "metadatas"], limit=page_size, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"], got["metadatas"])
            offset += len(got["ids"])

    # -- search ---------------------------------------------------------------------------
    def search(self, query: str, k: int = 5) -> list[Passage]:
        """Dense (embedding) search: the ``k`` chunks nearest to ``query``."""
        vector = self.embedder.embed_queries([query])[0]
        return self.search_vector(vector, k)

    def search_sentences(self, vector, n: int) -> list[tuple[str, int, int, float]]:
        """The ``n`` sentences nearest to ``vector``: ``(article id, start, end, similarity)``."""
        with _guard(self.config):
            n = min(n, self.sentences.count())
            if n <= 0:
                return []
            got = self.sentences.query(query_embeddings=[vector], n_results=n, include=["metadatas", "distances"])
        return [
            (str(m["article_id"]), int(m["start"]), int(m["end"]), 1.0 - float(d))
            for m, d in zip(got["metadatas"][0], got["distances"][0])
        ]

    def sentence_vectors(self, article_ids: list[str]) -> list[tuple[str, int, int, Any]]:
        """Every stored sentence of these articles: ``(article id, start, end, vector)``."""
        if not article_ids:
            return []
        with _guard(self.config):
            got = self.sentences.get(where={"article_id": {"$in": list(article_ids)}}, include=["metadatas", "embeddings"])
        return [(str(m["article_id"]), int(m["start"]), int(m["end"]), e)
                for m, e in zip(got["metadatas"], got["embeddings"])]

    def search_vector(self, vector, k: int) -> list[Passage]:
        with _guard(self.config):
            n = min(k, self.chunks.count())
            if n <= 0:
                return []
            got = self.chunks.query(query_embeddings=[vector], n_results=n, include=["documents", "metadatas", "distances"])
        passages = []
        for cid, text, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
            score = 1.0 - float(dist)
            passages.append(passage_from_record(cid, text, meta, score, {"dense": score}))
        return passages

    # -- re-embedding -----------------------------------------------------------------------
    def reindex(self, options: ChunkingOptions, batch_chunks: int = 64, progress=None) -> tuple[int, int]:
        """Drop every chunk and re-embed all articles with the configured embedder.

        The article records (with their full text) stay, so no source file is needed.
        Returns ``(articles, chunks)``.
        """
        ids = [a.id for a in self.list_articles()]
        with self._lock, _guard(self.config):
            self.client.delete_collection(self.chunks.name)
            self.client.delete_collection(self.sentences.name)
            # Every chunk is rebuilt from the stored articles, so no half-done write matters now.
            pending = self.journal.get(include=[])["ids"]
            if pending:
                self.journal.delete(ids=pending)
            self.chunks = self._collection(f"{self.config.collection}_chunks", self._identity(), space="cosine")
            self.sentences = self._collection(f"{self.config.collection}_sentences", self._identity(), space="cosine")
        n_chunks = 0
        batch: list[tuple[Article, list[Chunk], str]] = []
        for article_id in ids:
            article = self.load_article(article_id)
            if article is None:
                continue
            chunks = chunk_article(article, options)
            batch.append((article, chunks, chunking_version(article, options)))
            n_chunks += len(chunks)
            if sum(len(c) for _, c, _ in batch) >= batch_chunks:
                self._write_checked(batch)
                batch = []
            if progress:
                progress(1)
        if batch:
            self._write_checked(batch)
        self._bump_revision()
        return len(ids), n_chunks

    def _write_checked(self, batch: list[tuple[Article, list[Chunk], str]]) -> None:
        failures = self.write(batch)
        if failures:
            article_id, err = failures[0]
            raise StoreError(f"re-indexing failed on article {article_id}: {err}")


def passage_from_record(chunk_id: str, text: str, meta: dict[str, Any], score: float, scores: dict[str, float]) -> Passage:
    page = meta.get("page")
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        title=str(meta.get("title", "")),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        page=int(page) if page is not None else None,
        chunk_index=int(meta.get("chunk_index", 0)),
        score=score,
        scores=scores,
    )
