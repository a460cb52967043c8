"""The HTTP API in-process (FastAPI TestClient) over a real store, embedded and server."""
import base64
import dataclasses
import json

import pytest
from fastapi.testclient import TestClient

from conftest import LOCAL
from qa import Assistant
from ui.app import create_app

ALLOWED = "http://intranet.example"


@pytest.fixture
def client(bot, fixture_dir):
    bot.ingest([fixture_dir])
    bot.settings = dataclasses.replace(bot.settings, allowed_origins=(ALLOWED,))
    with TestClient(create_app(bot), base_url=LOCAL) as c:
        yield c


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_returns_answer_and_citations(client):
    r = client.post("/api/ask", json={"question": "كم تبلغ قدرة محطة نور؟"})
    assert r.status_code == 200
    body = r.json()
    # no fallback and no notice: no extra keys
    assert set(body) == {"answer", "lead", "status", "citations", "abstained", "question_used"}
    assert "٥٨٠ ميغاواط" in body["answer"] and not body["abstained"] and body["status"] == "answered"
    assert body["lead"] in body["answer"] and body["lead"].endswith("]")
    c = body["citations"][0]
    assert {"n", "article_id", "title", "text", "start", "end", "page", "score"} <= set(c)
    article = client.get(f"/api/articles/{c['article_id']}").json()
    assert article["text"][c["start"]:c["end"]] == c["text"]


def test_stream_sends_sources_then_deltas_then_answer(client):
    r = client.post("/api/ask/stream", json={"question": "كم تبلغ قدرة محطة نور؟", "history": []})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "answer" and set(names[1:-1]) == {"delta"}
    assert "".join(d["text"] for n, d in events if n == "delta") == events[-1][1]["answer"]["answer"]


def test_follow_up_through_the_api(client):
    first = "ما هو المهرجان الذي انطلق في مدينة فاس؟"
    prev = client.post("/api/ask", json={"question": first}).json()["answer"]
    r = client.post("/api/ask", json={"question": "وكم يوما يستمر؟", "history": [[first, prev]]}).json()
    assert r["question_used"].startswith(first) and "تسعة أيام" in r["answer"]


def test_an_article_is_removed_through_the_api(client):
    question = "كم تبلغ قدرة محطة نور؟"
    article_id = client.post("/api/ask", json={"question": question}).json()["citations"][0]["article_id"]
    r = client.delete(f"/api/articles/{article_id}")
    assert r.status_code == 200 and r.json() == {"removed": article_id}
    assert client.get(f"/api/articles/{article_id}").status_code == 404
    assert client.delete(f"/api/articles/{article_id}").status_code == 404
    assert article_id not in {a["id"] for a in client.get("/api/articles").json()}
    after = client.post("/api/ask", json={"question": question}).json()
    assert article_id not in {c["article_id"] for c in after["citations"]}


def test_articles_health_and_widget(client):
    listed = client.get("/api/articles").json()
    assert len(listed) == 7 and {"id", "title", "chunks"} <= set(listed[0])
    assert client.get("/api/articles/no-such-id").status_code == 404
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["articles"] == 7 and health["answerer"] == "extractive"
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("application/javascript")
    assert "attachShadow" in widget.text
    # Monitors and link checkers ask with HEAD.
    assert client.head("/widget.js").status_code == 200 and client.head("/api/health").status_code == 200


@pytest.mark.parametrize(
    "payload,status,needle",
    [
        ({"question": "   "}, 422, "question: the question is empty"),
        ({}, 422, "question: Field required"),
        ({"question": "x", "k": 0}, 422, "k:"),
        ({"question": "x", "k": 10_000}, 422, "k:"),
        ({"question": "س" * 5000}, 422, "too long"),
        ({"question": "x", "k": True}, 422, "k:"),
    ],
)
def test_bad_requests_get_clear_4xx(client, payload, status, needle):
    r = client.post("/api/ask", json=payload)
    assert r.status_code == status and needle in r.json()["detail"]


def test_malformed_json_and_wrong_content_type(client):
    r = client.post("/api/ask", content=b"{oops", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = client.post("/api/ask", content=b"question=hi", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422


def test_cross_origin_allowed_and_refused(client):
    ok = client.options("/api/ask/stream", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "content-type"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ALLOWED
    r = client.post("/api/ask", json={"question": "محطة نور"}, headers={"Origin": ALLOWED})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED

    evil = "http://evil.example"
    pre = client.options("/api/ask/stream", headers={"Origin": evil, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    r = client.post("/api/ask", json={"question": "محطة نور"}, headers={"Origin": evil})
    assert r.status_code == 403 and "not allowed" in r.json()["detail"]


def test_feedback_is_stored_and_exported(client):
    answer = client.post("/api/ask", json={"question": "كم تبلغ قدرة محطة نور؟"}).json()
    r = client.post("/api/feedback", json={"rating": "up", "question": "كم تبلغ قدرة محطة نور؟",
                                            "answer": answer["answer"], "citations": answer["citations"]})
    assert r.status_code == 200
    assert client.post("/api/feedback", json={"rating": "meh", "question": "q", "answer": "a"}).status_code == 422
    lines = client.get("/api/feedback/export").text.strip().split("\n")
    record = json.loads(lines[-1])
    assert record["rating"] == "up" and record["citations"][0]["article_id"] == answer["citations"][0]["article_id"]


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_basic_auth_and_sso_header(settings, e5):
    bot = Assistant(dataclasses.replace(settings, auth=(("amal", "s3cret"),)), embedder=e5)
    with TestClient(create_app(bot), base_url=LOCAL) as c:
        assert c.get("/api/health").status_code == 401
        bad = base64.b64encode(b"amal:wrong").decode()
        assert c.get("/api/health", headers={"Authorization": f"Basic {bad}"}).status_code == 401
        good = base64.b64encode(b"amal:s3cret").decode()
        assert c.get("/api/health", headers={"Authorization": f"Basic {good}"}).status_code == 200
    sso = Assistant(dataclasses.replace(settings, auth_header="X-Forwarded-User"), embedder=e5)
    with TestClient(create_app(sso), base_url=LOCAL) as c:
        assert c.get("/api/health").status_code == 401
        assert c.get("/api/health", headers={"X-Forwarded-User": "amal"}).status_code == 200


def test_gradio_monitoring_is_not_served_without_a_login_either(client):
    """With no ISNAD_AUTH every route is open to whoever reaches the port: Gradio's monitoring
    dashboard (request logs, timings) is not among them."""
    for path in ("/monitoring", "/monitoring/summary", "/gradio_api/monitoring"):
        assert client.get(path).status_code == 404, path
