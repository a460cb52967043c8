"""The hybrid retriever as a LangChain ``BaseRetriever``, for use in any LangChain chain."""
from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .hybrid import HybridRetriever


class IsnadRetriever(BaseRetriever):
    """``retriever.invoke("question")`` → Documents whose metadata carry article id, title,
    character offsets, page and the per-signal scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: HybridRetriever
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [
            Document(
                page_content=p.text,
                id=p.chunk_id,
                metadata={
                    "chunk_id": p.chunk_id,
                    "article_id": p.article_id,
                    "title": p.title,
                    "start": p.start,
                    "end": p.end,
                    "page": p.page,
                    "score": p.score,
                    "scores": dict(p.scores),
                },
            )
            for p in self.hybrid.search(query, self.k)
        ]
