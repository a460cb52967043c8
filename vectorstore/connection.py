"""Where a store lives and how to reach it: embedded Chroma in a folder, or a Chroma server;
and the store's errors, with transport failures of a server told apart by exception type."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import Conflict, IsnadError, Misconfigured, Unavailable

if TYPE_CHECKING:  # Chroma is imported when a store is opened, not by whoever reads the settings
    import chromadb


class StoreError(IsnadError):
    """Base class for store problems a user can act on."""


class StoreUnavailable(StoreError, Unavailable):
    """The Chroma server cannot be reached."""


class StoreLocked(StoreError, Conflict):
    """Another process has the embedded store open."""


class EmbedderMismatch(StoreError, Misconfigured):
    """The collection was built by another embedder than the configured one."""


@dataclass(frozen=True)
class StoreConfig:
    """Where the store lives. With ``chroma_host`` set, a Chroma server; else ``data_dir/chroma``."""

    data_dir: Path
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "isnad"

    @property
    def is_server(self) -> bool:
        return bool(self.chroma_host)

    @property
    def folder(self) -> Path:
        """The embedded store's folder."""
        return self.data_dir / "chroma"

    def describe(self, *, location: bool = True) -> str:
        """What and where the store is; without ``location`` (for web clients), no server
        address and no path of this machine."""
        if self.is_server:
            where = f" {self.chroma_host}:{self.chroma_port}" if location else ""
            return f"Chroma server{where}, collection '{self.collection}'"
        where = f" at {self.folder}" if location else ""
        return f"embedded Chroma{where}, collection '{self.collection}'"


def _transport_failure(err: BaseException | None) -> bool:
    """Whether a Chroma client error comes from the network: an ``httpx`` transport error or
    an ``OSError`` anywhere in its chain (the client re-raises a failed connection as a
    ``ValueError`` inside the ``except`` that caught it, so the original stays its context)."""
    import httpx

    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, (httpx.TransportError, OSError)):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


@contextlib.contextmanager
def guard(config: StoreConfig) -> Iterator[None]:
    """Turn transport failures of a Chroma server into one clear :class:`StoreUnavailable`."""
    try:
        yield
    except StoreError:
        raise
    except Exception as err:
        if config.is_server and _transport_failure(err):
            raise StoreUnavailable(
                f"the store is unavailable: cannot reach the Chroma server at {config.chroma_host}:{config.chroma_port} ({err})"
            ) from err
        raise


def open_client(config: StoreConfig) -> chromadb.ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    with guard(config):
        if config.is_server:
            return chromadb.HttpClient(host=config.chroma_host, port=config.chroma_port, settings=settings)
        config.folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(config.folder), settings=settings)
