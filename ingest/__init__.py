"""Ingestion: load files of every supported format, normalise, chunk with exact offsets."""
from .lazy_exports import lazy_exports

_EXPORTS = {
    "Article": ".article",
    "PageSpan": ".article",
    "content_id": ".article",
    "Chunk": ".chunking",
    "ChunkingOptions": ".chunking",
    "chunk_article": ".chunking",
    "chunk_id": ".chunking",
    "split_sentences": ".chunking",
    "IngestError": ".errors",
    "normalize_arabic": ".normalize",
    "normalize_for_matching": ".normalize",
    "ArticleInfo": ".records",
    "Passage": ".records",
    "Provenance": ".records",
    "RecordFields": ".fields",
    "ReadOptions": ".fields",
    "SentenceSpan": ".records",
    "ArticleSink": ".pipeline",
    "IngestReport": ".pipeline",
    "ingest_articles": ".pipeline",
    "ingest_paths": ".pipeline",
    "load_file": ".pipeline",
    "supported_extensions": ".pipeline",
    "seed_path": ".seed",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
