"""Who may call the app: allowed browser origins (CORS) and optional login.

- Origins: a page on another origin may call ``/api`` only if its origin is listed in
  ``ISNAD_ALLOWED_ORIGINS``. CORS headers tell browsers so; requests from other origins are
  also refused outright (403), so a disallowed page cannot even trigger work.
- Login: ``ISNAD_AUTH`` users log in to the page (Gradio's form) and call the API with HTTP
  Basic; or, behind an SSO proxy, ``ISNAD_AUTH_HEADER`` names the header that carries the user.
"""
from __future__ import annotations

import base64
import binascii
import secrets

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware

from qa import Settings

API_PREFIXES = ("/api/",)


def _same_origin(request: Request, origin: str) -> bool:
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def _basic_user(request: Request, users: dict[str, str]) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    expected = users.get(user)
    if expected is not None and secrets.compare_digest(expected.encode(), password.encode()):
        return user
    return None


class GuardMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, settings: Settings):
        super().__init__(app)
        self.allowed = set(settings.allowed_origins)
        self.users = dict(settings.auth)
        self.auth_header = settings.auth_header

    async def dispatch(self, request: Request, call_next):
        if not request.url.path.startswith(API_PREFIXES):
            return await call_next(request)
        origin = request.headers.get("origin")
        if origin and "*" not in self.allowed and origin not in self.allowed and not _same_origin(request, origin):
            return JSONResponse({"detail": f"origin {origin} is not allowed to call this API"}, status_code=403)
        if request.method == "OPTIONS":
            return await call_next(request)  # CORS preflight: answered by the CORS middleware
        if self.auth_header:
            user = request.headers.get(self.auth_header)
            if not user:
                return JSONResponse({"detail": f"missing {self.auth_header} header (set by the SSO proxy)"}, status_code=401)
            request.state.user = user
        elif self.users:
            user = _basic_user(request, self.users)
            if user is None:
                return JSONResponse({"detail": "login required"}, status_code=401,
                                    headers={"WWW-Authenticate": 'Basic realm="isnad"'})
            request.state.user = user
        return await call_next(request)


def install_security(app: FastAPI, settings: Settings) -> None:
    # Added last = runs first: the guard refuses before CORS decorates the response.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_credentials="*" not in settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization"],
    )
    app.add_middleware(GuardMiddleware, settings=settings)


def gradio_auth(settings: Settings):
    """The ``auth``/``auth_dependency`` pair for mounting the Gradio page."""
    if settings.auth_header:
        header = settings.auth_header
        return None, (lambda request: request.headers.get(header))
    if settings.auth:
        return list(settings.auth), None
    return None, None
