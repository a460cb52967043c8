"""``Assistant``: the public Python API. The CLI and the UI are thin shells over it."""
from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from ingest import Article, IngestReport, content_id, ingest_articles, ingest_paths, seed_path
from vectorstore import ArticleInfo, ArticleStore, IsnadEmbeddings, Passage, make_embedder
from vectorstore.hybrid import HybridRetriever

from .answer import Answer
from .extractive import ExtractiveAnswerer
from .settings import Settings

History = list[tuple[str, str]]


class Assistant:
    """Question answering over the articles in one store.

    >>> bot = Assistant()                      # settings from ISNAD_* environment variables
    >>> bot.ask("من ترأس الحوار؟").text

    The store opens on first use. If it holds no article and has never been seeded, the
    bundled seed article is ingested first, so a fresh install answers at once (set
    ``ISNAD_SEED=0`` to start empty).
    """

    def __init__(self, settings: Settings | None = None, *, embedder: IsnadEmbeddings | None = None):
        self.settings = settings or Settings.from_env()
        self._embedder = embedder
        self._store: ArticleStore | None = None
        self._retriever: HybridRetriever | None = None
        self._lock = threading.Lock()

    # -- wiring -------------------------------------------------------------------------
    @property
    def embedder(self) -> IsnadEmbeddings:
        if self._embedder is None:
            self._embedder = make_embedder(
                self.settings.embedder,
                query_prompt=self.settings.st_query_prompt,
                passage_prompt=self.settings.st_passage_prompt,
            )
        return self._embedder

    @property
    def store(self) -> ArticleStore:
        with self._lock:
            if self._store is None:
                self._store = ArticleStore(self.settings.store, self.embedder)
                if self.settings.seed:
                    self._seed(self._store)
            return self._store

    def open_store_for_reindex(self) -> ArticleStore:
        """The store without the embedder check (re-indexing is how a mismatch is fixed)."""
        return ArticleStore(self.settings.store, self.embedder, check_embedder=False)

    def _seed(self, store: ArticleStore) -> None:
        if store.seeded:
            return
        if store.count_articles() == 0:
            report = ingest_paths([seed_path()], store, self.settings.chunking, progress=False)
            if not report.ok:
                raise RuntimeError(f"could not ingest the bundled seed article: {report.errors[0]}")
        store.mark_seeded()

    @property
    def retriever(self) -> HybridRetriever:
        store = self.store
        with self._lock:
            if self._retriever is None or self._retriever.store is not store:
                self._retriever = HybridRetriever(store)
            return self._retriever

    @property
    def answerer(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer(embed_query=self.embedder.embed_queries, embed_passages=self.embedder.embed_passages)

    def answer_from(self, question: str, passages: list[Passage]) -> Answer:
        return self.answerer.answer(question, passages)

    # -- articles -----------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], *, progress: bool | None = None) -> IngestReport:
        """Ingest files and folders (recursively). Bad files are listed in ``report.errors``."""
        return ingest_paths(
            paths, self.store, self.settings.chunking, max_file_bytes=self.settings.max_file_bytes, progress=progress
        )

    def ingest_text(self, text: str, title: str, *, article_id: str | None = None, url: str | None = None,
                    published: str | None = None) -> IngestReport:
        """Ingest one article given as text (pasted, or from another program)."""
        text = text.replace("\r\n", "\n").strip()
        if not text:
            raise ValueError("the article text is empty")
        article = Article(id=article_id or content_id(text), title=title.strip() or "untitled", text=text,
                          source="", format="text", url=url, published=published)
        return ingest_articles([article], self.store, self.settings.chunking)

    def list_articles(self) -> list[ArticleInfo]:
        return self.store.list_articles()

    def get_article(self, article_id: str) -> tuple[ArticleInfo, str] | None:
        return self.store.get_article(article_id)

    def remove(self, article_id: str) -> bool:
        return self.store.remove(article_id)

    def reindex(self, progress=None) -> tuple[int, int]:
        store = self.open_store_for_reindex()
        result = store.reindex(self.settings.chunking, progress=progress)
        with self._lock:
            self._store = store
        return result

    # -- questions ----------------------------------------------------------------------
    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        question = _clean_question(question)
        return self.retriever.search(question, k or self.settings.top_k)

    def ask(self, question: str, history: History | None = None, k: int | None = None) -> Answer:
        question = _clean_question(question)
        passages = self.retriever.search(question, k or self.settings.top_k)
        return self.answer_from(question, passages)


def _clean_question(question: str) -> str:
    if not isinstance(question, str):
        raise TypeError("the question must be a string")
    question = " ".join(question.split())
    if not question:
        raise ValueError("the question is empty")
    return question
