"""HTML news pages: the main article text via trafilatura, without menus, ads and footers."""
from __future__ import annotations

from pathlib import Path

import trafilatura

from ..article import Article, content_id
from ..errors import IngestError
from .base import LoadResult, decode_text


def load_html(path: Path, data: bytes) -> LoadResult:
    html = decode_text(path, data)
    if not html.strip():
        raise IngestError(path, "no text in the file (empty)")
    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = (doc.text or "").strip() if doc is not None else ""
    if not text:
        raise IngestError(path, "no article text found in the HTML page")
    title = (doc.title or "").strip() or path.stem
    # trafilatura repeats the headline as the first line of the text; the title holds it.
    first, _, rest = text.partition("\n")
    if first.strip() == title and rest.strip():
        text = rest.strip()
    article = Article(
        id=content_id(text),
        title=title,
        text=text,
        source=str(path),
        format="html",
        url=doc.url or None,
        published=doc.date or None,
    )
    return LoadResult([article])
