"""The seed article that ships with the package, so a fresh install can answer at once."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

SEED_FILE = "morocco-un-counterterrorism.ar.txt"


def seed_path() -> Path:
    """Path of the bundled seed article (title on the first line, body after it)."""
    return Path(str(resources.files("ingest") / "seed" / SEED_FILE))
