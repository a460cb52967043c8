"""Small JSON files replaced whole: written beside their place under a hidden temporary name,
then renamed over it, so that a reader (another process, the next start) sees the old file or
the new one, never half of one. Lowest layer: every layer's small state files use it."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any


def write_json_atomically(path: Path, body: Any) -> None:
    """Replace ``path`` with ``body`` as JSON (UTF-8, non-ASCII kept); an ``OSError`` (a full
    disk) leaves the old file as it was and no temporary file behind."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}")
    try:
        partial.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
