"""Files that users upload (the page's "add articles" tab, ``POST /api/articles``): checked,
stored under ``data_dir/uploads`` and nowhere else, then ingested like any file.

Refusals happen before a byte is kept: an unsupported extension, a name that is only dots or
separators, a body over the size limit (counted while it streams in, so a huge upload is cut
off, not buffered). A file its loader cannot read (a zip or a decompression bomb named
``.pdf``, an encrypted PDF...) is reported by the ingest and its copy deleted.

Every upload gets a folder of its own (``uploads/<random id>/<name>``), so two uploads that
share a file name never touch each other's file or article: replacing an article is asked for
by its id, never implied by a name.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from ingest import supported_extensions
from ingest.errors import InsufficientStorage, InvalidInput, TooLarge

_UNSAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)
MAX_NAME_CHARS = 120
PARTIAL_PREFIX = ".partial-"
# Under the data dir: where uploads are kept (a folder each), and where the web page's upload
# widget (Gradio) keeps visitors' files until they are added.
UPLOADS = "uploads"
GRADIO_UPLOADS = "gradio-uploads"


class UploadRefused(InvalidInput):
    """An upload refused before anything was stored."""


class UploadTooLarge(UploadRefused, TooLarge):
    pass


def safe_upload_name(name: str) -> str:
    """The last path component, stripped of anything but letters, digits, ``.-_`` and spaces,
    and of leading dots: ``../../x.pdf`` → ``x.pdf``, ``..`` → ``upload``. A long name loses
    the end of its stem, never its extension: the extension decides how the file is read."""
    base = _UNSAFE_NAME.sub("_", Path(str(name).replace("\\", "/")).name).strip(". ")
    if len(base) > MAX_NAME_CHARS:
        suffix = Path(base).suffix
        suffix = suffix if len(suffix) <= 10 else ""
        base = base[: MAX_NAME_CHARS - len(suffix)].rstrip(". ") + suffix
    return base or "upload"


def check_upload_name(name: str) -> str:
    """The safe name of an upload, or :class:`UploadRefused` if its type is not supported."""
    safe = safe_upload_name(name)
    suffix = Path(safe).suffix.lower()
    if suffix not in supported_extensions():
        kinds = ", ".join(supported_extensions())
        shown = suffix if len(suffix) <= 12 else suffix[:12] + "…"
        raise UploadRefused(f"unsupported file type '{shown or '(none)'}' (supported: {kinds})")
    return safe


def save_upload(uploads: Path, name: str, chunks: Iterable[bytes], max_bytes: int,
                room: Callable[[], int] | None = None) -> Path:
    """Stream an upload into a new folder ``uploads/<id>/`` under its safe name.

    Written to a hidden temporary file first and renamed when complete, so a refused or broken
    upload never leaves a partial file that a later ingest of the folder would pick up.
    ``room()`` says how many bytes may still be kept (the uploads quota, the disk's free space
    over its floor); an upload that does not fit, or a disk that fills up meanwhile, is
    :class:`InsufficientStorage` and keeps nothing.
    """
    safe = check_upload_name(name)
    space = room() if room is not None else None
    if space is not None and space <= 0:
        raise InsufficientStorage(_no_room(safe))
    uploads.mkdir(parents=True, exist_ok=True)
    root = uploads.resolve()
    partial = root / f"{PARTIAL_PREFIX}{uuid.uuid4().hex}"
    folder = root / uuid.uuid4().hex[:16]
    size = 0
    try:
        with open(partial, "xb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(
                        f"'{safe}' is larger than the upload limit of {megabytes(max_bytes)} (ISNAD_MAX_FILE_MB)")
                if space is not None and size > space:
                    raise InsufficientStorage(_no_room(safe))
                out.write(chunk)
        if size == 0:
            raise UploadRefused(f"'{safe}' is empty")
        folder.mkdir()
        dest = folder / safe
        os.replace(partial, dest)
        return dest
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            with contextlib.suppress(OSError):
                folder.rmdir()
            raise InsufficientStorage(f"'{safe}' could not be kept: the disk holding the uploads is full") from None
        raise
    finally:
        partial.unlink(missing_ok=True)


def _no_room(name: str) -> str:
    return (f"'{name}' cannot be kept: the uploads quota (ISNAD_UPLOADS_QUOTA_MB) or the disk's free space "
            "(ISNAD_MIN_FREE_MB) is used up; its operator must free some space")


def megabytes(n_bytes: int) -> str:
    """A size as people read the ``*_MB`` settings: 25 MB is 25 × 1024 × 1024 bytes."""
    mb = n_bytes / 2**20
    return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"


def uploads_size(uploads: Path) -> int:
    """Bytes of every file kept under ``uploads``."""
    total = 0
    if uploads.is_dir():
        for path in uploads.rglob("*"):
            with contextlib.suppress(OSError):
                if path.is_file():
                    total += path.stat().st_size
    return total


def discard_upload(path: Path) -> None:
    """Delete a stored upload, and its folder once empty."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def sweep_partial_uploads(uploads: Path) -> list[Path]:
    """Remove the hidden partial files of uploads that never completed."""
    if not uploads.is_dir():
        return []
    removed = []
    for path in uploads.glob(f"{PARTIAL_PREFIX}*"):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def sweep_uploads(uploads: Path, referenced: set[str], older_than: float = 0.0) -> list[Path]:
    """Remove what a killed process left in ``uploads``: partial files, and files no article
    refers to. ``older_than`` spares files younger than that many seconds (another app on a
    shared store may be ingesting them right now). Returns what was removed."""
    if not uploads.is_dir():
        return []
    now, removed = time.time(), []
    keep = {str(Path(p).resolve()) for p in referenced}
    for path in sorted(uploads.rglob("*")):
        if not path.is_file():
            continue
        try:
            young = now - path.stat().st_mtime < older_than
        except FileNotFoundError:
            continue
        if young or str(path.resolve()) in keep:
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    for folder in (p for p in uploads.iterdir() if p.is_dir()):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty
    return removed
