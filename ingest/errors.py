"""The one error type ingestion raises for a bad input: it always names the file and the cause."""
from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file (or one record of it) could not be ingested.

    ``str(err)`` is a single line: ``<path>: <cause>``.
    """

    def __init__(self, path: str | Path, cause: str):
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")
