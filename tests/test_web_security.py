"""The web surface attacked as the security review did, against a real `isnad serve` on loopback:
each test reproduces one finding (numbered as in the review) and checks it is closed."""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from conftest import clean_env, free_port, running_app, wait_for_port

USERS = {f"user{i}": f"pass-{i}-word" for i in range(12)}
ALLOWED = "http://intranet.example"
EVIL = "https://evil.example"
SECRET = "The vault code is 7342; nobody outside the server may read this line."


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = clean_env()
    env.update({"ISNAD_DATA_DIR": str(data), "ISNAD_AUTH": ",".join(f"{u}:{p}" for u, p in USERS.items()),
                "ISNAD_ALLOWED_ORIGINS": ALLOWED, "ISNAD_MAX_FILE_MB": "1", "ISNAD_MAX_REQUEST_KB": "64",
                "ISNAD_MAX_ARTICLE_CHARS": "3000", "ISNAD_UPLOADS_PER_MINUTE": "4", **extra})
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`isnad serve` with a login, an allowed widget origin and small limits."""
    data = tmp_path_factory.mktemp("guarded")
    with running_app(_env(data), data.parent / "guarded.log") as url:
        yield url, data


def login(base: str, user: str) -> httpx.Client:
    """A client holding user's session cookie, as a browser would after the login form."""
    client = httpx.Client(base_url=base, timeout=120)
    r = client.post("/login", data={"username": user, "password": USERS[user]})
    assert r.status_code == 200 and r.json()["success"], r.text
    return client


def wait_job(client: httpx.Client, job: dict, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    return job


def upload(client: httpx.Client, name: str, body: bytes, **params) -> httpx.Response:
    return client.post("/api/articles", params={"filename": name, **params}, content=body)


# 1 -------------------------------------------------------------------------------------------------
def test_gradio_call_api_cannot_read_server_files(server, tmp_path):
    base, data = server
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret\n" + SECRET, encoding="utf-8")
    client = login(base, "user1")
    answers = []
    for path in (secret, tmp_path / "missing.txt"):
        r = client.post("/gradio_api/call/add_articles",
                        json={"data": [[{"path": str(path), "meta": {"_type": "gradio.FileData"}}], "", ""]})
        assert r.status_code == 200, r.text
        stream = client.get(f"/gradio_api/call/add_articles/{r.json()['event_id']}").text
        answers.append(stream)
        assert "vault code" not in stream and "Errno" not in stream and str(path) not in stream
    assert answers[0] == answers[1]  # a file that exists and one that does not look the same
    listed = client.get("/api/articles").json()
    assert all("secret" not in a["title"].lower() for a in listed)
    # ...and no copy of it was made anywhere under the data dir.
    copies = [p for p in data.rglob("*") if p.is_file() and p.suffix == ".txt" and "vault code" in p.read_text(errors="ignore")]
    assert copies == []


def test_gradio_upload_then_add_articles_still_works(server, tmp_path):
    base, _ = server
    note = tmp_path / "fes-rugs.txt"
    note.write_text("معرض فاس للزرابي\nافتتح في فاس معرض للزرابي يضم ثلاثين حرفيا من جهات المغرب.", encoding="utf-8")
    gradio = Client(f"{base}/", auth=("user2", USERS["user2"]), verbose=False)
    status, _, _ = gradio.predict([handle_file(str(note))], "", "", api_name="/add_articles")
    assert "✓ fes-rugs.txt" in status and "1 article(s) added" in status
    answer = login(base, "user2").post("/api/ask", json={"question": "كم حرفيا يضم معرض فاس للزرابي؟"}).json()
    assert "ثلاثين حرفيا" in answer["answer"]


# 2 -------------------------------------------------------------------------------------------------
def test_dns_rebinding_host_is_refused(server):
    base, _ = server
    port = base.rsplit(":", 1)[1]
    client = login(base, "user3")
    foreign = {"Host": f"rebind.evil.example:{port}", "Origin": f"http://rebind.evil.example:{port}"}
    for method, path in (("GET", "/api/articles"), ("POST", "/api/articles?filename=x.txt"), ("GET", "/"),
                         ("GET", "/config"), ("POST", "/gradio_api/upload")):
        r = client.request(method, path, headers=foreign, content=b"hello")
        assert r.status_code == 421 and "ISNAD_TRUSTED_HOSTS" in r.json()["detail"], (method, path, r.text)
    assert client.get("/api/articles", headers={"Host": f"localhost:{port}"}).status_code == 200


# 3 -------------------------------------------------------------------------------------------------
def test_json_bodies_are_capped_before_parsing(server):
    base, _ = server
    client = login(base, "user4")
    started = time.monotonic()
    huge = _raw(base)  # a 157 MB body announced: refused from its headers, before a byte of it is read
    huge.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: "
                 + _basic("user4") + b"\r\nContent-Length: 157000000\r\n\r\n{")
    reply = _reply(huge)
    huge.close()
    assert reply.startswith(b"HTTP/1.1 413") and b"ISNAD_MAX_REQUEST_KB" in reply, reply

    def chunks():  # no Content-Length: counted while it arrives, cut off past the limit
        yield b'{"question": "' + b"a" * 50_000
        for _ in range(100):
            yield b"a" * 50_000

    r = client.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert time.monotonic() - started < 10
    r = client.post("/api/feedback", json={"rating": "up", "question": "q", "answer": "ا" * 30_000})
    assert r.status_code == 422 and "answer: too long" in r.json()["detail"]
    r = client.post("/api/ask", json={"question": "ما هو البراق؟", "history": [["q", "a"]] * 30})
    assert r.status_code == 422 and r.json()["detail"].startswith("history")


