"""The HTTP API: REST and server-sent events over :class:`qa.Assistant`. No logic of its own."""
from __future__ import annotations

import asyncio
import errno
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import AfterValidator, BaseModel, Field, StrictInt, field_validator
from starlette.requests import ClientDisconnect

from ingest.errors import IsnadError
from ingest.fields import ReadOptions
from qa import Assistant
from qa.jobs import KEEP_FINISHED, UploadJobs
from qa.question import Question, check_question_length
from qa.uploads import UploadTooLarge, check_upload_name, megabytes
from vectorstore import ArticleInfo
from vectorstore.filters import MAX_VALUE_CHARS, MAX_VALUES

from .errors import client_message, http_status
from .feedback import FeedbackStore
from .security import client_address

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)

# Caps on every string a client sends (the limits of a Question): the body limit bounds the
# whole request, these bound what one field may make the app store or process.
MAX_TEXT = Question.MAX_TURN_CHARS


def _bounded(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValueError(f"too long ({len(value):,} characters; the limit is {MAX_TEXT:,})")
    return value


Text = Annotated[str, AfterValidator(_bounded)]
Name = Annotated[str, Field(max_length=MAX_VALUE_CHARS)]
LONGEST_UPLOAD_WAIT = 60


class AskRequest(BaseModel):
    question: Text = Field(..., description="the question, in any language")
    history: list[tuple[Text, Text]] = Field(default_factory=list, max_length=Question.MAX_TURNS,
                                             description="earlier (question, answer) turns")
    # Strict: JSON ``true`` is not the number 1.
    k: StrictInt | None = Field(None, ge=1, le=Question.MAX_K, description="passages to retrieve")
    outlets: list[Name] | None = Field(None, max_length=MAX_VALUES,
                                       description="answer only from these outlets (see GET /api/outlets)")
    since: Name | None = Field(None, description="only articles published on or after this day (2015-08-01)")
    until: Name | None = Field(None, description="only articles published on or before this day")
    article_ids: list[Name] | None = Field(None, max_length=MAX_VALUES, description="only these articles")
    as_of: Name | None = Field(None, description="the day the question's \"yesterday\" or \"last week\" is read "
                                                 "against (2015-08-11); default ISNAD_AS_OF, else today")

    @property
    def filters(self) -> dict[str, Any]:
        return {"outlets": self.outlets, "since": self.since, "until": self.until, "article_ids": self.article_ids}

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        # The Python API's own limit, checked here too, so that every over-long question is
        # the same 422 whatever its length.
        check_question_length(value)
        return value


class FeedbackRequest(BaseModel):
    rating: str = Field(..., pattern="^(up|down)$")
    question: Text
    answer: Text
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=50)


def public_source(source: str, data_dir: Path) -> str:
    """Where an article came from, as web clients may see it: a path inside the data dir
    relative to it (``uploads/…/report.pdf``), any other path as its file name only."""
    if not source:
        return ""
    path = Path(source)
    try:
        return str(path.resolve().relative_to(data_dir.resolve()))
    except (ValueError, OSError):
        return path.name


def article_json(info: ArticleInfo, data_dir: Path) -> dict[str, Any]:
    return {**info.__dict__, "provenance": info.provenance.to_dict(), "source": public_source(info.source, data_dir)}


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def client_key(request: Request) -> str:
    """Who a rate limit counts: the logged-in user, else the client's address."""
    user = request.scope.get("state", {}).get("user")
    return f"user:{user}" if user else f"addr:{client_address(request.scope)}"


