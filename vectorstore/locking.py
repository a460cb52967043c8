"""The embedded store's one-writer lock: an exclusive ``flock`` on ``data_dir/chroma/isnad.lock``,
held until the store is closed or the process exits (the OS releases it even on ``SIGKILL``).
Chroma's embedded engine keeps index state in memory, so two processes writing one folder
would corrupt it; processes that must share a store use a Chroma server."""
from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

from .connection import StoreLocked

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; one process by convention
    fcntl = None

# One lock per embedded store folder per process, shared by every ArticleStore of this process
# (flock locks of two descriptors of one file conflict even inside one process).
_WRITER_LOCKS: dict[str, list] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def acquire_writer_lock(folder: Path) -> str:
    """Take (or share, inside this process) the embedded store's exclusive lock."""
    key = str(folder.resolve())
    with _WRITER_LOCKS_GUARD:
        if key in _WRITER_LOCKS:
            _WRITER_LOCKS[key][1] += 1
            return key
        if fcntl is None:
            _WRITER_LOCKS[key] = [None, 1]
            return key
        fd = os.open(folder / "isnad.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise StoreLocked(
                f"the embedded store at {folder} is in use by {holder}. An embedded store has one "
                "process at a time: stop that process (or use its HTTP API), or share the store "
                "between processes through a Chroma server (ISNAD_CHROMA_HOST, ISNAD_CHROMA_PORT; "
                "see docs/deploy.md)."
            ) from None
        os.ftruncate(fd, 0)
        command = " ".join(os.path.basename(a) for a in sys.argv[:2]) or "python"
        os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()} ({command})".encode(), 0)
        _WRITER_LOCKS[key] = [fd, 1]
        return key


def release_writer_lock(key: str) -> None:
    with _WRITER_LOCKS_GUARD:
        entry = _WRITER_LOCKS.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _WRITER_LOCKS[key]
            if entry[0] is not None:
                os.close(entry[0])  # closing the descriptor releases the flock


def held_elsewhere(folder: Path) -> bool:
    """Whether another process holds the embedded store's lock right now (a probe: the lock
    is taken and let go at once when free)."""
    path = folder / "isnad.lock"
    if fcntl is None or not path.exists() or str(folder.resolve()) in _WRITER_LOCKS:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the probe's lock
    return False