# 4 -------------------------------------------------------------------------------------------------
def test_uploads_are_background_jobs_with_caps_and_a_rate_limit(server):
    base, _ = server
    client = login(base, "user5")
    r = upload(client, "dunes.txt", "كثبان مرزوكة\nتستقبل كثبان مرزوكة آلاف الزوار كل شتاء لمشاهدة شروق الشمس.".encode())
    assert r.status_code == 202 and r.headers["location"] == f"/api/jobs/{r.json()['id']}"
    job = wait_job(client, r.json())
    assert job["state"] == "done" and job["written"] == 1 and job["article_ids"]
    assert "آلاف الزوار" in client.post("/api/ask", json={"question": "كم زائرا تستقبل كثبان مرزوكة كل شتاء؟"}).json()["answer"]

    long_article = ("مقال طويل\n" + "جملة عن الطقس في المدينة اليوم. " * 200).encode()
    job = wait_job(client, upload(client, "long.txt", long_article).json())
    assert job["state"] == "failed" and "ISNAD_MAX_ARTICLE_CHARS" in job["errors"][0]
    assert client.get("/api/jobs/no-such-job").status_code == 404

    # user5 has made 2 uploads; the limit is 4 a minute, then 429 with when to come back.
    statuses = [upload(client, f"n{i}.txt", f"عنوان {i}\nنص قصير رقم {i} عن الرباط.".encode()).status_code for i in range(4)]
    assert statuses == [202, 202, 429, 429]
    r = upload(client, "n9.txt", b"title\nbody")
    assert int(r.headers["retry-after"]) > 0 and "ISNAD_UPLOADS_PER_MINUTE" in r.json()["detail"]
    # ...counted per user: another user is not held back.
    assert upload(login(base, "user6"), "other.txt", "عنوان\nنص آخر عن طنجة.".encode()).status_code == 202


# 5 -------------------------------------------------------------------------------------------------
def test_same_file_name_never_replaces_another_article(server):
    base, _ = server
    client = login(base, "user7")
    first = wait_job(client, upload(client, "report.txt", "تقرير الصيد\nارتفعت كميات السمك المفرغة في ميناء آسفي.".encode()).json())
    second = wait_job(client, upload(client, "sub/report.txt", "تقرير الفلاحة\nتحسن محصول الزيتون في إقليم تاونات.".encode()).json())
    ids = {a["id"] for a in client.get("/api/articles").json()}
    assert first["article_ids"][0] in ids and second["article_ids"][0] in ids
    # Replacing is explicit, by id.
    third = wait_job(client, upload(client, "report.txt", "تقرير الصيد المصحح\nارتفعت كميات السردين في ميناء آسفي.".encode(),
                                    replace=first["article_ids"][0]).json())
    ids = {a["id"] for a in client.get("/api/articles").json()}
    assert third["replaced"] == first["article_ids"][0] and first["article_ids"][0] not in ids
    assert third["article_ids"][0] in ids and second["article_ids"][0] in ids
    r = upload(client, "x.txt", b"t\nbody", replace="no-such-article")
    assert r.status_code == 404


# 7, 8 ----------------------------------------------------------------------------------------------
def test_json_loader_errors_are_per_file_and_clear(server, tmp_path):
    base, _ = server
    client = login(base, "user8")
    nested = wait_job(client, upload(client, "deep.json", b"[" * 100_000 + b"]" * 100_000).json())
    assert nested["state"] == "failed" and "nested too deeply" in nested["errors"][0]
    digits = wait_job(client, upload(client, "digits.json", b'{"id": ' + b"7" * 5000 + b', "text": "x"}').json())
    assert digits["state"] == "failed" and "number is too long" in digits["errors"][0]
    assert "4300" not in digits["errors"][0] and "sys.set_int_max_str_digits" not in digits["errors"][0]

    lines = b'{"id": "ok-1", "title": "t", "text": "\xd9\x86\xd8\xb5 \xd8\xb3\xd9\x84\xd9\x8a\xd9\x85"}\n{broken\n'
    job = wait_job(client, upload(client, "feed.jsonl", lines).json())
    assert job["state"] == "done" and job["written"] == 1 and len(job["errors"]) == 1 and "line 2" in job["errors"][0]
    article = client.get("/api/articles/ok-1").json()
    assert (server[1] / article["source"]).is_file()  # the article points at a file that exists


