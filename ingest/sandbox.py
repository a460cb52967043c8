"""Reading a file in a child process with bounded CPU time and memory, so that a file whose
parsing would take minutes (a 21 MB HTML page, a PDF built to be slow) or gigabytes fails alone
with a clear error, and every byte the parser allocated goes back to the system when the child
exits. The web app's one ingest worker is then never held longer than the budget by one file.

The child is a fresh interpreter (``python -m ingest.sandbox``: no fork of a process full of
threads, nothing of the parent's state); it sets ``RLIMIT_CPU`` and ``RLIMIT_AS`` on itself
before it reads a byte, and sends the parsed result back pickled on its stdout. The parent
also kills it past the CPU budget plus a grace in wall time (a child that blocks).
"""
from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

from .budget import LoadBudget
from .errors import IngestError
from .fields import PLAIN_READING, ReadOptions
from .loaders import LoadResult

# Wall-clock grace over the CPU budget: the interpreter's start and a child not on the CPU.
WALL_GRACE_SECONDS = 15.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])
# The child's exit status when it runs out of its memory budget before it can answer (while
# starting or sending the result): the parent tells the cause by this code, not by stderr.
OUT_OF_MEMORY_EXIT = 75


def load_file_bounded(path: Path, max_bytes: int, budget: LoadBudget, reading: ReadOptions = PLAIN_READING) -> LoadResult:
    """:func:`ingest.pipeline.load_file` in a child process held to ``budget.cpu_seconds`` and
    ``budget.memory_mb``; an :class:`IngestError` naming the limit when the child exceeds one."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")])}
    request = pickle.dumps((str(path), max_bytes, asdict(budget), reading))
    wall = (budget.cpu_seconds or 600) + WALL_GRACE_SECONDS
    try:
        done = subprocess.run([sys.executable, "-m", "ingest.sandbox"], input=request, capture_output=True,
                              timeout=wall, env=env)
    except subprocess.TimeoutExpired:
        raise IngestError(path, _too_slow(budget)) from None
    if done.returncode == 0:
        try:
            result = pickle.loads(done.stdout)
        except Exception:  # noqa: BLE001 - a broken answer is the child's failure, told below
            result = None
        if isinstance(result, IngestError):
            raise result
        if isinstance(result, LoadResult):
            return result
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise IngestError(path, _too_slow(budget))
    if done.returncode == OUT_OF_MEMORY_EXIT:
        raise IngestError(path, _too_big(budget))
    raise IngestError(path, f"the file could not be read (the reader stopped with code {done.returncode})")


def _too_slow(budget: LoadBudget) -> str:
    return (f"reading the file took more than {budget.cpu_seconds} s of CPU time (ISNAD_UPLOAD_CPU_SECONDS); "
            "it may be built to be slow to parse")


def _too_big(budget: LoadBudget) -> str:
    return f"reading the file needs more than {budget.memory_mb:,} MB of memory (ISNAD_UPLOAD_MEMORY_MB)"


def _child() -> None:
    path, max_bytes, fields, reading = pickle.loads(sys.stdin.buffer.read())
    budget = LoadBudget(**fields)
    if budget.cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (budget.cpu_seconds, budget.cpu_seconds + 1))
    if budget.memory_mb:
        limit = budget.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from .pipeline import load_file

    try:
        result: LoadResult | IngestError = load_file(Path(path), max_bytes, replace(budget, cpu_seconds=None, memory_mb=None),
                                                       reading)
    except IngestError as err:
        result = err
    except MemoryError:
        result = IngestError(path, _too_big(budget))
    sys.stdout.buffer.write(pickle.dumps(result))


if __name__ == "__main__":
    try:
        _child()
    except MemoryError:
        os._exit(OUT_OF_MEMORY_EXIT)
