"""`isnad serve` (what `make run` starts) over a fresh store: seeded, and answering from the seed
through the REST API and through Gradio's own client API."""
import json
import re
import subprocess
import sys
from pathlib import Path

import gradio_client
import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import cli_env, running_app

README = Path(__file__).resolve().parents[1] / "README.md"


def test_serve_answers_from_the_seed_article(tmp_path, settings):
    with running_app(cli_env(settings) | {"ISNAD_SEED": "1"}, tmp_path / "serve.log") as base:
        answer = httpx.post(f"{base}/api/ask", json={"question": "من ترأس الحوار الإستراتيجي؟"}, timeout=60).json()
        assert "ناصر بوريطة" in answer["answer"] and not answer["abstained"]
        assert answer["citations"][0]["title"].startswith("المغرب شريك موثوق للأمم المتحدة")

        gradio = Client(f"{base}/", verbose=False)
        chat, sources, _ = gradio.predict("من ترأس الحوار الإستراتيجي؟", [], api_name="/ask_chat")
        reply = chat[-1]["content"][0]["text"]
        assert "ناصر بوريطة" in reply and "isnad-cite" in reply
        assert "المغرب شريك موثوق للأمم المتحدة" in sources

        # The stateless endpoint: /api/ask's JSON; the history sent is the whole conversation.
        same = gradio.predict("من ترأس الحوار الإستراتيجي؟", [], api_name="/ask")
        assert same == answer
        follow = gradio.predict("ومن شارك في رئاسته؟", [["من ترأس الحوار الإستراتيجي؟", same["answer"]]], api_name="/ask")
        assert "من ترأس الحوار الإستراتيجي؟" in follow["question_used"]
        alone = gradio.predict("ومن شارك في رئاسته؟", [], api_name="/ask")
        assert alone["question_used"] == "ومن شارك في رئاسته؟"  # nothing carried over from the call before
        with pytest.raises(AppError, match="the question is empty"):
            gradio.predict("   ", [], api_name="/ask")
        # ... and the README's line for it, as printed (with this app's address).
        (line,) = re.findall(r"`(gradio_client\.Client\(.*?api_name=\"/ask\"\))`", README.read_text(encoding="utf-8"))
        printed = eval(line.replace("http://127.0.0.1:7860/", f"{base}/"), {"gradio_client": gradio_client})  # noqa: S307
        assert printed["status"] == "answered" and printed["citations"]

        # `isnad bench load` against the same app: every request answered, and counted.
        load = subprocess.run([sys.executable, "-m", "ui.cli", "bench", "load", "--url", base, "--concurrency", "4",
                               "--requests", "20", "--json"], env=cli_env(settings), capture_output=True, text=True,
                              timeout=300)
        assert load.returncode == 0, load.stderr
        summary = json.loads(load.stdout)
        assert summary["ok"] == 20 and summary["errors"] == 0 and 0 < summary["p50_ms"] <= summary["p99_ms"]

        # ... and errors are counted, not hidden: a closed port fails every request.
        down = subprocess.run([sys.executable, "-m", "ui.cli", "bench", "load", "--url", "http://127.0.0.1:9",
                               "--concurrency", "2", "--requests", "4", "--json"], env=cli_env(settings),
                              capture_output=True, text=True, timeout=300)
        assert down.returncode == 1 and json.loads(down.stdout)["errors"] == 4
