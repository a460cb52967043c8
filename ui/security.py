"""One guard in front of every route of the app: the HTTP API, the widget script, the login
routes and everything the mounted Gradio page serves. A route added later is behind it without
anyone remembering to put it there, because the guard is ASGI middleware around the whole app,
not a decorator per route.

For each request, in order:

1. ``Host`` must name a host the operator configured (:attr:`qa.Settings.allowed_hosts`):
   a page on ``evil.example`` that re-points its DNS at this server (DNS rebinding) is refused.
2. ``Origin``, when a browser sends one, must be this app's own origin, or (for ``/api/`` only)
   one of ``ISNAD_ALLOWED_ORIGINS``: another site cannot make a logged-in browser do anything here.
3. With ``ISNAD_AUTH`` or ``ISNAD_AUTH_HEADER`` set, every route but :data:`PUBLIC_ROUTES` needs
   a user: the session cookie of the login page, HTTP Basic, or the SSO proxy's header. Failed
   passwords are throttled per client address.
4. Bodies are bounded before they are parsed: a declared ``Content-Length`` over the limit is a
   413 at once, a body that grows past it while streaming is cut off, and a client that stops
   sending mid-body is timed out (408).
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from ingest.atomic import write_json_atomically
from qa import Settings
from qa.limits import RateLimiter
from qa.settings import host_name
from qa.uploads import megabytes

log = logging.getLogger(__name__)

SESSION_COOKIE = "isnad_session"
SESSION_SECONDS = 12 * 3600
# Reachable without a user even when a login is configured: the login form itself, and the
# widget's script (code only, no data: host pages load it before anyone has logged in).
PUBLIC_ROUTES = frozenset({("GET", "/login"), ("POST", "/login"), ("GET", "/logout"), ("GET", "/widget.js"),
                           ("HEAD", "/widget.js")})
# Routes whose body is a file: they take up to ISNAD_MAX_FILE_MB instead of ISNAD_MAX_REQUEST_KB.
FILE_ROUTES = frozenset({("POST", "/api/articles"), ("POST", "/gradio_api/upload")})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What the widget on an allowed origin's page calls: the only routes other origins may use.
WIDGET_ROUTES = frozenset({"/api/ask", "/api/ask/stream", "/api/health"})
# Gradio's own routes that isnad does not use: not served at all (its monitoring dashboard
# would be open to anyone when no login is configured).
CLOSED_PREFIXES = ("/monitoring", "/gradio_api/monitoring")
# Request headers that carry credentials: never sent back in a response (Gradio's file route
# echoed them on a Range request).
CREDENTIAL_HEADERS = frozenset({b"cookie", b"authorization", b"proxy-authorization", b"set-cookie2"})


class Sessions:
    """Signed session cookies: ``user.expiry.nonce.signature``. Nothing is kept in memory, so several
    app workers sharing a data dir accept each other's cookies; the signature covers a hash of
    the user's password, so changing a password ends that user's sessions."""

    def __init__(self, secret: bytes, users: dict[str, str], revoked_path: Path | None = None):
        self.secret, self.users = secret, users
        # Tokens ended by /logout before their expiry, shared through a file by every worker.
        self.revoked = RevokedTokens(revoked_path) if revoked_path is not None else None

    @classmethod
    def for_settings(cls, settings: Settings) -> Sessions:
        path = settings.data_dir / "session-secret"
        return cls(_read_or_create_secret(path), dict(settings.auth), settings.data_dir / "revoked-sessions.json")

    def end(self, token: str | None) -> None:
        """Log a session out for good: its token is refused from now on, in every worker."""
        if token and self.revoked is not None and self.user_of(token) is not None:
            self.revoked.add(token.rsplit(".", 1)[-1], int(token.split(".")[1]))  # signature, expiry

    def _sign(self, user: str, expires: int, nonce: str) -> str:
        password_hash = hashlib.sha256(self.users.get(user, "").encode()).hexdigest()
        mac = hmac.new(self.secret, f"{user}\n{expires}\n{nonce}\n{password_hash}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def issue(self, user: str) -> str:
        """``user.expiry.nonce.signature``: the nonce makes every login's token its own, so that
        logging one session out never ends another begun in the same second."""
        expires = int(time.time()) + SESSION_SECONDS
        name = base64.urlsafe_b64encode(user.encode()).decode().rstrip("=")
        nonce = secrets.token_urlsafe(9)
        return f"{name}.{expires}.{nonce}.{self._sign(user, expires, nonce)}"

    def user_of(self, token: str | None) -> str | None:
        if not token or token.count(".") != 3:
            return None
        name, expires, nonce, signature = token.split(".")
        try:
            user = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
            expiry = int(expires)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if user not in self.users or expiry < time.time():
            return None
        if not hmac.compare_digest(signature, self._sign(user, expiry, nonce)):
            return None
        return None if self.revoked is not None and signature in self.revoked else user

    def check_password(self, user: str, password: str) -> bool:
        expected = self.users.get(user)
        # Compare against something even for unknown users, so timing does not tell them apart.
        ok = hmac.compare_digest((expected or "\0").encode(), password.encode())
        return expected is not None and ok


class RevokedTokens:
    """Signatures of logged-out tokens with their expiry, in a small JSON file (re-read when it
    changes); expired ones are dropped as new ones are added, so it stays small."""

    def __init__(self, path: Path):
        self.path = path
        self._seen: tuple[float, dict[str, int]] = (-1.0, {})

    def _load(self) -> dict[str, int]:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return {}
        if mtime != self._seen[0]:
            try:
                body = json.loads(self.path.read_text(encoding="utf-8"))
                self._seen = (mtime, {str(k): int(v) for k, v in body.items()} if isinstance(body, dict) else {})
            except (OSError, ValueError, TypeError):
                self._seen = (mtime, {})
        return self._seen[1]

    def __contains__(self, signature: str) -> bool:
        return signature in self._load()

    def add(self, signature: str, expires: int) -> None:
        now = time.time()
        entries = {k: v for k, v in self._load().items() if v > now}
        entries[signature] = expires
        write_json_atomically(self.path, entries)


def _read_or_create_secret(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    try:
        with open(path, "xb") as f:  # another worker may create it at the same moment: theirs wins
            f.write(secret)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_bytes()
    return secret


def client_address(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def basic_credentials(headers: Headers) -> tuple[str, str] | None:
    header = headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, sep, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


class Refusal(Exception):
    """The guard says no: a status, a message for the client, extra headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


