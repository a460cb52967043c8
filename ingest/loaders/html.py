"""HTML news pages: the main article text via trafilatura, without menus, ads and footers."""
from __future__ import annotations

import re
from pathlib import Path

from ..article import Article, content_id
from ..budget import LoadBudget
from ..dates import dateline_date, normalise_date
from ..errors import IngestError
from ..fields import PLAIN_READING, ReadOptions
from ..records import Provenance
from .base import LoadResult, decode_text


def load_html(path: Path, data: bytes, budget: LoadBudget = LoadBudget(), reading: ReadOptions = PLAIN_READING) -> LoadResult:
    html = decode_text(path, data)
    if not html.strip():
        raise IngestError(path, "no text in the file (empty)")
    # Every element opens with "<": an upper bound on what the parser would build, counted in
    # one pass before it runs.
    if (tags := html.count("<")) > budget.max_html_elements:
        raise IngestError(path, f"the page has too many HTML elements (about {tags:,}; the limit is "
                                f"{budget.max_html_elements:,}, ISNAD_MAX_HTML_ELEMENTS)")
    import trafilatura  # here, not at the top: listing the formats should not load it

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
    # ... and drops the byline, which says who wrote it, where and when: kept as written.
    byline = _byline(html, doc.author or "", title)
    if byline and byline not in text:
        text = f"{byline}\n{text}"
    article = Article(
        id=content_id(text),
        title=title,
        text=text,
        source=str(path),
        format="html",
        # og:site_name / publisher, og:article:published_time / the page's date, its author
        provenance=Provenance(outlet=" ".join((doc.sitename or "").split()) or None,
                              published=normalise_date(doc.date) or dateline_date(text),
                              author=" ".join((doc.author or "").split()) or None, url=doc.url or None),
    )
    return LoadResult([article])


_BYLINE_MARK = re.compile(r"byline|author|dateline|writer", re.IGNORECASE)
BYLINE_MAX_CHARS = 160


def _byline(html: str, author: str, title: str) -> str | None:
    """The page's byline as written ("By Sara El Idrissi, Fes — 24 May"): the element naming the
    author that trafilatura found, preferring one marked as a byline, else the longest short one
    that is not the headline's block."""
    from lxml import html as lxml_html

    name = author.split(";")[0].strip()
    if not name:
        return None
    try:
        root = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    marked, plain = [], []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "head", "title", "meta", "script", "style"):
            continue
        line = " ".join(element.text_content().split())
        if name not in line or len(line) > BYLINE_MAX_CHARS or (title and title in line):
            continue
        marks = " ".join(str(element.get(a, "")) for a in ("class", "rel", "itemprop", "id"))
        (marked if _BYLINE_MARK.search(marks) else plain).append(line)
    found = marked or plain
    return max(found, key=len) if found else None
