"""Uploads ingested in the background, one at a time, so that no web request does minutes of
embedding work and a burst of uploads queues instead of piling onto two cores.

``UploadJobs.submit_file`` stores the upload at once (refusals happen there, before anything is
kept: a refused file, a client over ``ISNAD_UPLOADS_PER_MINUTE``, a full queue) and queues its ingestion; the caller answers ``202`` with the job, and ``get`` reports its
state and progress until it is ``done`` (something was stored; per-record errors may be listed)
or ``failed`` (nothing was stored). The queue is bounded (``ISNAD_MAX_QUEUED_UPLOADS``).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ingest import IngestReport
from ingest.errors import NotFound, RateLimited, Unavailable

from .limits import RateLimiter
from .uploads import safe_upload_name

if TYPE_CHECKING:
    from .assistant import Assistant

log = logging.getLogger(__name__)
KEEP_FINISHED = 500


class UploadQueueFull(Unavailable):
    """Too many uploads are waiting; the client should try again later."""

    retry_after = 30


class UnknownArticle(NotFound):
    """An article id that the store does not hold."""


@dataclass
class UploadJob:
    id: str
    file: str
    state: str = "queued"  # queued → running → done | failed
    stage: str = "queued"
    chunks_to_embed: int = 0
    created: float = field(default_factory=time.time)
    finished: float | None = None
    report: IngestReport | None = None
    error: str | None = None
    replaced: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "file": self.file, "state": self.state, "stage": self.stage,
                                "chunks_to_embed": self.chunks_to_embed}
        if self.report is not None:
            r = self.report
            body.update(articles=r.articles, written=r.written, unchanged=r.unchanged, chunks=r.chunks,
                        article_ids=r.article_ids, errors=[err.located_cause for err in r.errors])
        if self.error is not None:
            body["errors"] = [self.error]
        if self.replaced is not None:
            body["replaced"] = self.replaced
        return body


class UploadJobs:
    """The queue and its one worker thread (started on first use)."""

    def __init__(self, bot: Assistant):
        self.bot = bot
        self.max_queued = bot.settings.max_queued_uploads
        self.per_client = RateLimiter(bot.settings.uploads_per_minute)
        self._jobs: OrderedDict[str, UploadJob] = OrderedDict()
        self._queue: queue.Queue[tuple[UploadJob, Callable[[UploadJob], IngestReport]]] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    # -- submitting -----------------------------------------------------------------------------
    def submit_file(self, name: str, chunks: Iterable[bytes], *, client: str, replace: str | None = None) -> UploadJob:
        """Store the upload now (raising :class:`qa.uploads.UploadRefused` for a refused one) and
        queue its ingestion. ``client`` names who asks (a user, else an address) for the rate
        limit; ``replace``: the id of an article the new one replaces once stored."""
        self._check_room(client)
        if replace is not None and self.bot.get_article(replace) is None:
            raise UnknownArticle(f"no article with id '{replace[:200]}' to replace")
        path = self.bot.store_upload(name, chunks)
        self.per_client.record(client)
        job = UploadJob(id=uuid.uuid4().hex, file=path.name)

        def run(job: UploadJob) -> IngestReport:
            report = self.bot.ingest_stored_upload(path, replace=replace, on_chunks=lambda n: self._embedding(job, n))
            if replace is not None and report.replaced:
                job.replaced = replace
            return report

        return self._enqueue(job, run)

    def submit_text(self, text: str, title: str, *, client: str) -> UploadJob:
        """Queue a pasted article (title and text)."""
        self._check_room(client)
        self.per_client.record(client)
        job = UploadJob(id=uuid.uuid4().hex, file=safe_upload_name(title or "text"))

        def run(job: UploadJob) -> IngestReport:
            return self.bot.ingest_text(text, title=title, max_article_chars=self.bot.settings.max_article_chars,
                                        on_chunks=lambda n: self._embedding(job, n))

        return self._enqueue(job, run)

    def _check_room(self, client: str) -> None:
        if wait := self.per_client.retry_after(client):
            raise RateLimited(f"too many uploads from this client; try again in {wait} s (ISNAD_UPLOADS_PER_MINUTE)", wait)
        if self._queue.qsize() >= self.max_queued:
            raise UploadQueueFull(f"{self.max_queued} uploads are already waiting to be ingested "
                                  "(ISNAD_MAX_QUEUED_UPLOADS); try again in a minute")

    def _enqueue(self, job: UploadJob, run: Callable[[UploadJob], IngestReport]) -> UploadJob:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_FINISHED + self.max_queued:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].finished is None:
                    break
                del self._jobs[oldest]
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="isnad-uploads", daemon=True)
                self._worker.start()
        self._queue.put((job, run))
        return job

    # -- reading --------------------------------------------------------------------------------
    def get(self, job_id: str) -> UploadJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def position(self, job: UploadJob) -> int:
        """How many jobs run before this one (0 when it runs now or is finished)."""
        with self._lock:
            ahead = [j for j in self._jobs.values() if j.finished is None and j.created < job.created]
        return len(ahead) if job.state == "queued" else 0

    # -- the worker -----------------------------------------------------------------------------
    @staticmethod
    def _embedding(job: UploadJob, chunks: int) -> None:
        job.stage, job.chunks_to_embed = "embedding", chunks

    def _work(self) -> None:
        while True:
            job, run = self._queue.get()
            job.state, job.stage = "running", "reading"
            try:
                report = run(job)
                job.report = report
                job.state = "done" if report.written or report.unchanged else "failed"
            except Exception as err:  # noqa: BLE001 - a job fails alone; the worker goes on
                log.warning("upload %s failed", job.file, exc_info=True)
                job.state, job.error = "failed", f"could not be ingested ({type(err).__name__})"
            job.stage, job.finished = job.state, time.time()
            self._queue.task_done()
