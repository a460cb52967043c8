"""Ingestion: load files of every supported format, normalise, chunk with exact offsets."""
from .article import Article, PageSpan, content_id
from .chunking import Chunk, ChunkingOptions, chunk_article, chunk_id, split_sentences
from .errors import IngestError
from .normalize import normalize_arabic, normalize_for_matching
from .records import ArticleInfo, Passage, SentenceSpan
from .pipeline import ArticleSink, IngestReport, ingest_articles, ingest_paths, load_file, supported_extensions
from .seed import seed_path

__all__ = [
    "Article",
    "ArticleInfo",
    "ArticleSink",
    "Chunk",
    "ChunkingOptions",
    "IngestError",
    "IngestReport",
    "PageSpan",
    "Passage",
    "SentenceSpan",
    "chunk_article",
    "chunk_id",
    "content_id",
    "ingest_articles",
    "ingest_paths",
    "load_file",
    "normalize_arabic",
    "normalize_for_matching",
    "seed_path",
    "split_sentences",
    "supported_extensions",
]
