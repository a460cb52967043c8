"""``.json`` / ``.jsonl`` article records: ``id``, ``title``, ``text``, optional ``url``, ``published``.

A ``.json`` file holds one record, a list of records, or ``{"articles": [...]}``; a ``.jsonl``
file one record per line. A bad record is reported with its position and the others load.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..article import Article, content_id
from ..chunking import is_blank
from ..budget import LoadBudget
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


def _collect(path: Path, records: Iterable[tuple[str, Any]], budget: LoadBudget, *, empty_ok: bool = False) -> LoadResult:
    """Articles of ``records`` (``(where, record)`` pairs, read lazily) within the budget: more
    than ``max_records`` fails the file; errors past ``max_errors_kept`` are only counted."""
    result = LoadResult([], one_per_file=False)
    seen: dict[str, str] = {}
    for n, (where, record) in enumerate(records, start=1):
        if n > budget.max_records:
            raise IngestError(path, f"the file holds more than {budget.max_records:,} records "
                                    "(ISNAD_MAX_RECORDS); split it into smaller files")
        try:
            article = _article(path, record)
        except ValueError as err:
            _keep_error(result, IngestError(path, str(err), where=where), budget)
            continue
        if (first := seen.get(article.id)) is not None:
            _keep_error(result, IngestError(path, f"duplicate id '{article.id}' (also {first}); only the first is kept",
                                            where=where), budget)
            continue
        seen[article.id] = where
        result.articles.append(article)
    if not empty_ok and not result.articles and not result.errors and not result.errors_omitted:
        raise IngestError(path, "no records in the file")
    return result


def _keep_error(result: LoadResult, error: IngestError, budget: LoadBudget) -> None:
    if len(result.errors) < budget.max_errors_kept:
        result.errors.append(error)
    else:
        result.errors_omitted += 1


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


_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"
# A list of records, bare or as {"articles": [...]}: read one record at a time, so that a file
# of a million records is refused at the first one past the budget, not after all are built.
_ARTICLES_KEY = re.compile(r'\{\s*+"articles"\s*+:\s*+\[')


def _skip_space(raw: str, at: int) -> int:
    while at < len(raw) and raw[at] in _WHITESPACE:
        at += 1
    return at


def _list_items(raw: str, at: int) -> Iterator[Any]:
    """The items of the JSON list whose ``[`` ends at ``at``, one by one."""
    at = _skip_space(raw, at)
    if at < len(raw) and raw[at] == "]":
        return
    while True:
        try:
            item, at = _DECODER.raw_decode(raw, _skip_space(raw, at))
        except json.JSONDecodeError as err:
            raise ValueError(f"invalid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None
        except RecursionError:
            raise ValueError("invalid JSON: nested too deeply") from None
        yield item
        at = _skip_space(raw, at)
        if at < len(raw) and raw[at] == ",":
            at += 1
        elif at < len(raw) and raw[at] == "]":
            return
        else:
            raise ValueError("invalid JSON: expected ',' or ']' between records")


def _json_records(path: Path, raw: str) -> Iterator[tuple[str, Any]]:
    start = _skip_space(raw, 0)
    if raw.startswith("[", start):
        items = _list_items(raw, start + 1)
    elif (m := _ARTICLES_KEY.match(raw, start)) is not None:
        items = _list_items(raw, m.end())
    else:
        doc = _parse(raw)
        if isinstance(doc, dict) and isinstance(doc.get("articles"), list):
            doc = doc["articles"]
        items = iter(doc if isinstance(doc, list) else [doc])
    for i, item in enumerate(items):
        yield f"record {i + 1}", item


def load_json(path: Path, data: bytes, budget: LoadBudget = LoadBudget()) -> LoadResult:
    raw = decode_text(path, data)
    try:
        return _collect(path, _json_records(path, raw), budget)
    except ValueError as err:
        if isinstance(err, IngestError):
            raise
        raise IngestError(path, str(err)) from None


def load_jsonl(path: Path, data: bytes, budget: LoadBudget = LoadBudget()) -> LoadResult:
    raw = decode_text(path, data)
    bad: list[IngestError] = []
    counts = {"valid": 0, "invalid": 0}

    def records() -> Iterator[tuple[str, Any]]:
        for lineno, line in enumerate(raw.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                record = _parse(line, where=False)
            except ValueError as err:
                counts["invalid"] += 1
                if counts["invalid"] > budget.max_records:
                    raise IngestError(path, f"the file holds more than {budget.max_records:,} invalid lines "
                                            "(ISNAD_MAX_RECORDS)") from None
                if len(bad) < budget.max_errors_kept:
                    bad.append(IngestError(path, str(err), where=f"line {lineno}"))
                continue
            counts["valid"] += 1
            yield f"line {lineno}", record

    result = _collect(path, records(), budget, empty_ok=True)
    if counts["valid"] == 0:
        if counts["invalid"]:
            raise IngestError(path, f"no valid JSON lines ({counts['invalid']} invalid)")
        raise IngestError(path, "no records in the file")
    kept = bad[: max(0, budget.max_errors_kept - len(result.errors))]
    result.errors[:0] = kept
    result.errors_omitted += counts["invalid"] - len(kept)
    return result