def test_cli_ingests_the_good_file_beside_a_bad_json(tmp_path):
    (tmp_path / "bad.json").write_bytes(b"[" * 100_000)
    (tmp_path / "good.txt").write_text("عنوان جيد\nنص جيد عن مدينة وجدة.", encoding="utf-8")
    env = clean_env() | {"ISNAD_DATA_DIR": str(tmp_path / "data"), "ISNAD_SEED": "0"}
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "ingest", str(tmp_path / "bad.json"), str(tmp_path / "good.txt")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert "nested too deeply" in proc.stderr and "Traceback" not in proc.stderr
    assert "1 new or changed" in proc.stdout


# 9 -------------------------------------------------------------------------------------------------
def test_long_file_names_keep_their_extension(server):
    base, _ = server
    client = login(base, "user9")
    r = upload(client, "a" * 300 + ".txt", "عنوان\nنص عن الصويرة ومهرجانها.".encode(), wait=60)
    assert r.status_code == 201 and r.json()["file"].endswith(".txt") and len(r.json()["file"]) <= 120
    r = upload(client, "b" * 116 + ".txt.pdf", b"plain text, not a PDF", wait=60)
    assert r.status_code == 422 and "PDF" in " ".join(r.json()["errors"])
    # The same text again, under another name: nothing new, and the answer says so.
    r = upload(client, "again.txt", "عنوان\nنص عن الصويرة ومهرجانها.".encode(), wait=60)
    assert r.status_code == 200 and r.json()["written"] == 0 and r.json()["unchanged"] == 1


# 10, 11 --------------------------------------------------------------------------------------------
def test_no_server_paths_and_offline_docs(server):
    base, data = server
    client = login(base, "user10")
    health = client.get("/api/health").json()
    assert str(data) not in json.dumps(health) and "/" not in health["store"]
    for article in client.get("/api/articles").json():
        assert not article["source"].startswith("/"), article
    r = client.post("/gradio_api/upload", files={"files": ("note.txt", b"t\nbody")})
    assert r.status_code == 200 and all(not p.startswith("/") for p in r.json()), r.text
    docs = client.get("/api/docs").text
    assets = [u for u in re.findall(r'(?:src|href)="([^"]+)"', docs) if not u.startswith("data:")]
    assert assets and all(u.startswith("/api/docs/assets/") for u in assets), assets
    assert "cdn" not in docs.lower() and "googleapis" not in docs
    assert all(client.get(u).status_code == 200 for u in assets)
    assert client.get("/redoc").status_code == 404
    assert httpx.get(f"{base}/redoc").status_code == 401  # and nothing without a login


# 12 ------------------------------------------------------------------------------------------------
def test_gradio_routes_are_behind_the_guard(server):
    base, _ = server
    anonymous = httpx.Client(base_url=base, timeout=30)
    for path in ("/gradio_api/reset", "/gradio_api/cancel"):
        assert anonymous.post(path, json={}).status_code == 401
    assert anonymous.get("/config").status_code == 401
    assert anonymous.get("/", headers={"Accept": "text/html"}).headers["location"] == "/login?next=/"
    page = anonymous.get("/login").text
    assert "ask_chat" not in page and "dependencies" not in page and "<form" in page

    client = login(base, "user11")
    set_cookie = httpx.post(f"{base}/login", data={"username": "user11", "password": USERS["user11"]}).headers["set-cookie"]
    assert "samesite=lax" in set_cookie.lower() and "httponly" in set_cookie.lower()
    evil = {"Origin": EVIL}
    r = client.post("/gradio_api/call/ask_chat", json={"data": ["من ترأس الحوار؟", [], []]}, headers=evil)
    assert r.status_code == 403
    r = client.post("/gradio_api/upload", files={"files": ("x.exe", b"MZ" * 1000)}, headers=evil)
    assert r.status_code == 403
    r = httpx.post(f"{base}/login", data={"username": "user11", "password": USERS["user11"]}, headers=evil)
    assert r.status_code == 403 and "set-cookie" not in r.headers
    assert client.get("/api/articles").status_code == 200  # the session still works from the app's own origin


