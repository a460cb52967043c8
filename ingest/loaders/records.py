"""``.json`` / ``.jsonl`` article records: a text, and optionally an id, a title, the date
published, the outlet, the author and the address, under our names or the common ones
(:mod:`ingest.fields`: ``content``, ``date_extracted``, ``source``, ...) or as a mapping names them.

A ``.json`` file holds one record, a list of records, or ``{"articles": [...]}``; a ``.jsonl``
file one record per line. A bad record is reported with its position and the others load. An
article's id is the record's own, else one made from its address (the same wire story printed
by five papers is five articles), else one made from its text.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..article import Article, address_id, content_id
from ..chunking import is_blank
from ..budget import LoadBudget
from ..dates import dateline_date, normalise_date
from ..errors import IngestError
from ..fields import PLAIN_READING, ReadOptions, RecordFields
from ..records import Provenance
from .base import LoadResult, decode_text

MAX_ID_CHARS = 200
MAX_FIELD_CHARS = 2000  # of an outlet, author or address


def _optional_str(value: Any, name: str | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):  # "authors": ["A", "B"]
        return ", ".join(v.strip() for v in value if v.strip()) or None
    raise ValueError(f"'{name}' must be a string")


def _field(record: dict, fields: RecordFields, ours: str) -> str | None:
    name, value = fields.value(record, ours)
    text = _optional_str(value, name)
    if text is not None and ours != "text" and len(text) > MAX_FIELD_CHARS:
        raise ValueError(f"'{name}' is too long ({len(text):,} characters; the limit is {MAX_FIELD_CHARS:,})")
    return " ".join(text.split()) if text is not None and ours != "text" else text


def _article(path: Path, record: Any, fields: RecordFields) -> Article:
    if not isinstance(record, dict):
        raise ValueError(f"expected an object, got {type(record).__name__}")
    name, text = fields.value(record, "text")
    if not isinstance(text, str) or is_blank(text):
        looked = "', '".join(fields.names("text"))
        raise ValueError(f"missing or empty 'text' (looked for '{looked}'; name the text's field with "
                         "--fields text=NAME)")
    text = text.replace("\r\n", "\n").strip()
    given_id = _field(record, fields, "id")
    if given_id is not None and len(given_id) > MAX_ID_CHARS:
        raise ValueError(f"'id' is too long ({len(given_id)} characters; the limit is {MAX_ID_CHARS})")
    title = _field(record, fields, "title") or given_id or path.stem
    # A date that is not a full date is left out rather than the article: it is metadata.
    _, raw_date = fields.value(record, "published")
    published = normalise_date(raw_date) if raw_date is not None else dateline_date(text)
    url = _field(record, fields, "url")
    return Article(
        id=given_id.strip() if given_id else address_id(url) if url else content_id(text),
        title=title.strip(),
        text=text,
        source=str(path),
        format="json",
        provenance=Provenance(outlet=_field(record, fields, "outlet"), published=published,
                              author=_field(record, fields, "author"), url=url),
    )


def _collect(path: Path, records: Iterable[tuple[str, Any]], budget: LoadBudget, fields: RecordFields, *,
             empty_ok: bool = False) -> LoadResult:
    """Articles of ``records`` (``(where, record)`` pairs, read lazily) within the budget: more
    than ``max_records`` fails the file; errors past ``max_errors_kept`` are only counted."""
    result = LoadResult([], one_per_file=False)
    seen: dict[str, str] = {}
    for n, (where, record) in enumerate(records, start=1):
        if n > budget.max_records:
            raise IngestError(path, f"the file holds more than {budget.max_records:,} records "
                                    "(ISNAD_MAX_RECORDS); split it into smaller files")
        try:
            article = _article(path, record, fields)
        except ValueError as err:
            result.keep_error(IngestError(path, str(err), where=where), budget)
            continue
        if (first := seen.get(article.id)) is not None:
            result.keep_error(IngestError(path, f"duplicate id '{article.id}' (also {first}); only the first is kept",
                                          where=where), budget)
            continue
        seen[article.id] = where
        result.articles.append(article)
    if not empty_ok and not result.articles and not result.errors and not result.errors_omitted:
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


def load_json(path: Path, data: bytes, budget: LoadBudget = LoadBudget(), reading: ReadOptions = PLAIN_READING) -> LoadResult:
    raw = decode_text(path, data)
    try:
        return _collect(path, _json_records(path, raw), budget, reading.fields)
    except ValueError as err:
        if isinstance(err, IngestError):
            raise
        raise IngestError(path, str(err)) from None


def load_jsonl(path: Path, data: bytes, budget: LoadBudget = LoadBudget(), reading: ReadOptions = PLAIN_READING) -> LoadResult:
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

    result = _collect(path, records(), budget, reading.fields, empty_ok=True)
    if counts["valid"] == 0:
        if counts["invalid"]:
            raise IngestError(path, f"no valid JSON lines ({counts['invalid']} invalid)")
        raise IngestError(path, "no records in the file")
    kept = bad[: max(0, budget.max_errors_kept - len(result.errors))]
    result.errors[:0] = kept
    result.errors_omitted += counts["invalid"] - len(kept)
    return result
