"""``.json`` / ``.jsonl`` article records: ``id``, ``title``, ``text``, optional ``url``, ``published``.

A ``.json`` file holds one record, a list of records, or ``{"articles": [...]}``; a ``.jsonl``
file one record per line. A bad record is reported with its position and the others load.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..article import Article, content_id
from ..chunking import is_blank
from ..errors import IngestError
from .base import LoadResult, decode_text

MAX_ID_CHARS = 200


def _optional_str(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"'{name}' must be a string")


def _article(path: Path, record: Any) -> Article:
    if not isinstance(record, dict):
        raise ValueError(f"expected an object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str) or is_blank(text):
        raise ValueError("missing or empty 'text'")
    text = text.replace("\r\n", "\n").strip()
    given_id = _optional_str(record.get("id"), "id")
    if given_id is not None and len(given_id) > MAX_ID_CHARS:
        raise ValueError(f"'id' is too long ({len(given_id)} characters; the limit is {MAX_ID_CHARS})")
    title = _optional_str(record.get("title"), "title") or given_id or path.stem
    return Article(
        id=given_id.strip() if given_id else content_id(text),
        title=title.strip(),
        text=text,
        source=str(path),
        format="json",
        url=_optional_str(record.get("url"), "url"),
        published=_optional_str(record.get("published"), "published"),
    )


def _collect(path: Path, records: list[tuple[str, Any]]) -> LoadResult:
    result = LoadResult([], one_per_file=False)
    for where, record in records:
        try:
            result.articles.append(_article(path, record))
        except ValueError as err:
            result.errors.append(IngestError(path, str(err), where=where))
    if not result.articles and not result.errors:
        raise IngestError(path, "no records in the file")
    return result


def _parse(text: str, *, where: bool = True) -> Any:
    """``json.loads`` with every way it can fail as a ``ValueError`` that says why in plain words:
    deep nesting (a ``RecursionError``) and numbers too long for Python's int conversion included."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        at = f" (line {err.lineno}, column {err.colno})" if where else ""
        raise ValueError(f"invalid JSON: {err.msg}{at}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    except ValueError:
        raise ValueError("invalid JSON: a number is too long") from None


def load_json(path: Path, data: bytes) -> LoadResult:
    raw = decode_text(path, data)
    try:
        doc = _parse(raw)
    except ValueError as err:
        raise IngestError(path, str(err)) from None
    if isinstance(doc, dict) and isinstance(doc.get("articles"), list):
        doc = doc["articles"]
    items = doc if isinstance(doc, list) else [doc]
    return _collect(path, [(f"record {i + 1}", r) for i, r in enumerate(items)])


def load_jsonl(path: Path, data: bytes) -> LoadResult:
    raw = decode_text(path, data)
    records: list[tuple[str, Any]] = []
    bad: list[IngestError] = []
    for lineno, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"line {lineno}", _parse(line, where=False)))
        except ValueError as err:
            bad.append(IngestError(path, str(err), where=f"line {lineno}"))
    if not records and bad:
        raise IngestError(path, f"no valid JSON lines ({len(bad)} invalid)")
    result = _collect(path, records)
    result.errors[:0] = bad
    return result
