"""The Chroma-backed article store: embedded (``PersistentClient``) or a server (``HttpClient``).
It stores and reads; it never chunks or embeds (``vectorstore/indexing.py`` does, above it).

Collections (their records: ``vectorstore/schema.py``): ``<name>_articles`` (each article's
full text: what citations and re-indexing read), ``<name>_chunks`` and ``<name>_sentences``
(with their vectors; their metadata names the embedder that built them), ``<name>_journal``.
An article's record is written *after* its chunks and sentences, so it doubles as the commit
marker: a crash mid-write leaves a journal entry and a version mismatch that recovery repairs,
never a listed article with missing chunks.

Its reading half (articles, chunks, the dense searches) is ``vectorstore/store_reading.py``.
An embedded store has one writer process at a time (``vectorstore/locking.py``). Chroma is
never given an embedding function: every vector comes from our embedder, so Chroma can never
fall back to its own default one (which would download a model).
"""
from __future__ import annotations

import contextlib
import time

import logging
import threading
import uuid
from typing import Any, Protocol

import chromadb
from chromadb.errors import ChromaError, NotFoundError

from .catalog import catalog_path, catalog_revision, read_catalog, write_catalog
from .writing import IndexedArticle, write_records
from .connection import EmbedderMismatch, StoreConfig, StoreError, StoreLocked, StoreUnavailable, guard, open_client
from .journal import Journal
from .locking import acquire_writer_lock, release_writer_lock
from .store_reading import StoreReading

log = logging.getLogger(__name__)
# The journal version of an article being deleted (vectorstore.indexing.Indexer.recover).
DELETING = "deleting"
# The record version of an article whose vectors a re-index dropped and has not rebuilt yet.
REINDEXING = "reindexing"

__all__ = ["ArticleStore", "EmbedderMismatch", "IndexedArticle", "StoreConfig", "StoreError", "StoreLocked",
           "StoreUnavailable", "open_client"]


class EmbedderIdentity(Protocol):
    """What the store records of the embedder that made its vectors."""

    name: str
    dimension: int


class StoreFlags:
    """Store-wide flags, kept in the articles collection's metadata. Always read afresh:
    another process may have changed them since this one opened the collection."""

    def __init__(self, client: chromadb.ClientAPI, collection: str, config: StoreConfig):
        self.client, self.collection, self.config = client, collection, config

    def _read(self) -> dict[str, Any]:
        with guard(self.config):
            return dict(self.client.get_collection(self.collection, embedding_function=None).metadata or {})

    def _update(self, **updates: Any) -> None:
        with guard(self.config):
            fresh = self.client.get_collection(self.collection, embedding_function=None)
            fresh.modify(metadata={**(fresh.metadata or {}), **updates})

    @property
    def seeded(self) -> bool:
        return bool(self._read().get("seeded"))

    def mark_seeded(self) -> None:
        self._update(seeded=True)

    @property
    def reindexing(self) -> bool:
        """A re-index was started and has not finished (its process may have been killed)."""
        return bool(self._read().get("reindexing"))

    def set_reindexing(self, value: bool) -> None:
        self._update(reindexing=value)

    def revision(self) -> str:
        """A token that changes whenever any process changes the store's content."""
        return str(self._read().get("revision", ""))

    def bump_revision(self) -> str:
        """Tell every process (their lexical indexes) that the content changed; the new token."""
        revision = uuid.uuid4().hex
        self._update(revision=revision)
        return revision


