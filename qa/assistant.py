"""``Assistant``: the public Python API. The terminal, the page, the HTTP API and the widget
are interfaces over it (``ui/``).

It wires the parts (store, embedder, retriever, answerers) on first use and hands questions to
the one :class:`qa.pipeline.Pipeline` (condense → retrieve → answer); articles go in through
the ingest pipeline, uploads through ``qa.uploads``.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable

from ingest import IngestReport, Provenance, ingest_articles, ingest_paths, seed_path
from ingest.article import given_article
from ingest.fields import PLAIN_READING, ReadOptions
from ingest.progress import say
from vectorstore import ArticleInfo, ArticleStore, Indexer, IsnadEmbeddings, Passage, make_embedder
from vectorstore.filters import Filters
from vectorstore.hybrid import HybridRetriever
from vectorstore.lexical import LexicalIndex

from .answer import Answer
from .extractive import Calibration, ExtractiveAnswerer
from .llm import chat_model_from_settings
from .disk import DataDirDisk
from .pipeline import Pipeline, pipeline_runnable
from .question import History, Question, check_k
from .settings import Settings
from .jobs import pending_upload_paths
from .uploads import UPLOADS, discard_upload, save_upload, sweep_uploads

log = logging.getLogger(__name__)


class Assistant:
    """Question answering over the articles in one store.

    >>> bot = Assistant()                      # settings from ISNAD_* environment variables
    >>> bot.ask("من ترأس الحوار؟").text

    The store opens on first use. If it holds no article and has never been seeded, the
    bundled seed article is ingested first, so a fresh install answers at once (set
    ``ISNAD_SEED=0`` to start empty).
    """

    def __init__(self, settings: Settings | None = None, *, embedder: IsnadEmbeddings | None = None,
                 chat_model: Any = None):
        self.settings = settings or Settings.from_env()
        self._embedder = embedder
        self._chat_model = chat_model
        self._store: ArticleStore | None = None
        self._retriever: HybridRetriever | None = None
        self._calibration: Calibration | None = None
        self._lock = threading.RLock()
        self.pipeline = Pipeline(self)
        # The data dir's disk: free space and the uploads quota, checked before writes.
        self.disk = DataDirDisk(self.settings)

    # -- wiring -------------------------------------------------------------------------
    @property
    def embedder(self) -> IsnadEmbeddings:
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(
                    self.settings.embedder,
                    query_prompt=self.settings.st_query_prompt,
                    passage_prompt=self.settings.st_passage_prompt,
                    cache_dir=self.settings.model_dir,
                )
            return self._embedder

    @property
    def store(self) -> ArticleStore:
        with self._lock:
            if self._store is None:
                with self.disk.says_why("cannot open the store"):
                    store = ArticleStore(self.settings.store, self.embedder)
                try:
                    if not store.config.is_server:
                        # This process holds the only lock: any journal entry is a killed writer's.
                        Indexer(store, self.embedder).recover(self.settings.chunking)
                    if self.settings.seed:
                        self._seed(store)
                except BaseException:
                    store.close()
                    raise
                self._store = store
            return self._store

    @property
    def indexer(self) -> Indexer:
        """Where ingestion writes: chunks and sentences embedded, then stored."""
        return Indexer(self.store, self.embedder)

    def close(self) -> None:
        """Release the store (an embedded store's lock goes with it); the next use reopens it."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None
            self._retriever = None

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def retriever(self) -> HybridRetriever:
        store = self.store
        with self._lock:
            if self._retriever is None or self._retriever.store is not store:
                self._retriever = HybridRetriever(store, self.embedder, LexicalIndex(cache_path=self.settings.lexical_cache))
            return self._retriever

    @property
    def chat_model(self):
        """The LangChain chat model of the LLM answerer (None in extractive mode)."""
        with self._lock:
            if self._chat_model is None and self.settings.answerer == "llm":
                self._chat_model = chat_model_from_settings(self.settings)
            return self._chat_model

    @property
    def calibration(self) -> Calibration:
        """The extractive answerer's models: ``ISNAD_CALIBRATION`` if set, else the bundled ones."""
        with self._lock:
            if self._calibration is None:
                self._calibration = Calibration.configured(self.settings.calibration)
            return self._calibration

    @property
    def extractive(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer(self.calibration, idf=self.retriever.lexical.idf)

    def _seed(self, store: ArticleStore) -> None:
        if store.flags.seeded:
            return
        if store.count_articles() == 0:
            say("adding the bundled seed article to the empty store")
            report = ingest_paths([seed_path()], Indexer(store, self.embedder), self.settings.chunking, progress=False)
            if not report.ok:
                raise RuntimeError(f"could not ingest the bundled seed article: {report.errors[0]}")
        store.flags.mark_seeded()

    # -- articles -----------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], *, progress: bool | None = None,
               reading: ReadOptions = PLAIN_READING) -> IngestReport:
        """Ingest files, folders (recursively) and ``.zip`` archives. Bad files are listed in
        ``report.errors``. ``reading``: the records' field names and the outlet of articles
        whose file does not say (``ReadOptions.of(fields="text=content", outlet="Okaz")``)."""
        return ingest_paths(paths, self.indexer, self.settings.chunking, max_file_bytes=self.settings.max_file_bytes,
                            progress=progress, reading=reading)

    def ingest_text(self, text: str, title: str, *, article_id: str | None = None,
                    provenance: Provenance | None = None, max_article_chars: int | None = None,
                    on_chunks: Callable[[int], None] | None = None, protect_ids: bool = False) -> IngestReport:
        """Ingest one article given as text (pasted, or from another program), with its outlet,
        date (any full date; stored as ISO 8601), author and address when known. ``protect_ids``:
        refuse it when its id is another stored article's (the page's pasted texts)."""
        article = given_article(text, title, article_id, provenance)
        return ingest_articles([article], self.indexer, self.settings.chunking, max_article_chars=max_article_chars,
                               on_chunks=on_chunks, protect_ids=protect_ids)

    def store_upload(self, name: str, chunks: Iterable[bytes]) -> Path:
        """Keep an uploaded file in a folder of its own under ``data_dir/uploads``. Raises
        :class:`qa.uploads.UploadRefused` (a ``ValueError``) for a refused upload."""
        self.disk.check()
        return save_upload(self.uploads_dir, name, chunks, self.settings.max_file_bytes, room=self.disk.upload_room)

    def ingest_stored_upload(self, path: Path, *, replace: str | None = None,
                             on_chunks: Callable[[int], None] | None = None,
                             reading: ReadOptions = PLAIN_READING) -> IngestReport:
        """Ingest a file kept by :meth:`store_upload`, with the uploads' article size limit.
        Records that fail are in ``report.errors``; the good ones are stored. A file from which
        nothing new was stored is deleted (no article refers to it); ``replace`` names an article
        to remove once the new one is stored."""
        report = ingest_paths([path], self.indexer, self.settings.chunking, max_file_bytes=self.settings.max_file_bytes,
                              progress=False, max_article_chars=self.settings.max_article_chars, on_chunks=on_chunks,
                              budget=self.settings.upload_budget, protect_ids=True, may_replace=replace,
                              reading=reading)
        if not report.written:
            discard_upload(path)
        elif replace is not None and replace not in report.article_ids and self.remove(replace):
            report.replaced += 1
        return report

    @property
    def uploads_dir(self) -> Path:
        return self.settings.data_dir / UPLOADS

    def sweep_uploads(self, scratch: Iterable[Path] = ()) -> list[Path]:
        """Remove upload files that no article refers to (left by a process killed mid-upload),
        and everything in the ``scratch`` folders (files a previous run received but never
        ingested). On a Chroma server another app may be ingesting right now: young files stay."""
        older_than = 3600.0 if self.settings.chroma_host else 0.0
        referenced = {a.source for a in self.list_articles() if a.source} | pending_upload_paths(self.settings.data_dir)
        removed = sweep_uploads(self.uploads_dir, referenced, older_than=older_than)
        for folder in scratch:
            removed += sweep_uploads(folder, set(), older_than=older_than)
        return removed

    def list_articles(self) -> list[ArticleInfo]:
        return self.store.list_articles()

    def status(self) -> dict:
        """What this process serves from: the store, its counts, and the lexical index brought
        in step with it (``lexical_chunks == chunks`` when every write has been seen)."""
        store, retriever = self.store, self.retriever
        retriever.lexical.sync(store)
        trouble = self.disk.trouble()
        return {
            "status": "ok" if trouble is None else "disk_full",
            "disk_free_mb": int(self.disk.free_bytes() / 2**20),
            **({"detail": trouble} if trouble else {}),
            "store": store.config.describe(location=False),
            "articles": store.count_articles(),
            "chunks": store.count_chunks(),
            "lexical_chunks": len(retriever.lexical),
            "embedder": self.embedder.name,
            "answerer": "llm" if self.chat_model is not None else "extractive",
        }

    def get_article(self, article_id: str) -> tuple[ArticleInfo, str] | None:
        return self.store.get_article(article_id)

    def remove(self, article_id: str) -> bool:
        """Delete an article, its chunks and sentences, and its uploaded file (when it was an
        upload that no other article comes from)."""
        found = self.store.get_article(article_id)
        if not self.store.remove(article_id):
            return False
        source = found[0].source if found else ""
        if (source and Path(source).resolve().is_relative_to(self.uploads_dir.resolve())
                and not self.store.articles_from_source(source)):
            discard_upload(Path(source))
        return True

    def reindex(self, progress=None) -> tuple[int, int]:
        store = ArticleStore(self.settings.store, self.embedder, check_embedder=False)
        result = Indexer(store, self.embedder).reindex(self.settings.chunking, progress=progress)
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store, self._retriever = store, None
        return result

    # -- questions ----------------------------------------------------------------------
    def ask(self, question: str, history: History | None = None, k: int | None = None,
            filters: Filters | dict | None = None, as_of: str | date | None = None) -> Answer:
        """The answer to one question (after ``history``, earlier ``(question, answer)`` turns),
        from the articles ``filters`` admits (``Filters.of(outlets=["okaz"], since=...)`` or a
        dict; a bad one is an :class:`InvalidInput` naming it) and the days the question names,
        read against ``as_of`` (else ``ISNAD_AS_OF``, else today: ``Answer.period``)."""
        return self.pipeline.ask(Question.of(question, history, k, filters, as_of))

    def stream(self, question: str, history: History | None = None, k: int | None = None,
               filters: Filters | dict | None = None, as_of: str | date | None = None) -> Iterator[dict]:
        """Events: ``{"type": "sources", ...}`` first (every passage given to the answerer,
        numbered as the answer cites them), then ``{"type": "delta", "text": ...}`` pieces, then
        ``{"type": "answer", "answer": {...}}`` with the final text and the checked citations.
        ``filters`` and ``as_of`` as for :meth:`ask`."""
        for event in self.pipeline.run(Question.of(question, history, k, filters, as_of)):
            yield event.to_dict()

    def retrieve(self, question: str, k: int | None = None, filters: Filters | dict | None = None) -> list[Passage]:
        """Passages only (no condensing, no answer), with their per-signal scores, within ``filters``."""
        q = self.pipeline.within_store(Question.of(question, k=k, filters=filters))
        return self.pipeline.retrieve(q.text, q.k or self.settings.top_k, filters=q.filters)

    def outlets(self) -> list[str]:
        """Every outlet a stored article names: what a filter may name."""
        return self.store.outlets()

    def as_retriever(self, k: int | None = None):
        """The hybrid retriever as a LangChain ``BaseRetriever``."""
        from vectorstore.langchain_retriever import IsnadRetriever

        return IsnadRetriever(hybrid=self.retriever, k=check_k(k) or self.settings.top_k)

    def as_runnable(self) -> Runnable:
        """The pipeline's steps as a LangChain Runnable: ``{"question", "history"?, "k"?}`` → :class:`Answer`."""
        return pipeline_runnable(self.pipeline, self.settings.top_k)
