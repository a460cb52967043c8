"""One loader per document format; :data:`LOADERS` maps a file extension to its loader.

A loader turns a file's bytes into :class:`~ingest.article.Article` objects. It raises
:class:`~ingest.errors.IngestError` for a file it cannot read at all, and reports a bad
record of a multi-record file in :attr:`LoadResult.errors` while keeping the good ones.
"""
from __future__ import annotations

from collections.abc import Callable

from .archive import load_zip
from .base import LoadResult
from .html import load_html
from .pdf import load_pdf
from .records import load_json, load_jsonl
from .text import load_markdown, load_text

# (path, bytes, budget, reading options) -> LoadResult
Loader = Callable[..., LoadResult]

LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".json": load_json,
    ".jsonl": load_jsonl,
    ".zip": load_zip,
}

__all__ = ["LOADERS", "LoadResult", "Loader"]
