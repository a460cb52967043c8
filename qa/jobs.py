"""Uploads ingested in the background, one at a time, so that no web request does minutes of
embedding work and a burst of uploads queues instead of piling onto two cores.

``UploadJobs.submit_file`` stores the upload at once (refusals happen there, before anything is
kept: a refused file, a client over ``ISNAD_UPLOADS_PER_MINUTE``, a full queue) and queues its
ingestion; the caller answers ``202`` with the job, and ``get`` reports its state and progress
until it is ``done`` (something was stored; per-record errors may be listed) or ``failed``
(nothing was stored). The queue is bounded (``ISNAD_MAX_QUEUED_UPLOADS``).

- **Fair:** the worker takes the clients' queues in turn, so one client's burst of slow files
  delays another client's upload by at most one file of each (and each file is bounded by the
  reading budget, ``ingest.budget``).
- **Durable:** every job is a small JSON file in ``data_dir/jobs`` (:class:`JobLedger`),
  written when it is accepted and at each change of state. An app that stops (SIGTERM, a
  crash, kill -9) resumes its queued and running jobs when it starts again; finished jobs
  keep answering ``GET /api/jobs/{id}`` after a restart.
- **Bounded:** a finished job keeps a summary with at most ``max_errors_kept`` error lines (the
  rest counted) and ``MAX_IDS_SHOWN`` article ids; the ledger keeps the last
  ``KEEP_FINISHED`` finished jobs.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.fields import ReadOptions
from ingest import IngestReport
from ingest.atomic import write_json_atomically
from ingest.errors import NotFound, RateLimited, Unavailable

from .limits import RateLimiter
from .uploads import safe_upload_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .assistant import Assistant

log = logging.getLogger(__name__)
KEEP_FINISHED = 200
MAX_IDS_SHOWN = 1000
JOBS_FOLDER = "jobs"


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
    # What to ingest: a stored upload (``path``) or a pasted text (``text``, ``title``).
    kind: str = "file"
    path: str | None = None
    text: str | None = None
    title: str | None = None
    replace: str | None = None
    # How to read a file's records (``ingest.fields``): "text=content,..." and a default outlet.
    fields: str | None = None
    outlet: str | None = None
    client: str = ""
    # The process that runs it (another app on a shared data dir keeps its own jobs).
    owner: str = ""
    summary: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "file": self.file, "state": self.state, "stage": self.stage,
                                "chunks_to_embed": self.chunks_to_embed}
        if self.summary is not None:
            body.update(self.summary)
        return body

    def record(self) -> dict[str, Any]:
        return asdict(self)


def summarize(report: IngestReport, replaced: str | None) -> dict[str, Any]:
    """What a finished job keeps of its report: bounded, whatever the file held."""
    body: dict[str, Any] = {"articles": report.articles, "written": report.written, "unchanged": report.unchanged,
                            "chunks": report.chunks, "article_ids": report.article_ids[:MAX_IDS_SHOWN],
                            "errors": [err.located_cause for err in report.errors]}
    if report.errors_omitted:
        body["errors_omitted"] = report.errors_omitted
    if len(report.article_ids) > MAX_IDS_SHOWN:
        body["article_ids_omitted"] = len(report.article_ids) - MAX_IDS_SHOWN
    if replaced is not None:
        body["replaced"] = replaced
    return body


def _this_queue() -> str:
    """``host:pid:token``: the process, and which of its queues (tests run several in one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's app on a shared data dir: its jobs are its own
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobLedger:
    """One JSON file per job under ``folder``, replaced atomically at each change."""

    def __init__(self, folder: Path):
        self.folder = folder

    def save(self, job: UploadJob) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            write_json_atomically(self.folder / f"{job.id}.json", job.record())
        except OSError:
            # A full disk must not stop the worker: the job goes on in memory, and is only
            # not resumable after a restart.
            log.warning("could not record upload job %s in %s", job.id, self.folder, exc_info=True)

    def remove(self, job_id: str) -> None:
        (self.folder / f"{job_id}.json").unlink(missing_ok=True)

    def load(self) -> list[UploadJob]:
        jobs = []
        if not self.folder.is_dir():
            return jobs
        names = {f.name for f in UploadJob.__dataclass_fields__.values()}
        for path in self.folder.glob("*.json"):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                jobs.append(UploadJob(**{k: v for k, v in record.items() if k in names}))
            except (OSError, ValueError, TypeError):
                log.warning("unreadable upload job record %s: removed", path)
                path.unlink(missing_ok=True)
        return sorted(jobs, key=lambda j: j.created)


def pending_upload_paths(data_dir: Path) -> set[str]:
    """Files of jobs not yet finished (an app's sweep of unreferenced uploads must keep them)."""
    return {job.path for job in JobLedger(data_dir / JOBS_FOLDER).load() if job.finished is None and job.path}


class UploadJobs:
    """The fair queue, its ledger and its one worker thread (started on first use)."""

    def __init__(self, bot: Assistant, *, resume: bool = True):
        self.bot = bot
        self.max_queued = bot.settings.max_queued_uploads
        self.per_client = RateLimiter(bot.settings.uploads_per_minute)
        self.ledger = JobLedger(bot.settings.data_dir / JOBS_FOLDER)
        self._jobs: OrderedDict[str, UploadJob] = OrderedDict()
        self._waiting: OrderedDict[str, deque[UploadJob]] = OrderedDict()  # client → its queued jobs
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None
        self.owner = _this_queue()
        if resume:
            self.resume()

    # -- submitting -----------------------------------------------------------------------------
    def submit_file(self, name: str, chunks: Iterable[bytes], *, client: str, replace: str | None = None,
                    fields: str | None = None, outlet: str | None = None) -> UploadJob:
        """Store the upload now (raising :class:`qa.uploads.UploadRefused` for a refused one) and
        queue its ingestion. ``client`` names who asks (a user, else an address) for the rate
        limit and the turns; ``replace``: the id of an article the new one replaces once stored;
        ``fields`` and ``outlet``: how to read its records (:meth:`ingest.ReadOptions.of`)."""
        ReadOptions.of(fields, outlet)  # a bad mapping is refused before the file is kept
        self._check_room(client)
        if replace is not None and self.bot.get_article(replace) is None:
            raise UnknownArticle(f"no article with id '{replace[:200]}' to replace")
        path = self.bot.store_upload(name, chunks)
        self.per_client.record(client)
        job = UploadJob(id=uuid.uuid4().hex, file=path.name, path=str(path), replace=replace, client=client,
                        fields=fields or None, outlet=outlet or None)
        return self._enqueue(job)

    def submit_text(self, text: str, title: str, *, client: str) -> UploadJob:
        """Queue a pasted article (title and text)."""
        self._check_room(client)
        self.bot.disk.check()
        self.per_client.record(client)
        job = UploadJob(id=uuid.uuid4().hex, file=safe_upload_name(title or "text"), kind="text", text=text,
                        title=title, client=client)
        return self._enqueue(job)

    def _check_room(self, client: str) -> None:
        if wait := self.per_client.retry_after(client):
            raise RateLimited(f"too many uploads from this client; try again in {wait} s (ISNAD_UPLOADS_PER_MINUTE)", wait)
        if self.queued() >= self.max_queued:
            raise UploadQueueFull(f"{self.max_queued} uploads are already waiting to be ingested "
                                  "(ISNAD_MAX_QUEUED_UPLOADS); try again in a minute")

    def queued(self) -> int:
        with self._wake:
            return sum(len(q) for q in self._waiting.values())

    def _enqueue(self, job: UploadJob) -> UploadJob:
        job.owner = self.owner
        self.ledger.save(job)
        with self._wake:
            self._jobs[job.id] = job
            self._forget_old()
            self._waiting.setdefault(job.client, deque()).append(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="isnad-uploads", daemon=True)
                self._worker.start()
            self._wake.notify()
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished is not None]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[old.id]
            self.ledger.remove(old.id)

    def resume(self) -> list[UploadJob]:
        """Take up the jobs a stopped app left: finished ones answer again, queued and running
        ones (their owner process gone) are queued again, in the order they came."""
        resumed = []
        for job in self.ledger.load():
            if job.finished is not None:
                with self._wake:
                    self._jobs[job.id] = job
                continue
            if job.owner and job.owner != self.owner and _owner_alive(job.owner):
                continue  # a live app on the same data dir runs it
            if job.kind == "file" and not (job.path and Path(job.path).is_file()):
                job.state = job.stage = "failed"
                job.finished = time.time()
                job.summary = {"articles": 0, "written": 0, "unchanged": 0, "chunks": 0, "article_ids": [],
                               "errors": ["the uploaded file was lost before it could be ingested"]}
                self.ledger.save(job)
                with self._wake:
                    self._jobs[job.id] = job
                continue
            job.state, job.stage = "queued", "queued"
            resumed.append(job)
            self._enqueue(job)
        with self._wake:
            self._forget_old()
        if resumed:
            log.warning("resumed %d upload job(s) left by a stopped app", len(resumed))
        return resumed

    # -- reading --------------------------------------------------------------------------------
    def get(self, job_id: str) -> UploadJob | None:
        with self._wake:
            return self._jobs.get(job_id)

    def position(self, job: UploadJob) -> int:
        """How many jobs run before this one (0 when it runs now or is finished). Turns go
        client by client: ahead of a client's m-th waiting job are its own m before it, up to
        m + 1 of each client before it in the rotation, up to m of each after it, and the
        running job."""
        if job.state != "queued":
            return 0
        with self._wake:
            clients = list(self._waiting)
            if job.client not in clients:
                return 0
            mine = next((i for i, j in enumerate(self._waiting[job.client]) if j.id == job.id), 0)
            at = clients.index(job.client)
            ahead = mine
            ahead += sum(min(len(self._waiting[c]), mine + 1) for c in clients[:at])
            ahead += sum(min(len(self._waiting[c]), mine) for c in clients[at + 1 :])
            running = any(j.state == "running" for j in self._jobs.values())
        return ahead + int(running)

    # -- the worker -----------------------------------------------------------------------------
    def _next(self) -> UploadJob:
        """The first job of the client whose turn it is; that client goes to the end of the line."""
        with self._wake:
            while not self._waiting:
                self._wake.wait()
            client, waiting = next(iter(self._waiting.items()))
            job = waiting.popleft()
            del self._waiting[client]
            if waiting:
                self._waiting[client] = waiting  # re-inserted: last in turn
            return job

    def _embedding(self, job: UploadJob, chunks: int) -> None:
        job.stage, job.chunks_to_embed = "embedding", chunks

    def _run(self, job: UploadJob) -> IngestReport:
        if job.kind == "text":
            return self.bot.ingest_text(job.text or "", title=job.title or "", protect_ids=True,
                                        max_article_chars=self.bot.settings.max_article_chars,
                                        on_chunks=lambda n: self._embedding(job, n))
        return self.bot.ingest_stored_upload(Path(job.path or ""), replace=job.replace,
                                             on_chunks=lambda n: self._embedding(job, n),
                                             reading=ReadOptions.of(job.fields, job.outlet))

    def _work(self) -> None:
        while True:
            job = self._next()
            job.state, job.stage = "running", "reading"
            self.ledger.save(job)
            replaced = None
            try:
                report = self._run(job)
                if job.replace is not None and report.replaced:
                    replaced = job.replace
                job.summary = summarize(report, replaced)
                job.state = "done" if report.written or report.unchanged else "failed"
            except Exception as err:  # noqa: BLE001 - a job fails alone; the worker goes on
                log.warning("upload %s failed", job.file, exc_info=True)
                job.state = "failed"
                job.summary = {"errors": [_failure(err)]}
            job.text = None  # the pasted text is stored now (or refused): not kept twice
            job.stage, job.finished = job.state, time.time()
            self.ledger.save(job)


def _failure(err: Exception) -> str:
    from ingest.errors import IsnadError

    return str(err) if isinstance(err, IsnadError) else f"could not be ingested ({type(err).__name__})"

