"""The command line and a running app sharing one store. An embedded store has one process
at a time, so while ``isnad serve`` holds it, ``isnad ask/list/ingest/remove`` go through
that app's HTTP API instead of failing: the app leaves a note in the data dir
(``app.json``: its local URL and process id) once it listens, and takes it away when it stops.
"""
from __future__ import annotations

import getpass
import json
import os
import time
from urllib.parse import quote
from pathlib import Path
from typing import Any

from ingest.atomic import write_json_atomically
from ingest.errors import InvalidInput, IsnadError, Unavailable
from qa.settings import Settings
from vectorstore.locking import held_elsewhere

NOTE_NAME = "app.json"
UPLOAD_WAIT = 60  # seconds one upload request waits for its ingest (the API's longest)


class AppRefused(IsnadError):
    """The running app answered with an error; the message is its ``detail``."""


class AppRefusedInput(AppRefused, InvalidInput):
    """The running app found the request at fault (400): the command's own input, exit 2."""


def local_url(host: str, port: int) -> str:
    """How a process on this machine reaches an app listening on ``host``."""
    reach = "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host
    return f"http://{'[' + reach + ']' if ':' in reach and not reach.startswith('[') else reach}:{port}"


def write_note(settings: Settings, url: str) -> Path:
    note = settings.data_dir / NOTE_NAME
    write_json_atomically(note, {"url": url, "pid": os.getpid()})
    return note


def remove_note(settings: Settings) -> None:
    note = settings.data_dir / NOTE_NAME
    try:
        if json.loads(note.read_text(encoding="utf-8")).get("pid") == os.getpid():
            note.unlink()
    except (OSError, ValueError):
        pass


def running_app_url(settings: Settings) -> str | None:
    """The URL of the app holding this embedded store, if one does: its note names a live
    process and the store's lock is held. A note left by a killed app is ignored."""
    if settings.chroma_host:
        return None  # a server store has no one-process lock: every command opens it itself
    try:
        note = json.loads((settings.data_dir / NOTE_NAME).read_text(encoding="utf-8"))
        os.kill(int(note["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not held_elsewhere(settings.store.folder):
        return None
    return str(note["url"])


class AppClient:
    """The few calls the command line makes, over the app's HTTP API, with the login the
    settings name (the first ``ISNAD_AUTH`` user, or the proxy's user header)."""

    def __init__(self, url: str, settings: Settings, timeout: float = 300.0):
        import httpx

        auth = httpx.BasicAuth(*settings.auth[0]) if settings.auth and not settings.auth_header else None
        headers = {settings.auth_header: getpass.getuser()} if settings.auth_header else {}
        self.url = url
        self.http = httpx.Client(base_url=url, auth=auth, headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, **kwargs) -> Any:
        import httpx

        while True:
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as err:
                raise Unavailable(f"the app at {self.url} holds the store but does not answer ({err})") from err
            if response.status_code == 429:  # too many uploads a minute: wait as told, then go on
                time.sleep(float(response.headers.get("Retry-After", "5")))
                continue
            break
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text[:300]}
        if response.status_code >= 400 and response.status_code not in (404, 422):  # those two the caller reads
            kind = AppRefusedInput if response.status_code == 400 else AppRefused
            raise kind(f"the app at {self.url} refused {method} {path}: {body.get('detail', response.status_code)}")
        return response.status_code, body

    def ask(self, question: str, k: int | None, filters: dict | None = None, as_of: str | None = None) -> dict:
        return self._call("POST", "/api/ask", json={"question": question, "history": [], "k": k, **(filters or {}),
                                                     **({"as_of": as_of} if as_of else {})})[1]

    def list_articles(self) -> list[dict]:
        return self._call("GET", "/api/articles")[1]

    def remove(self, article_id: str) -> bool:
        status, _ = self._call("DELETE", f"/api/articles/{quote(article_id, safe='')}")
        return status != 404

    def upload(self, path: Path, fields: str | None = None, outlet: str | None = None) -> dict:
        """Send one file and wait for its ingest: the job as the app reports it at the end."""
        params = {"filename": path.name, "wait": UPLOAD_WAIT, "fields": fields, "outlet": outlet}
        with open(path, "rb") as f:
            status, job = self._call("POST", "/api/articles", params={k: v for k, v in params.items() if v is not None},
                                     content=f.read())
        while status == 202 or job.get("state") in ("queued", "running"):
            status, job = self._call("GET", f"/api/jobs/{job['id']}")
            status = 202 if job.get("state") in ("queued", "running") else 200
            if status == 202:
                time.sleep(1.0)
        return job

    def close(self) -> None:
        self.http.close()
