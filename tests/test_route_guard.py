"""Every route of the app, read from the app itself (FastAPI's and every mounted Gradio route),
is behind the guard: no data without a login, no effect from another origin, nothing for a
foreign Host. A route added later is walked without editing this test."""
from __future__ import annotations

import base64
import dataclasses
import re

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from conftest import LOCAL
from qa import Assistant
from ui.app import create_app
from ui.security import PUBLIC_ROUTES

PASSWORD = base64.b64encode(b"amal:s3cret").decode()


def route_table(routes, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route, included routers and mounted apps included, path
    parameters filled in."""
    table = []
    for context in iter_route_contexts(routes):
        route = context.original_route
        path = re.sub(r"\{[^}]+\}", "x", prefix + (context.path or ""))
        if isinstance(route, Mount):
            inner = getattr(route.app, "routes", None)
            table += route_table(inner, path) if inner else [("GET", path + "/x")]
        elif isinstance(route, WebSocketRoute):
            table.append(("WEBSOCKET", path))
        else:
            table += [(method, path or "/") for method in sorted(context.methods or {"GET"}) if method != "HEAD"]
    return sorted(set(table))


@pytest.fixture(scope="module")
def app_and_routes(tmp_path_factory, e5):
    from qa import Settings

    data = tmp_path_factory.mktemp("routes")
    settings = Settings.from_env({"ISNAD_DATA_DIR": str(data), "ISNAD_SEED": "0"})
    settings = dataclasses.replace(settings, auth=(("amal", "s3cret"),), allowed_origins=("http://intranet.example",))
    bot = Assistant(settings, embedder=e5)
    app = create_app(bot)
    table = route_table(app.routes)
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as client:
        yield client, table
    bot.close()


def _request(client, method: str, path: str, headers: dict):
    if method == "WEBSOCKET":
        try:
            with client.websocket_connect(path, headers=headers):
                return 101
        except WebSocketDisconnect as closed:
            return closed.code
    return client.request(method, path, headers=headers, content=b"{}").status_code


def test_the_route_table_is_read_from_the_app(app_and_routes):
    _, table = app_and_routes
    paths = {path for _, path in table}
    # FastAPI's routes and Gradio's, as mounted: the walk reaches into the mounted app.
    assert {"/api/ask", "/api/articles", "/widget.js", "/login", "/gradio_api/upload", "/config"} <= paths
    assert len(table) > 40


def test_no_data_without_credentials(app_and_routes):
    client, table = app_and_routes
    for method, path in table:
        if (method, path.rstrip("/") or "/") in PUBLIC_ROUTES:
            continue
        status = _request(client, method, path, {"Accept": "application/json"})
        assert status in (401, 1008), (method, path, status)
        if method == "GET":  # a browser is sent to the login form instead
            r = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
            assert r.status_code in (401, 303), (path, r.status_code)
            assert r.status_code == 401 or r.headers["location"].startswith("/login?next=")


def test_public_routes_hold_no_data(app_and_routes):
    client, _ = app_and_routes
    for method, path in PUBLIC_ROUTES:
        r = client.request(method, path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code < 500
        assert "article" not in r.text.lower() or path == "/widget.js"  # the login form and the widget's code only


def test_no_effect_from_another_origin(app_and_routes):
    client, table = app_and_routes
    headers = {"Authorization": f"Basic {PASSWORD}", "Origin": "https://evil.example"}
    for method, path in table:
        if method == "OPTIONS":
            continue
        status = _request(client, method, path, headers)
        assert status in (403, 1008), (method, path, status)


def test_a_foreign_host_is_refused(app_and_routes):
    client, table = app_and_routes
    headers = {"Authorization": f"Basic {PASSWORD}", "Host": "rebind.evil.example"}
    for method, path in table:
        status = _request(client, method, path, headers)
        assert status in (421, 1008), (method, path, status)
