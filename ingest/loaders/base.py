"""What every loader returns, and the helpers loaders share."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..article import Article
from ..budget import LoadBudget
from ..chunking import is_blank
from ..encoding import UndecodableText, detect_and_decode
from ..errors import IngestError

# A first line longer than this is a paragraph, not a title.
MAX_TITLE_CHARS = 300


@dataclass
class LoadResult:
    """``articles`` that loaded; ``errors`` for records that did not (multi-record files only).

    ``one_per_file`` is true for formats where the file *is* the article (text, Markdown, HTML,
    PDF): re-ingesting an edited file then replaces the article it produced before.
    """

    articles: list[Article]
    errors: list[IngestError] = field(default_factory=list)
    one_per_file: bool = True
    # Record errors beyond the budget's ``max_errors_kept``: counted, not kept.
    errors_omitted: int = 0
    # Members of an archive of a type no loader reads (its README, its images).
    skipped: list[str] = field(default_factory=list)

    def keep_error(self, error: IngestError, budget: LoadBudget) -> None:
        """Keep a record's error, or only count it once the budget's ``max_errors_kept`` are kept."""
        if len(self.errors) < budget.max_errors_kept:
            self.errors.append(error)
        else:
            self.errors_omitted += 1


def decode_text(path: Path, data: bytes) -> str:
    """Decoded text with Unix line ends; an :class:`IngestError` for binary data."""
    try:
        text, _ = detect_and_decode(data)
    except UndecodableText as err:
        raise IngestError(path, str(err)) from None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_title(text: str, fallback_title: str) -> tuple[str, str]:
    """``(title, body)`` from a text whose first non-empty line is its title.

    A file of one line, or whose first line is too long to be a title, keeps all of its text
    as the body and takes ``fallback_title`` (the file name).
    """
    stripped = text.lstrip()
    first, sep, rest = stripped.partition("\n")
    if sep and rest.strip() and len(first.strip()) <= MAX_TITLE_CHARS:
        return first.strip(), rest.strip("\n").rstrip()
    return fallback_title, stripped.rstrip()


def require_text(path: Path, text: str) -> None:
    if is_blank(text):
        raise IngestError(path, "no text in the file (empty)")
