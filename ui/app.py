"""The web app: one FastAPI app with the HTTP API, the widget script, the login form and the
Gradio chat page mounted at ``/``. Every route calls the same :class:`qa.Assistant`, and every
route, Gradio's included, sits behind one guard (:mod:`ui.security`)."""
from __future__ import annotations

import logging
import os
from importlib.resources import files

import gradio as gr
import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from ingest.progress import say
from qa import Assistant, Settings
from qa.jobs import UploadJobs
from qa.limits import RateLimiter
from qa.uploads import GRADIO_UPLOADS, sweep_partial_uploads, sweep_uploads

from .api import STATIC, build_api, install_error_handlers
from .feedback import FeedbackStore
from .login import build_login
from .page import build_page, offline_theme
from .render import CLICK_SCRIPT, PAGE_CSS
from .running_app import local_url, remove_note, write_note
from .security import Sessions, gradio_user, install_security
from .server import timed_protocol

log = logging.getLogger(__name__)
# Swagger UI's script and style, shipped in the fastapi-offline wheel: the docs work offline.
DOCS_ASSETS = files("fastapi_offline") / "static"
DOCS_FILES = {"swagger-ui-bundle.js": "application/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}


def _add_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="isnad API",
                                   swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/api/docs/assets/swagger-ui.css",
                                   swagger_favicon_url="/api/docs/assets/favicon.png")

    @app.get("/api/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        if name not in DOCS_FILES:
            raise HTTPException(404, "no such file")
        return FileResponse(str(DOCS_ASSETS / name), media_type=DOCS_FILES[name],
                            headers={"Cache-Control": "public, max-age=86400"})


def create_app(bot: Assistant) -> FastAPI:
    settings = bot.settings
    feedback = FeedbackStore(settings.data_dir / "feedback.jsonl")
    jobs = UploadJobs(bot)
    sessions = Sessions.for_settings(settings) if settings.auth and not settings.auth_header else None
    login_failures = RateLimiter(settings.login_failures_per_minute)
    app = FastAPI(title="isnad", description="Question answering over news articles, with sources.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json" if settings.api_docs else None)
    app.state.jobs = jobs
    install_error_handlers(app, bot.disk.trouble)
    app.include_router(build_login(settings, sessions, login_failures))
    app.include_router(build_api(bot, feedback, jobs))
    if settings.api_docs:
        _add_docs(app)

    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=300"})

    # Gradio keeps what visitors upload in the data dir, never in a shared temp folder. It reads
    # that folder from the environment (so there is one per process), when the page is built
    # and again when it checks a file value.
    gradio_uploads = settings.data_dir / GRADIO_UPLOADS
    gradio_uploads.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(gradio_uploads)
    page = build_page(bot, feedback, jobs)
    login_needed = bool(settings.auth or settings.auth_header)
    app = gr.mount_gradio_app(
        app, page, path="/", auth_dependency=gradio_user if login_needed else None,
        theme=offline_theme(), css=PAGE_CSS, head=CLICK_SCRIPT, footer_links=["api"],
        max_file_size=settings.max_file_bytes, ssr_mode=False, show_error=False, i18n=PAGE_TRANSLATIONS,
    )
    # Gradio checks that a file value names a file its upload route stored only once the app
    # "has launched", which a mounted app never does: without this, the call API would copy
    # any server file named in a request into its cache.
    page.has_launched = True
    install_security(app, settings, sessions, login_failures, storage_trouble=bot.disk.storage_trouble)
    return app


# Gradio's own words on the page in both of the page's languages, whatever the browser's locale
# (with an English browser the file box said only "Drop File Here"), like every label isnad writes.
_BILINGUAL = {"upload_text.drop_file": "أسقط الملف هنا · Drop File Here",
              "upload_text.click_to_upload": "انقر للرفع · Click to Upload", "common.or": "أو · or"}
PAGE_TRANSLATIONS = gr.I18n(**{locale: _BILINGUAL for locale in ("en", "ar", "fr")})


class _AnnouncedServer(uvicorn.Server):
    """Says where the app is once it listens, and leaves the note the command line looks for
    (``ui/running_app.py``) until it stops."""

    def __init__(self, config: uvicorn.Config, settings: Settings):
        super().__init__(config)
        self.settings = settings

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            url = local_url(self.config.host, self.config.port)
            write_note(self.settings, url)
            say(f"ready: open {self.settings.public_url or url} in a browser (Ctrl+C stops the app)")


def serve(bot: Assistant, host: str, port: int) -> None:
    # Before the store opens: what an earlier run left half-received (partial uploads, files
    # Gradio kept for visitors) is never needed, and on a full disk it is the space that lets
    # the store open again.
    swept = sweep_partial_uploads(bot.uploads_dir) + sweep_uploads(bot.settings.data_dir / GRADIO_UPLOADS, set())
    say(f"opening the store ({bot.settings.store.describe()})")
    bot.store  # noqa: B018 - open (and seed) the store before the first visitor, not during
    articles = bot.store.count_articles()
    say(f"the store holds {articles} article{'' if articles == 1 else 's'}; starting the web app")
    if trouble := bot.disk.trouble():
        log.warning("%s: uploads and feedback are refused until then", trouble)
    # Uploads no article and no unfinished job refers to were left by an interrupted upload.
    removed = swept + bot.sweep_uploads()
    if removed:
        log.warning("removed %d uploaded file(s) that no article refers to (left by an interrupted upload)", len(removed))
    settings = bot.settings
    # Gradio keeps its files under the data dir; running from there lets the guard show their
    # paths relative to it (ui.security.hide_working_dir). Settings' paths are absolute.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(settings.data_dir)
    # X-Forwarded-For names the client only when a proxy we trust set it: uvicorn's default
    # believes it from any loopback peer, which let every local client pick its own address
    # (and so dodge the login throttle and the upload rate limit).
    config = uvicorn.Config(create_app(bot), host=host, port=port, log_level="info", timeout_keep_alive=5,
                            http=timed_protocol(settings.client_timeout, settings.max_connections_per_client),
                            limit_concurrency=settings.max_connections,
                            proxy_headers=bool(settings.trusted_proxies),
                            forwarded_allow_ips=list(settings.trusted_proxies) or None)
    try:
        _AnnouncedServer(config, settings).run()
    finally:
        remove_note(settings)
