"""The embedded store's article list, kept as a small JSON file beside it
(``data_dir/chroma/articles.json``) so that ``isnad list`` reads it in milliseconds, without
starting Chroma, and while a running app holds the store.

The store rewrites it (atomically) after every change of content and when it opens with a
catalogue older than its content (a crash between the two writes); a reader may so see the
list as it was before the last change a crashed process made, never half a file. A Chroma
server's stores have none: their list comes from the server.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ingest.atomic import write_json_atomically
from ingest.records import ArticleInfo, Provenance

CATALOG_NAME = "articles.json"


def catalog_path(store_folder: Path) -> Path:
    return store_folder / CATALOG_NAME


def write_catalog(store_folder: Path, revision: str, articles: list[ArticleInfo]) -> None:
    body = {"revision": revision, "articles": [dataclasses.asdict(a) for a in articles]}
    write_json_atomically(catalog_path(store_folder), body)


def catalog_revision(store_folder: Path) -> str | None:
    body = _read(store_folder)
    return None if body is None else str(body.get("revision", ""))


def read_catalog(store_folder: Path) -> list[ArticleInfo] | None:
    """The listed articles, or None when there is no readable catalogue (a store of an older
    version not yet opened by this one)."""
    body = _read(store_folder)
    if body is None:
        return None
    fields = {f.name for f in dataclasses.fields(ArticleInfo)} - {"provenance"}
    try:
        # (a catalogue written before provenance was a record kept url and published at the top)
        return [ArticleInfo(**{k: v for k, v in a.items() if k in fields},
                            provenance=Provenance.of(a.get("provenance") or a)) for a in body["articles"]]
    except (KeyError, TypeError):
        return None


def _read(store_folder: Path) -> dict | None:
    try:
        body = json.loads(catalog_path(store_folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None
