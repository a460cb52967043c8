"""A fake OpenAI-compatible chat endpoint on loopback: the real wire protocol (JSON and SSE
streaming), scripted replies, and a record of every request. Only the remote LLM is faked, and
it can misbehave as real local servers do: keep-alive comments while it "thinks" (forever, if
asked), a slow stream, an answer cut at its length limit, a connection the client closes."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = Callable[[list[dict]], str]


class FakeOpenAI:
    def __init__(self, reply: Reply, delay: float = 0.0, *, pings: float | None = None, ping_every: float = 0.2,
                 chunk_delay: float = 0.0, finish_reason: str | None = "stop"):
        """``delay``: silence before answering; ``pings``: seconds of keep-alive comments
        (``": ping"``, as llama.cpp sends) before the first token (``float("inf")``: forever);
        ``chunk_delay``: seconds between streamed pieces; ``finish_reason``: what the last
        chunk says (``"length"``: cut at max_tokens; None: the stream just ends)."""
        self.reply = reply
        self.delay = delay
        self.pings, self.ping_every = pings, ping_every
        self.chunk_delay = chunk_delay
        self.finish_reason = finish_reason
        self.requests: list[dict] = []
        self.disconnects = 0  # streams the client closed before their end
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                if fake.delay:
                    time.sleep(fake.delay)
                text = fake.reply(body["messages"])
                if body.get("stream"):
                    try:
                        self.stream(body, text)
                    except (BrokenPipeError, ConnectionResetError):
                        fake.disconnects += 1
                    return
                payload = json.dumps({
                    "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": fake.finish_reason}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def stream(self, body, text):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                if fake.pings:
                    until = time.monotonic() + fake.pings
                    while time.monotonic() < until:
                        self.wfile.write(b": ping\n\n")
                        self.wfile.flush()
                        time.sleep(fake.ping_every)
                # Small pieces, so citation markers arrive split across chunks.
                for i in range(0, len(text), 3):
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "delta": {"content": text[i:i + 3]}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if fake.chunk_delay:
                        time.sleep(fake.chunk_delay)
                if fake.finish_reason is not None:
                    end = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                           "choices": [{"index": 0, "delta": {}, "finish_reason": fake.finish_reason}]}
                    self.wfile.write(f"data: {json.dumps(end)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client that gave up (timeout tests) breaks the pipe; that is expected, not news.
        self.server.handle_error = lambda request, address: None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
