"""The one error type ingestion raises for a bad input: it always names the file and the cause."""
from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file (or one record of it) could not be ingested.

    ``str(err)`` is a single line: ``<path>: <cause>``, or ``<path> (<where>): <cause>`` for one
    record of a multi-record file (``where`` is then e.g. ``line 2``).
    """

    def __init__(self, path: str | Path, cause: str, where: str | None = None):
        self.path = str(path)
        self.cause = cause
        self.where = where
        super().__init__(f"{self.path}{f' ({where})' if where else ''}: {cause}")

    @property
    def located_cause(self) -> str:
        """The cause, with the record it concerns when there is one (no path: for web clients)."""
        return f"{self.where}: {self.cause}" if self.where else self.cause
