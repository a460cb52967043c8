"""`isnad serve` (what `make run` starts) over a fresh store: seeded, and answering from the seed
through the REST API and through Gradio's own client API."""
import httpx
from gradio_client import Client

from conftest import cli_env, running_app


def test_serve_answers_from_the_seed_article(tmp_path, settings):
    with running_app(cli_env(settings) | {"ISNAD_SEED": "1"}, tmp_path / "serve.log") as base:
        answer = httpx.post(f"{base}/api/ask", json={"question": "من ترأس الحوار الإستراتيجي؟"}, timeout=60).json()
        assert "ناصر بوريطة" in answer["answer"] and not answer["abstained"]
        assert answer["citations"][0]["title"].startswith("المغرب شريك موثوق للأمم المتحدة")

        chat, sources, _ = Client(f"{base}/", verbose=False).predict("من ترأس الحوار الإستراتيجي؟", [], api_name="/ask_chat")
        reply = chat[-1]["content"][0]["text"]
        assert "ناصر بوريطة" in reply and "isnad-cite" in reply
        assert "المغرب شريك موثوق للأمم المتحدة" in sources
