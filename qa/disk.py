"""The disk under the data dir: how much is free, whether a write may go ahead, and the
uploads quota. Checked *before* writing (an upload, a pasted text, feedback), so that a full
disk is a clear ``507`` naming the cause instead of a write that fails halfway; and used to
say why Chroma could not open a store.
"""
from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

from ingest.errors import InsufficientStorage, IsnadError

from .settings import Settings
from .uploads import GRADIO_UPLOADS, UPLOADS, uploads_size


class DataDirDisk:
    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def min_free_bytes(self) -> int:
        return self.settings.min_free_mb * 2**20

    def free_bytes(self) -> int:
        """Free space on the disk that holds the data dir (or the nearest folder that exists)."""
        folder = self.settings.data_dir
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return shutil.disk_usage(folder).free

    def trouble(self) -> str | None:
        """Why writing to the data dir would fail now (its disk below ``ISNAD_MIN_FREE_MB``), or None."""
        try:
            free = self.free_bytes()
        except OSError:
            return None
        if free >= self.min_free_bytes:
            return None
        return (f"the disk holding {self.settings.data_dir} is full: {free / 2**20:,.0f} MB free, and isnad keeps at "
                f"least {self.settings.min_free_mb:,} MB free (ISNAD_MIN_FREE_MB); its operator must free some space")

    def kept_uploads(self) -> int:
        data = self.settings.data_dir
        return uploads_size(data / UPLOADS) + uploads_size(data / GRADIO_UPLOADS)

    def storage_trouble(self) -> str | None:
        """Why no file may be kept now: :meth:`trouble`, or the uploads kept (the page's and the
        API's) already filling ``ISNAD_UPLOADS_QUOTA_MB``."""
        if (trouble := self.trouble()) is not None:
            return trouble
        if self.kept_uploads() >= self.settings.uploads_quota_mb * 2**20:
            return (f"the uploads kept fill their quota ({self.settings.uploads_quota_mb:,} MB, ISNAD_UPLOADS_QUOTA_MB); "
                    "its operator must remove articles or raise it")
        return None

    def upload_room(self) -> int:
        """Bytes one more upload may take: within the quota and above the free-space floor."""
        quota = self.settings.uploads_quota_mb * 2**20 - self.kept_uploads()
        return min(quota, self.free_bytes() - self.min_free_bytes)

    def check(self) -> None:
        """:class:`InsufficientStorage` when the data dir's disk is (nearly) full."""
        if (trouble := self.trouble()) is not None:
            raise InsufficientStorage(trouble)

    @contextlib.contextmanager
    def says_why(self, doing: str) -> Iterator[None]:
        """An unexpected failure inside (Chroma's own, on a full disk "database or disk is full")
        becomes :class:`InsufficientStorage` when the disk is the cause."""
        try:
            yield
        except (IsnadError, KeyboardInterrupt):
            raise
        except Exception as err:
            if (trouble := self.trouble()) is not None:
                raise InsufficientStorage(f"{doing}: {trouble}") from err
            raise
