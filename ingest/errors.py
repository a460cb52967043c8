"""The kinds of error isnad raises on purpose, shared by every layer (this is the lowest one).

Callers tell errors apart by kind, never by message text: the HTTP API and the command line
map each kind to a status and an exit code in one table (``ui/errors.py``).

| kind | whose doing | e.g. |
|---|---|---|
| :class:`InvalidInput` (a ``ValueError``) | the client's | an empty question, an unsupported upload |
| :class:`NotFound` | the client's | an article id the store does not hold |
| :class:`Conflict` | nobody's: try later or elsewhere | the embedded store is held by another process |
| :class:`Unavailable` | a service isnad depends on | the Chroma server or the LLM endpoint is down |
| :class:`Misconfigured` | the operator's | a bad ``ISNAD_*`` value, a store built by another embedder |
| :class:`InsufficientStorage` | the operator's: free some disk | the data dir's disk is (nearly) full, the uploads quota is used up |
"""
from __future__ import annotations

from pathlib import Path


class IsnadError(Exception):
    """Every error isnad raises on purpose; its message is meant for the person who can act on it."""


class InvalidInput(IsnadError, ValueError):
    """The request or the file is at fault (a ``ValueError``, as Python callers expect)."""


class TooLarge(InvalidInput):
    """Input over a configured size limit."""


class RateLimited(InvalidInput):
    """The client asks too often; ``retry_after`` seconds until it may again."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(IsnadError, LookupError):
    """Something named by the client does not exist."""


class Conflict(IsnadError):
    """The request is fine, but the state of things forbids it now."""


class Unavailable(IsnadError):
    """A service isnad depends on cannot be reached; ``retry_after`` when known."""

    retry_after: int | None = None


class InsufficientStorage(IsnadError):
    """The disk holding the data dir is (nearly) full, or the uploads quota is used up: nothing
    was written; what was stored before is intact."""


class Misconfigured(IsnadError):
    """The installation's configuration is at fault; users cannot fix it, the operator can."""


class IngestError(InvalidInput):
    """A file (or one record of it) could not be ingested.

    ``str(err)`` is a single line: ``<path>: <cause>``, or ``<path> (<where>): <cause>`` for one
    record of a multi-record file (``where`` is then e.g. ``line 2``).
    """

    def __init__(self, path: str | Path, cause: str, where: str | None = None):
        self.path = str(path)
        self.cause = cause
        self.where = where
        super().__init__(f"{self.path}{f' ({where})' if where else ''}: {cause}")

    def __reduce__(self):  # pickled by the reader's child process (ingest.sandbox)
        return type(self), (self.path, self.cause, self.where)

    @property
    def located_cause(self) -> str:
        """The cause, with the record it concerns when there is one (no path: for web clients)."""
        return f"{self.where}: {self.cause}" if self.where else self.cause
