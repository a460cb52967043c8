"""PDF via pypdf: text per page, page numbers kept so every chunk can cite its page."""
from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

from ..article import Article, PageSpan, content_id
from ..budget import LoadBudget
from ..dates import dateline_date, normalise_date
from ..errors import IngestError
from ..fields import PLAIN_READING, ReadOptions
from ..records import Provenance
from .base import MAX_TITLE_CHARS, LoadResult

PAGE_SEPARATOR = "\n\n"
# pypdf refuses one stream that inflates past 75 MB; many smaller ones could still cost minutes
# of parsing, so the page contents of one file may inflate to this much in total.
MAX_INFLATED_CONTENT = 200_000_000
_BOMB = "refused: this PDF's content inflates beyond the safety limit (a decompression bomb?)"


def _reader(path: Path, data: bytes) -> PdfReader:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError(path, "not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(path, "encrypted PDF: a password is required to read it")
        reader.pages[0]  # noqa: B018 - forces the page tree to parse now, not mid-extraction
    except IngestError:
        raise
    except LimitReachedError:
        raise IngestError(path, _BOMB) from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, IndexError, TypeError, OSError) as err:
        raise IngestError(path, f"unreadable PDF ({type(err).__name__}: {err})") from None
    return reader


def load_pdf(path: Path, data: bytes, budget: LoadBudget = LoadBudget(), reading: ReadOptions = PLAIN_READING) -> LoadResult:
    reader = _reader(path, data)
    try:
        n_pages = len(reader.pages)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as err:
        raise IngestError(path, f"unreadable PDF ({type(err).__name__}: {err})") from None
    if n_pages > budget.max_pdf_pages:
        raise IngestError(path, f"the PDF has too many pages ({n_pages:,}; the limit is {budget.max_pdf_pages:,}, "
                                "ISNAD_MAX_PDF_PAGES)")
    parts: list[str] = []
    pages: list[PageSpan] = []
    offset = 0
    try:
        inflated = 0
        for number, page in enumerate(reader.pages, start=1):
            contents = page.get_contents()
            inflated += len(contents.get_data()) if contents is not None else 0
            if inflated > MAX_INFLATED_CONTENT:
                raise IngestError(path, _BOMB)
            page_text = (page.extract_text() or "").strip()
            if not page_text:
                continue
            if parts:
                parts.append(PAGE_SEPARATOR)
                offset += len(PAGE_SEPARATOR)
            parts.append(page_text)
            pages.append(PageSpan(number, offset, offset + len(page_text)))
            offset += len(page_text)
    except IngestError:
        raise
    except LimitReachedError:
        raise IngestError(path, _BOMB) from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as err:
        raise IngestError(path, f"unreadable PDF ({type(err).__name__}: {err})") from None
    text = "".join(parts)
    if not text.strip():
        raise IngestError(path, "the PDF has no extractable text (scanned images? OCR is not supported)")
    meta = _metadata(reader)
    first_line = text.split("\n", 1)[0].strip()
    title = meta.get("/Title") or (first_line if len(first_line) <= MAX_TITLE_CHARS else path.stem)
    provenance = Provenance(published=dateline_date(text) or normalise_date(meta.get("/CreationDate")),
                            author=meta.get("/Author") or None)
    article = Article(id=content_id(text), title=title, text=text, source=str(path), format="pdf", pages=pages,
                      provenance=provenance)
    return LoadResult([article])


def _metadata(reader) -> dict[str, str]:
    """The document information's text entries (title, author, dates), each stripped; none when
    the PDF's metadata cannot be read (the text is what matters)."""
    try:
        info = reader.metadata or {}
        return {key: " ".join(str(info.get(key) or "").split())[:MAX_TITLE_CHARS]
                for key in ("/Title", "/Author", "/CreationDate")}
    except (PdfReadError, PyPdfError, ValueError, TypeError, KeyError):
        return {}