class ArticleStore(StoreReading):
    """Articles, their chunks and sentences, with precomputed vectors, in Chroma."""

    def __init__(self, config: StoreConfig, embedder: EmbedderIdentity, *, client: chromadb.ClientAPI | None = None,
                 check_embedder: bool = True):
        self.config = config
        self.identity = (embedder.name, embedder.dimension)
        self._lock = threading.RLock()
        self._writer_lock: str | None = None
        self._facets_read: tuple[str, tuple] | None = None  # (revision, (outlets, days, shared stories)): StoreReading._facets
        # Inside a long ingest (:meth:`long_write`) the article list is rewritten at most this
        # often, not after every batch: at 30,000 articles each rewrite reads and writes them all.
        self._catalog_every: float | None = None
        self._catalog_written = 0.0
        self._catalog_due = False
        if not config.is_server:
            config.folder.mkdir(parents=True, exist_ok=True)
            self._writer_lock = acquire_writer_lock(config.folder)
        try:
            self.client = client or open_client(config)
            with guard(config):
                self.articles = self._collection(f"{config.collection}_articles", {"kind": "articles"}, space="l2")
                self.chunks = self._collection(f"{config.collection}_chunks", self._identity(), space="cosine")
                self.sentences = self._collection(f"{config.collection}_sentences", self._identity(), space="cosine")
                self.journal = Journal(self._collection(f"{config.collection}_journal", {"kind": "journal"}, space="l2"),
                                       shared=config.is_server)
            self.flags = StoreFlags(self.client, self.articles.name, config)
            if check_embedder:
                self.check_embedder()
            if not config.is_server and self._catalog_stale(revision := self.flags.revision()):
                self._write_catalog(revision)
        except BaseException:
            self.close()
            raise

    def _catalog_stale(self, revision: str) -> bool:
        """The article list beside the store is not the store's: older than its content (a crash
        between the two writes), or a write whose revision could not be recorded (a full disk)."""
        if catalog_revision(self.config.folder) != revision:
            return True
        listed = read_catalog(self.config.folder)
        return listed is None or len(listed) != self.count_articles()

    def close(self) -> None:
        """Let another process open this embedded store (a no-op for a server)."""
        if self._writer_lock is not None:
            release_writer_lock(self._writer_lock)
            self._writer_lock = None

    # -- collections --------------------------------------------------------------------------
    def _identity(self) -> dict[str, Any]:
        name, dimension = self.identity
        return {"kind": "chunks", "embedder": name, "dimension": dimension}

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
        (name, dim), (wanted, wanted_dim) = self.built_with(), self.identity
        if (name, dim) != (wanted, wanted_dim):
            raise EmbedderMismatch(
                f"the store ({self.config.describe()}) was built with embedder '{name}' (dimension {dim}), "
                f"but isnad is configured with '{wanted}' (dimension {wanted_dim}). "
                f"Run `isnad reindex` to re-embed every article with '{wanted}', "
                f"or set ISNAD_EMBEDDER={name} to keep using the store as it is."
            )

    def drop_vectors(self) -> None:
        """Delete every chunk and sentence (and the journal: nothing half-written matters
        then); the collections come back empty, recorded as built by this store's embedder."""
        with self._lock, guard(self.config):
            self.client.delete_collection(self.chunks.name)
            self.client.delete_collection(self.sentences.name)
            self.journal.clear()
            self.chunks = self._collection(f"{self.config.collection}_chunks", self._identity(), space="cosine")
            self.sentences = self._collection(f"{self.config.collection}_sentences", self._identity(), space="cosine")

    # -- writing ------------------------------------------------------------------------------
    def versions(self, article_ids: list[str]) -> dict[str, str]:
        if not article_ids:
            return {}
        with guard(self.config):
            got = self.articles.get(ids=list(dict.fromkeys(article_ids)), include=["metadatas"])
        return {i: str(m.get("version", "")) for i, m in zip(got["ids"], got["metadatas"])}

    def write(self, items: list[IndexedArticle]) -> list[tuple[str, Exception]]:
        """Store the articles in a few bulk calls; if that fails, article by article, so one bad
        article fails alone. Returns ``(article id, error)`` of those that failed."""
        failures: list[tuple[str, Exception]] = []
        try:
            with self._lock, guard(self.config):
                self._write_many(items)
        except StoreUnavailable:
            raise
        except Exception:  # noqa: BLE001 - retried one by one below, to name the culprit
            for item in items:
                try:
                    with self._lock, guard(self.config):
                        self._write_many([item])
                except StoreUnavailable:
                    raise
                except Exception as err:  # noqa: BLE001 - reported per article, the batch goes on
                    if not self._landed(item):
                        failures.append((item.article.id, err))
        self.content_changed()
        return failures

    def _landed(self, item: IndexedArticle) -> bool:
        """Whether a write that raised still committed the article (its record, the last thing
        written, holds the new version): then only the journal's cleanup failed, and the article
        is stored, complete, and must be reported so. Otherwise its journal entry stays, and
        recovery undoes the partial write."""
        try:
            with self._lock, guard(self.config):
                if self.versions([item.article.id]).get(item.article.id) != item.version:
                    return False
                self.journal.finish([item.article.id])
        except Exception:  # noqa: BLE001 - still failing (a full disk): recovery will tell
            return False
        return True

    def _write_many(self, items: list[IndexedArticle]) -> None:
        write_records(self.articles, self.chunks, self.sentences, self.journal, items,
                      max(1, self.client.get_max_batch_size()))

    def discard_vectors(self, article_id: str) -> None:
        """Delete an article's chunks and sentences, keeping its record (recovery, before a rebuild)."""
        with self._lock, guard(self.config):
            self.chunks.delete(where={"article_id": article_id})
            self.sentences.delete(where={"article_id": article_id})

    def mark_repairing(self, article_id: str) -> None:
        """Make an article's record uncommitted until it is rebuilt (a crash meanwhile is seen as one)."""
        with self._lock, guard(self.config):
            record = self._article_record(article_id)
            if record is not None:
                self.articles.update(ids=[article_id], metadatas=[{**record[0], "version": "repairing"}])

    def articles_from_source(self, source: str) -> list[str]:
        with guard(self.config):
            return list(self.articles.get(where={"source": source}, include=[])["ids"])

    def remove(self, article_id: str) -> bool:
        """Delete an article and all its chunks; False if it was not there.

        Journaled like a write: the entry first, then the record (so the article is unlisted at
        once), then its chunks and sentences, then the entry goes. A process killed in between
        leaves the entry, and recovery finishes the deletion."""
        with self._lock, guard(self.config):
            exists = bool(self.articles.get(ids=[article_id], include=[])["ids"])
            if exists:
                self.journal.begin([(article_id, DELETING)])
                self.articles.delete(ids=[article_id])
            self.discard_vectors(article_id)
            if exists:
                self.journal.finish([article_id])
            self.content_changed()
        return exists

    def mark_uncommitted(self, article_ids: list[str], version: str, page_size: int = 500) -> None:
        """Give these articles' records ``version`` (not a content version): until each is
        rebuilt, the store knows it is incomplete, and recovery rebuilds it."""
        for start in range(0, len(article_ids), page_size):
            page = article_ids[start : start + page_size]
            with self._lock, guard(self.config):
                got = self.articles.get(ids=page, include=["metadatas"])
                self.articles.update(ids=got["ids"], metadatas=[{**(m or {}), "version": version} for m in got["metadatas"]])

    @contextlib.contextmanager
    def long_write(self, every: float = 10.0):
        """Writes inside it rewrite the article list at most every ``every`` seconds (and once
        at the end): a whole archive's ingest would otherwise spend most of its time there.
        A process killed inside it leaves an older list, which the next opening rewrites."""
        self._catalog_every = every
        try:
            yield
        finally:
            self._catalog_every = None
            if self._catalog_due:
                self.content_changed()

    def content_changed(self) -> None:
        """Tell every process (their lexical indexes) that the content changed, and rewrite
        the embedded store's article list (``vectorstore/catalog.py``). The content is written
        already: if this fails (a full disk), the list is removed rather than left wrong, and
        the next opening of the store writes it again."""
        try:
            revision = self.flags.bump_revision()
            if not self.config.is_server:
                if self._catalog_every is not None and time.monotonic() - self._catalog_written < self._catalog_every:
                    self._catalog_due = True
                    return
                self._write_catalog(revision)
                self._catalog_written, self._catalog_due = time.monotonic(), False
        except StoreUnavailable:
            raise
        except Exception:  # noqa: BLE001 - the data is safe; only the list beside it is stale
            log.warning("could not record the store's new revision or article list", exc_info=True)
            if not self.config.is_server:
                catalog_path(self.config.folder).unlink(missing_ok=True)

    def _write_catalog(self, revision: str) -> None:
        write_catalog(self.config.folder, revision, self.list_articles())
