"""What each kind of error (``ingest/errors.py``) becomes at the interfaces: one table, the
HTTP status for the API (its handlers: ``ui/api.py``) and the exit code for the command line.

The most specific kind a class belongs to decides (a ``StoreLocked`` is a ``Conflict``).
Errors isnad did not raise on purpose are a 500 / exit 1 whose details stay in the log.
"""
from __future__ import annotations

import logging

from ingest.errors import (
    Conflict,
    InsufficientStorage,
    InvalidInput,
    IsnadError,
    Misconfigured,
    NotFound,
    RateLimited,
    TooLarge,
    Unavailable,
)

log = logging.getLogger(__name__)

# kind: (HTTP status, exit code of the `isnad` command)
KINDS: dict[type[IsnadError], tuple[int, int]] = {
    RateLimited: (429, 2),
    TooLarge: (413, 2),
    InvalidInput: (400, 2),
    NotFound: (404, 1),
    Conflict: (409, 2),
    Unavailable: (503, 3),
    InsufficientStorage: (507, 3),
    Misconfigured: (500, 2),
    IsnadError: (500, 1),
}
UNEXPECTED = (500, 1)


def kind_of(err: BaseException) -> tuple[int, int]:
    """``(HTTP status, exit code)`` of an error, by the first kind in its class's MRO."""
    for cls in type(err).__mro__:
        if cls in KINDS:
            return KINDS[cls]
    return UNEXPECTED


def http_status(err: BaseException) -> int:
    return kind_of(err)[0]


def exit_code(err: BaseException) -> int:
    return kind_of(err)[1]


def client_message(err: BaseException) -> str:
    """What the HTTP client reads. A misconfiguration is the operator's to fix: users are told
    that much, the log has the rest."""
    if isinstance(err, Misconfigured):
        log.error("server misconfiguration: %s", err)
        return "the server is misconfigured; its operator can see why in the server log"
    return str(err)
