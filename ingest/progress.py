"""What long work tells the person waiting for it: converting the model, seeding the store,
starting the app. Lower layers log to this one logger; the command line and ``isnad serve``
print it (``isnad: ...`` on standard error), a library user sees nothing unless they ask."""
from __future__ import annotations

import logging

PROGRESS = logging.getLogger("isnad.progress")
PROGRESS.propagate = False  # not into an application's own logs unless it attaches a handler


def say(message: str) -> None:
    PROGRESS.info(message)


def show_progress(stream=None) -> None:
    """Print progress messages to ``stream`` (standard error by default), once per process."""
    if any(getattr(h, "_isnad", False) for h in PROGRESS.handlers):
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("isnad: %(message)s"))
    handler._isnad = True  # type: ignore[attr-defined]
    PROGRESS.addHandler(handler)
    PROGRESS.setLevel(logging.INFO)
