"""The HTTP API: REST and server-sent events over :class:`qa.Assistant`. No logic of its own."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator

from qa import Assistant
from qa.uploads import UploadTooLarge, check_upload_name, safe_upload_name
from qa.llm import LLMUnavailable
from vectorstore import StoreError, StoreUnavailable

from .feedback import FeedbackStore

STATIC = Path(__file__).parent / "static"


class AskRequest(BaseModel):
    question: str = Field(..., description="the question, in any language")
    history: list[tuple[str, str]] = Field(default_factory=list, description="earlier (question, answer) turns")
    k: int | None = Field(None, ge=1, le=50, description="passages to retrieve")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value


class FeedbackRequest(BaseModel):
    rating: str = Field(..., pattern="^(up|down)$")
    question: str
    answer: str
    citations: list[dict[str, Any]] = Field(default_factory=list)


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def build_api(bot: Assistant, feedback: FeedbackStore) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.post("/ask")
    def ask(req: AskRequest) -> dict:
        return bot.ask(req.question, history=req.history, k=req.k).to_dict()

    @router.post("/ask/stream")
    def ask_stream(req: AskRequest) -> StreamingResponse:
        # Validate and retrieve before the response starts, so bad input is a 4xx, not a broken stream.
        events = bot.stream(req.question, history=req.history, k=req.k)
        first = next(events)

        def body() -> Iterator[str]:
            yield _sse(first["type"], first)
            try:
                for event in events:
                    yield _sse(event["type"], event)
            except (LLMUnavailable, StoreError) as err:
                yield _sse("error", {"type": "error", "detail": str(err)})

        return StreamingResponse(body(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.get("/articles")
    def articles() -> list[dict]:
        return [a.__dict__ for a in bot.list_articles()]

    @router.post("/articles", status_code=201)
    async def upload_article(request: Request, filename: str) -> JSONResponse:
        """The request body is the file itself (``curl --data-binary @report.pdf``)."""
        limit = bot.settings.max_file_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise UploadTooLarge(f"'{filename}' is larger than the upload limit of {limit / 1e6:.1f} MB (ISNAD_MAX_FILE_MB)")
        check_upload_name(filename)  # refuse before reading the body
        blocks, size = [], 0
        async for block in request.stream():
            size += len(block)
            if size > limit:
                raise UploadTooLarge(f"'{filename}' is larger than the upload limit of {limit / 1e6:.1f} MB (ISNAD_MAX_FILE_MB)")
            blocks.append(block)
        report = await run_in_threadpool(bot.ingest_upload, filename, blocks)
        body = {
            "file": safe_upload_name(filename),
            "articles": report.articles,
            "written": report.written,
            "unchanged": report.unchanged,
            "chunks": report.chunks,
            "errors": [err.cause for err in report.errors],
        }
        return JSONResponse(body, status_code=201 if report.ok else 422)

    @router.get("/articles/{article_id}")
    def article(article_id: str) -> dict:
        found = bot.get_article(article_id)
        if found is None:
            raise HTTPException(404, f"no article with id '{article_id}'")
        info, text = found
        return {**info.__dict__, "text": text}

    @router.get("/health")
    def health() -> dict:
        return bot.status()

    @router.post("/feedback")
    def add_feedback(req: FeedbackRequest, request: Request) -> dict:
        return feedback.add(rating=req.rating, question=req.question, answer=req.answer, citations=req.citations,
                            user=getattr(request.state, "user", None))

    @router.get("/feedback/export")
    def export_feedback() -> Response:
        return PlainTextResponse(feedback.export(), media_type="application/x-ndjson",
                                 headers={"Content-Disposition": "attachment; filename=isnad-feedback.jsonl"})

    return router


def _detail_handler(status: int):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


def install_error_handlers(app: FastAPI) -> None:
    """Every failure is a JSON ``{"detail": ...}`` with the right status; never a traceback."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(x) for x in error.get("loc", ()) if x != "body")
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    # Errors whose message is meant for the client, and their status.
    for error_type, status in ((UploadTooLarge, 413), (ValueError, 400), (StoreUnavailable, 503), (LLMUnavailable, 502)):
        app.add_exception_handler(error_type, _detail_handler(status))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)