class Guard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app, settings: Settings, sessions: Sessions | None, login_failures: RateLimiter,
                 storage_trouble=None):
        self.app = app
        self.settings = settings
        self.hosts = settings.allowed_hosts
        self.allowed_origins = set(settings.allowed_origins)
        self.sessions = sessions
        self.login_failures = login_failures
        # Why a file may not be kept now (a full disk, the uploads quota), or None: checked
        # before a file route reads a byte, Gradio's upload route included.
        self.storage_trouble = storage_trouble

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        path = scope["path"]
        try:
            self._check_host(headers)
            self._check_origin(headers, method, path)
            if method == "OPTIONS" and headers.get("origin"):
                return await self.app(scope, receive, send)  # CORS preflight, answered by CORSMiddleware
            user = self._user(scope, headers, method, path)
            scope.setdefault("state", {})["user"] = user
            if path.startswith(CLOSED_PREFIXES):
                raise Refusal(404, "Not Found")
            if scope["type"] == "websocket":
                return await self.app(scope, receive, send)
            limit = self._body_limit(headers, method, path)
            if self.storage_trouble is not None and _is_file_route(method, path):
                if (trouble := self.storage_trouble()) is not None:
                    raise Refusal(507, trouble)
        except Refusal as refusal:
            return await self._refuse(scope, send, refusal, headers)
        await self._call_bounded(scope, receive, send, limit)

    # -- the checks ---------------------------------------------------------------------------
    def _check_host(self, headers: Headers) -> None:
        host = host_name(headers.get("host", ""))
        if host not in self.hosts:
            raise Refusal(421, f"this server does not answer to the host '{host[:100]}' (its operator can add it to "
                               "ISNAD_TRUSTED_HOSTS or set ISNAD_PUBLIC_URL)")

    def _check_origin(self, headers: Headers, method: str, path: str) -> None:
        origin = headers.get("origin")
        if origin is None:
            # Browsers send Origin on every cross-origin request that can change state; a
            # request marked cross-site without it is refused all the same.
            if method in UNSAFE_METHODS and headers.get("sec-fetch-site") == "cross-site":
                raise Refusal(403, "cross-site requests are not allowed")
            return
        host = headers.get("host", "")
        if origin in (f"http://{host}", f"https://{host}"):
            return
        allowed = "*" in self.allowed_origins or origin in self.allowed_origins
        if allowed and path.rstrip("/") in WIDGET_ROUTES:
            return
        if allowed and path.startswith("/api/"):
            raise Refusal(403, f"origin {origin[:200]} may call only what the widget uses ({', '.join(sorted(WIDGET_ROUTES))})")
        if path.startswith("/api/"):
            raise Refusal(403, f"origin {origin[:200]} is not allowed to call this API (its operator can list it in "
                               "ISNAD_ALLOWED_ORIGINS)")
        raise Refusal(403, f"origin {origin[:200]} may not use this page: only the app's own pages may")

    def _user(self, scope, headers: Headers, method: str, path: str) -> str | None:
        settings = self.settings
        public = (method, path.rstrip("/") or "/") in PUBLIC_ROUTES
        if settings.auth_header:
            user = headers.get(settings.auth_header)
            if not user and not public:
                raise Refusal(401, f"missing {settings.auth_header} header (set by the SSO proxy)")
            return user or None
        if self.sessions is None:
            return None
        cookie = _cookie(headers, SESSION_COOKIE)
        user = self.sessions.user_of(cookie)
        if user is None and (creds := basic_credentials(headers)) is not None:
            client = client_address(scope)
            if wait := self.login_failures.retry_after(client):
                raise Refusal(429, f"too many failed logins; try again in {wait} s", {"Retry-After": str(wait)})
            if self.sessions.check_password(*creds):
                user = creds[0]
            else:
                self.login_failures.record(client)
        if user is None and not public:
            accepts_html = "text/html" in headers.get("accept", "")
            if method == "GET" and accepts_html and not path.startswith(("/api/", "/gradio_api/")):
                raise Refusal(303, "login required", {"Location": "/login?next=" + quote(path, safe="/")})
            extra = {} if headers.get("origin") else {"WWW-Authenticate": 'Basic realm="isnad"'}
            raise Refusal(401, f"login required: sign in at {self._base(headers)}/login first", extra)
        return user

    def _base(self, headers: Headers) -> str:
        return self.settings.public_url or f"http://{headers.get('host', '')}"

    def _body_limit(self, headers: Headers, method: str, path: str) -> int:
        files = _is_file_route(method, path)
        # A file route's body may be multipart: leave room for the form's own bytes around the file.
        limit = self.settings.max_file_bytes + 64 * 1024 if files else self.settings.max_request_bytes
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise Refusal(400, "Content-Length is not a number")
            if int(declared) > limit:
                raise Refusal(413, self._too_large(files))
        return limit

    # -- bounded bodies ------------------------------------------------------------------------
    async def _call_bounded(self, scope, receive, send, limit: int) -> None:
        if scope["path"].startswith("/gradio_api/"):
            scope, send = hide_working_dir(scope, send)
        timeout = float(self.settings.client_timeout)
        files = _is_file_route(scope["method"], scope["path"])
        state = {"received": 0, "started": False, "done": False}

        async def bounded_receive():
            if state["done"]:
                return await receive()  # after the body: disconnect notices, no deadline
            try:
                message = await asyncio.wait_for(receive(), timeout)
            except asyncio.TimeoutError:
                raise HTTPException(408, f"the request body stopped arriving for {timeout:.0f} s") from None
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    raise HTTPException(413, self._too_large(files))
                state["done"] = not message.get("more_body", False)
            return message

        async def tracked_send(message):
            if message["type"] == "http.response.start":
                state["started"] = True
                headers = message.get("headers", [])
                if any(k.lower() in CREDENTIAL_HEADERS for k, _ in headers):
                    message = {**message, "headers": [(k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS]}
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracked_send)
        except HTTPException as err:
            if err.status_code not in (408, 413) or state["started"]:
                raise
            await self._refuse(scope, send, Refusal(err.status_code, str(err.detail)), Headers(scope=scope))

    def _too_large(self, files: bool) -> str:
        if files:
            return f"the file is larger than the upload limit of {megabytes(self.settings.max_file_bytes)} (ISNAD_MAX_FILE_MB)"
        return f"the request body is larger than {self.settings.max_request_kb} KB (ISNAD_MAX_REQUEST_KB)"

    async def _refuse(self, scope, send, refusal: Refusal, headers: Headers) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": refusal.detail[:120]})
            return
        body = json.dumps({"detail": refusal.detail}, ensure_ascii=False).encode()
        response_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        response_headers += [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
        origin = headers.get("origin")
        if origin and scope["path"].startswith("/api/") and scope.get("method") != "OPTIONS":
            # A refusal carries no data, only its reason: the widget on any page may read it, so
            # it can say "sign in first" (401) or "this page's origin is not allowed" (403).
            response_headers += [(b"access-control-allow-origin", origin.encode()),
                                 (b"access-control-allow-credentials", b"true"), (b"vary", b"Origin")]
        await send({"type": "http.response.start", "status": refusal.status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


def hide_working_dir(scope, send):
    """Gradio answers with the server paths of the files it stores (uploads, outputs). ``isnad
    serve`` runs inside its data dir, where Gradio keeps them, so those paths are sent relative
    to it, which Gradio resolves the same way when a client sends them back. Responses are asked
    for uncompressed so the paths can be found in them."""
    prefix = json.dumps(os.getcwd().rstrip("/") + "/")[1:-1].encode()
    if len(prefix) <= 1:
        return scope, send
    scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
    held: dict = {}

    async def relative_send(message):
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            if b"content-length" in headers:
                held["start"] = message  # a whole body: held until complete, then its length fixed
                held["body"] = b""
                return
            await send(message)
        elif message["type"] == "http.response.body" and "start" in held:
            held["body"] += message.get("body", b"")
            if message.get("more_body", False):
                return
            body = held["body"].replace(prefix, b"")
            start = held.pop("start")
            start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            start["headers"].append((b"content-length", str(len(body)).encode()))
            await send(start)
            await send({"type": "http.response.body", "body": body})
        elif message["type"] == "http.response.body":
            await send({**message, "body": message.get("body", b"").replace(prefix, b"")})
        else:
            await send(message)

    return scope, relative_send


def _is_file_route(method: str, path: str) -> bool:
    return (method, path.rstrip("/")) in FILE_ROUTES


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def install_security(app: FastAPI, settings: Settings, sessions: Sessions | None, login_failures: RateLimiter,
                     storage_trouble=None) -> None:
    """Put the guard (and CORS for the allowed origins) around the whole of ``app``, mounted
    apps included. ``sessions``: the login's cookie signer (None when no login is configured)."""
    # Added last = runs first: the guard refuses before CORS decorates the response.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_credentials="*" not in settings.allowed_origins,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Content-Type", "Authorization"],
    )
    app.add_middleware(Guard, settings=settings, sessions=sessions, login_failures=login_failures,
                       storage_trouble=storage_trouble)


def gradio_user(request) -> str | None:
    """Gradio's ``auth_dependency``: the user the guard already established for this request."""
    return request.scope.get("state", {}).get("user")