# 14 ------------------------------------------------------------------------------------------------
def test_bidi_overrides_do_not_spoof_the_page(server):
    base, _ = server
    client = login(base, "user0")
    text = "ملف المرفقات\nأرسلت الوزارة ملفا باسم \u202efdp.exe إلى جميع الموظفين صباح الإثنين."
    job = wait_job(client, upload(client, "bidi.txt", text.encode()).json())
    assert job["state"] == "done"
    gradio = Client(f"{base}/", auth=("user0", USERS["user0"]), verbose=False)
    chat, sources, _ = gradio.predict("ما الملف الذي أرسلته الوزارة إلى الموظفين؟", [], api_name="/ask_chat")
    shown = chat[-1]["content"][0]["text"] + sources
    assert "fdp.exe" in shown and "\u202e" not in shown
    stored = client.get(f"/api/articles/{job['article_ids'][0]}").json()["text"]
    assert "\u202efdp.exe" in stored  # the stored text is unchanged


# 13, 15 -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """A second app whose clients get 2 s to send their request, and 3 wrong passwords a minute."""
    data = tmp_path_factory.mktemp("strict")
    env = _env(data, ISNAD_CLIENT_TIMEOUT="2", ISNAD_LOGIN_FAILURES_PER_MINUTE="3", ISNAD_SEED="0")
    with running_app(env, data.parent / "strict.log") as url:
        # A session opened before any test: the throttling test locks this address out of logins.
        yield url, data.parent / "strict.log", login(url, "user2")


def test_password_guessing_is_throttled(strict_server):
    base, _, session = strict_server  # logged in before the attack: a session is not locked out
    statuses = [httpx.post(f"{base}/login", data={"username": "user1", "password": f"guess{i}"}).status_code
                for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    r = httpx.post(f"{base}/login", data={"username": "user1", "password": USERS["user1"]})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    basic = httpx.get(f"{base}/api/health", auth=("user1", USERS["user1"]))
    assert basic.status_code == 429
    assert session.get("/api/health").status_code == 200


def _basic(user: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{USERS[user]}".encode())


def _reply(sock: socket.socket) -> bytes:
    """A whole HTTP response from a raw socket: headers, then as many body bytes as they announce
    (the two may arrive in separate packets)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE).group(1))
    while len(body) < length and (chunk := sock.recv(4096)):
        body += chunk
    return head + b"\r\n\r\n" + body


def _raw(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def test_slow_clients_are_timed_out_and_disconnects_are_quiet(strict_server):
    base, log, session = strict_server
    slow_headers = _raw(base)
    slow_headers.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    assert slow_headers.recv(100) == b""  # closed by the server...
    assert 1.5 < time.monotonic() - started < 6  # ...after ISNAD_CLIENT_TIMEOUT
    slow_headers.close()

    cookie = b"Cookie: isnad_session=" + session.cookies["isnad_session"].encode()
    slow_body = _raw(base)
    slow_body.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      + cookie + b"\r\nContent-Length: 100\r\n\r\n{\"question\"")
    reply = _reply(slow_body)
    assert reply.startswith(b"HTTP/1.1 408") and b"stopped arriving" in reply, reply
    slow_body.close()

    gone = _raw(base)
    gone.sendall(b"POST /api/articles?filename=big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 + cookie + b"\r\nContent-Length: 500000\r\n\r\n" + b"a" * 100_000)
    gone.close()
    time.sleep(1)
    assert session.get("/api/health").status_code == 200
    assert "Traceback" not in log.read_text(errors="ignore")


# 16 ------------------------------------------------------------------------------------------------
def test_kill_during_an_upload_leaves_no_orphan_file(tmp_path):
    data = tmp_path / "data"
    env = _env(data, ISNAD_SEED="0", ISNAD_MAX_ARTICLE_CHARS="200000")
    port = free_port()
    command = [sys.executable, "-m", "ui.cli", "serve", "--port", str(port)]
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, timeout=120, proc=proc)
            client = login(f"http://127.0.0.1:{port}", "user1")
            for place in ("الشمال", "الجنوب"):  # long enough that neither is an article when the kill comes
                text = ("مقال\n" + f"جملة قصيرة عن الأمطار في {place} هذا الأسبوع. " * 1500).encode()
                assert upload(client, f"rain-{len(place)}.txt", text).status_code == 202
            os.kill(proc.pid, signal.SIGKILL)  # stored and queued, not yet articles
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    orphans = [p for p in (data / "uploads").rglob("*") if p.is_file()]
    assert len(orphans) == 2, "both uploads were stored before the kill"
    with running_app(env, tmp_path / "restart.log") as base:
        client = login(base, "user1")
        # Accepted uploads are not lost with the process: their jobs resume after the restart.
        deadline = time.monotonic() + 180
        while len(client.get("/api/articles").json()) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        sources = {a["source"] for a in client.get("/api/articles").json()}
        left = [str(p.relative_to(data)) for p in (data / "uploads").rglob("*") if p.is_file()]
        assert len(sources) == 2 and set(left) == sources
        assert not [p for p in (data / "uploads").rglob(".partial-*")]
