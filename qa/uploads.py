"""Files that users upload (the page's "add articles" tab, ``POST /api/articles``): checked,
stored under ``data_dir/uploads`` and nowhere else, then ingested like any file.

Refusals happen before a byte is kept: an unsupported extension, a name that is only dots or
separators, a body over the size limit (counted while it streams in, so a huge upload is cut
off, not buffered). A file its loader cannot read (a zip or a decompression bomb named
``.pdf``, an encrypted PDF...) is reported by the ingest and its copy deleted.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from ingest import supported_extensions

_UNSAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


class UploadRefused(ValueError):
    """An upload refused before anything was stored."""


class UploadTooLarge(UploadRefused):
    pass


def safe_upload_name(name: str) -> str:
    """The last path component, stripped of anything but letters, digits, ``.-_`` and spaces,
    and of leading dots: ``../../x.pdf`` → ``x.pdf``, ``..`` → ``upload``."""
    base = _UNSAFE_NAME.sub("_", Path(str(name).replace("\\", "/")).name).strip(". ")
    return base[:120] or "upload"


def check_upload_name(name: str) -> str:
    """The safe name of an upload, or :class:`UploadRefused` if its type is not supported."""
    safe = safe_upload_name(name)
    suffix = Path(safe).suffix.lower()
    if suffix not in supported_extensions():
        kinds = ", ".join(supported_extensions())
        raise UploadRefused(f"unsupported file type '{suffix or '(none)'}' for '{name}' (supported: {kinds})")
    return safe


def save_upload(uploads: Path, name: str, chunks: Iterable[bytes], max_bytes: int) -> Path:
    """Stream an upload into ``uploads`` under its safe name. A file of the same name is
    replaced, so re-uploading an edited file replaces its article (as re-ingesting a path does).

    Written to a hidden temporary file first and renamed when complete, so a refused or broken
    upload never leaves a partial file that a later ingest of the folder would pick up.
    """
    safe = check_upload_name(name)
    uploads.mkdir(parents=True, exist_ok=True)
    root = uploads.resolve()
    partial = root / f".partial-{uuid.uuid4().hex}"
    size = 0
    try:
        with open(partial, "xb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(
                        f"'{safe}' is larger than the upload limit of {max_bytes / 1e6:.1f} MB (ISNAD_MAX_FILE_MB)")
                out.write(chunk)
        if size == 0:
            raise UploadRefused(f"'{safe}' is empty")
        dest = (root / safe).resolve()
        if dest.parent != root:  # safe_upload_name makes this impossible; keep the promise explicit
            raise UploadRefused(f"'{name}' would be stored outside the uploads folder")
        os.replace(partial, dest)
        return dest
    finally:
        partial.unlink(missing_ok=True)

