"""The login form (``GET/POST /login``) and ``/logout``, for ``ISNAD_AUTH``.

isnad serves its own small form instead of Gradio's: Gradio's login page carries the app's API
description and sets its cookie ``SameSite=None``. Ours is one static template; the cookie is
``HttpOnly``, ``SameSite=Lax`` (sent by pages of the same site, such as an intranet page that
embeds the widget, never by another site's forms) and ``Secure`` when ``ISNAD_PUBLIC_URL`` is
https. ``gradio_client.Client(url, auth=(user, password))`` logs in through the same route.
"""
from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qa import Settings

from .security import SESSION_COOKIE, SESSION_SECONDS, RateLimiter, Sessions, client_address

TEMPLATE = (Path(__file__).parent / "templates" / "login.html").read_text(encoding="utf-8")


def _safe_next(target: str | None) -> str:
    """Only a path of this app: never ``//evil.example`` or ``https://…`` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page(next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = TEMPLATE.replace("{error}", message).replace("{next}", html.escape(next_path, quote=True))
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def build_login(settings: Settings, sessions: Sessions | None, failures: RateLimiter) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    def login_form(next: str = "/") -> Response:  # noqa: A002 - the query parameter's name
        if sessions is None:
            return RedirectResponse(_safe_next(next), status_code=303)
        return _page(_safe_next(next))

    @router.post("/login")
    def login(request: Request, username: str = Form("", max_length=200), password: str = Form("", max_length=1000),
              next: str = Form("/", max_length=2000)) -> Response:  # noqa: A002
        target = _safe_next(next)
        if sessions is None:
            return JSONResponse({"detail": "this server has no login (ISNAD_AUTH is not set)"}, status_code=404)
        client = client_address(request.scope)
        if wait := failures.retry_after(client):
            message = f"too many failed logins; try again in {wait} s"
            headers = {"Retry-After": str(wait)}
            if _wants_html(request):
                return _page(target, f"محاولات كثيرة · {message}", 429)
            return JSONResponse({"detail": message}, status_code=429, headers=headers)
        user = username.strip()
        if not sessions.check_password(user, password):
            failures.record(client)
            if _wants_html(request):
                return _page(target, "اسم المستخدم أو كلمة المرور غير صحيحة · Wrong user name or password", 401)
            return JSONResponse({"detail": "wrong user name or password"}, status_code=401)
        response: Response = (RedirectResponse(target, status_code=303) if _wants_html(request)
                              else JSONResponse({"success": True, "user": user}))
        response.set_cookie(SESSION_COOKIE, sessions.issue(user), max_age=SESSION_SECONDS, httponly=True,
                            samesite="lax", secure=settings.secure_cookies, path="/")
        return response

    @router.get("/logout")
    def logout(request: Request) -> Response:
        if sessions is not None:
            sessions.end(request.cookies.get(SESSION_COOKIE))  # the token stops working now, not in 12 h
        response = RedirectResponse("/login" if sessions is not None else "/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies)
        return response

    return router
