"""The web app: one FastAPI app with the HTTP API, the widget script, and the Gradio chat page
mounted at ``/``. Every route calls the same :class:`qa.Assistant`."""
from __future__ import annotations

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse

from qa import Assistant

from .api import STATIC, build_api, install_error_handlers
from .feedback import FeedbackStore
from .page import build_page, offline_theme
from .render import CLICK_SCRIPT, PAGE_CSS
from .security import gradio_auth, install_security


def create_app(bot: Assistant) -> FastAPI:
    settings = bot.settings
    feedback = FeedbackStore(settings.data_dir / "feedback.jsonl")
    app = FastAPI(title="isnad", description="Question answering over news articles, with sources.",
                  docs_url="/api/docs", openapi_url="/api/openapi.json")
    install_error_handlers(app)
    install_security(app, settings)
    app.include_router(build_api(bot, feedback))

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=300"})

    auth, auth_dependency = gradio_auth(settings)
    return gr.mount_gradio_app(
        app, build_page(bot, feedback), path="/", auth=auth, auth_dependency=auth_dependency,
        theme=offline_theme(), css=PAGE_CSS, head=CLICK_SCRIPT, footer_links=["api"],
        max_file_size=settings.max_file_bytes, ssr_mode=False, show_error=True,
    )


def serve(bot: Assistant, host: str, port: int) -> None:
    bot.store  # noqa: B018 - open (and seed) the store before the first visitor, not during
    uvicorn.run(create_app(bot), host=host, port=port, log_level="info")