def build_api(bot: Assistant, feedback: FeedbackStore, jobs: UploadJobs) -> APIRouter:
    router = APIRouter(prefix="/api")
    data_dir = bot.settings.data_dir

    @router.post("/ask")
    def ask(req: AskRequest) -> dict:
        return bot.ask(req.question, history=req.history, k=req.k, filters=req.filters, as_of=req.as_of).to_dict()

    @router.post("/ask/stream")
    def ask_stream(req: AskRequest) -> StreamingResponse:
        # Validate and retrieve before the response starts, so bad input is a 4xx, not a broken stream.
        events = bot.stream(req.question, history=req.history, k=req.k, filters=req.filters, as_of=req.as_of)
        first = next(events)

        def body() -> Iterator[str]:
            yield _sse(first["type"], first)
            try:
                for event in events:
                    yield _sse(event["type"], event)
            except IsnadError as err:  # the stream has started: the failure is its last event
                yield _sse("error", {"type": "error", "detail": client_message(err)})

        return StreamingResponse(body(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.get("/articles")
    def articles() -> list[dict]:
        return [article_json(a, data_dir) for a in bot.list_articles()]

    @router.get("/outlets")
    def outlets() -> list[str]:
        """Every outlet a stored article names: what ``outlets`` in ``/api/ask`` may name."""
        return bot.outlets()

    @router.post("/articles", status_code=202)
    async def upload_article(
        request: Request,
        filename: Annotated[str, Query(max_length=1000, description="the file's name; its extension says how to read it")],
        replace: Annotated[str | None, Query(max_length=200, description="id of an article this file replaces")] = None,
        wait: Annotated[int, Query(ge=0, le=LONGEST_UPLOAD_WAIT, description="seconds to wait for the ingest")] = 0,
        fields: Annotated[str | None, Query(max_length=2000, description=(
            "how to read the file's records: text=content,published=date_extracted,outlet=source"))] = None,
        outlet: Annotated[str | None, Query(max_length=200, description="the outlet of articles whose file does not say")] = None,
    ) -> JSONResponse:
        """The request body is the file itself (``curl --data-binary @report.pdf``). It is stored
        and queued: ``202`` with the job (follow it at ``/api/jobs/{id}``), or with ``wait`` the
        finished job when it ends within that many seconds (``201`` if something new was stored,
        ``200`` if the store already held it unchanged, ``422`` if nothing could be stored)."""
        check_upload_name(filename)  # refuse before reading the body
        ReadOptions.of(fields, outlet)
        limit = bot.settings.max_file_bytes
        blocks, size = [], 0
        try:
            async for block in request.stream():
                size += len(block)
                if size > limit:
                    raise UploadTooLarge(f"the file is larger than the upload limit of {megabytes(limit)} (ISNAD_MAX_FILE_MB)")
                blocks.append(block)
        except ClientDisconnect:
            log.info("client went away during the upload of %r; nothing kept", filename[:100])
            return JSONResponse({"detail": "the client disconnected"}, status_code=400)
        job = await run_in_threadpool(jobs.submit_file, filename, blocks, client=client_key(request), replace=replace,
                                      fields=fields, outlet=outlet)
        deadline = asyncio.get_running_loop().time() + wait
        while job.finished is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        status = 202 if job.finished is None else 422 if job.state != "done" else 201 if job.to_dict().get("written") else 200
        return JSONResponse(job_json(job), status_code=status, headers={"Location": f"/api/jobs/{job.id}"})

    def job_json(job) -> dict:
        return {**job.to_dict(), "queue_position": jobs.position(job)}

    @router.get("/jobs/{job_id}")
    def job(job_id: str) -> dict:
        found = jobs.get(job_id)
        if found is None:
            raise HTTPException(404, f"no such upload job (finished jobs are kept until {KEEP_FINISHED} newer ones have finished)")
        return job_json(found)

    @router.get("/articles/{article_id:path}")
    def article(article_id: str) -> dict:
        found = bot.get_article(article_id)
        if found is None:
            raise HTTPException(404, f"no article with id '{article_id[:200]}'")
        info, text = found
        return {**article_json(info, data_dir), "text": text}

    @router.delete("/articles/{article_id:path}")
    def remove_article(article_id: str) -> dict:
        """Remove an article, its chunks and its sentences (what ``isnad remove`` does)."""
        if not bot.remove(article_id):
            raise HTTPException(404, f"no article with id '{article_id[:200]}'")
        return {"removed": article_id}

    @router.api_route("/health", methods=["GET", "HEAD"])
    def health() -> JSONResponse:
        """The store and its counts; ``503`` with ``status: disk_full`` while the data dir's disk
        is below ``ISNAD_MIN_FREE_MB`` (answers go on; uploads and feedback are refused)."""
        status = bot.status()
        return JSONResponse(status, status_code=200 if status["status"] == "ok" else 503)

    @router.post("/feedback")
    def add_feedback(req: FeedbackRequest, request: Request) -> dict:
        bot.disk.check()
        return feedback.add(rating=req.rating, question=req.question, answer=req.answer, citations=req.citations,
                            user=getattr(request.state, "user", None))

    @router.get("/feedback/export")
    def export_feedback() -> Response:
        return PlainTextResponse(feedback.export(), media_type="application/x-ndjson",
                                 headers={"Content-Disposition": "attachment; filename=isnad-feedback.jsonl"})

    return router


def install_error_handlers(app: FastAPI, disk_trouble: Callable[[], str | None] | None = None) -> None:
    """Every failure is a JSON ``{"detail": ...}`` with the status of its kind (``ui/errors.py``);
    never a traceback. ``disk_trouble`` tells an unexpected failure on a full disk (507)."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(x) for x in error.get("loc", ()) if x != "body")
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    @app.exception_handler(IsnadError)
    async def isnad_error(request: Request, exc: IsnadError) -> JSONResponse:
        retry = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry else None
        return JSONResponse({"detail": client_message(exc)}, status_code=http_status(exc), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        # A write that failed because the disk is full (Chroma's SQLite, a file): say so.
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        trouble = disk_trouble() if disk_trouble is not None else None
        if full or trouble:
            detail = trouble or "the disk holding the data dir is full; its operator must free some space"
            return JSONResponse({"detail": f"nothing was changed: {detail}"}, status_code=507)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)
