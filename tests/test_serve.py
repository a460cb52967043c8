"""`isnad serve` (what `make run` starts) over a fresh store: seeded, and answering from the seed."""
import subprocess
import sys

from gradio_client import Client

from conftest import cli_env, free_port, wait_for_port


def test_serve_answers_from_the_seed_article(tmp_path, settings):
    settings_env = cli_env(settings) | {"ISNAD_SEED": "1"}
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], env=settings_env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=120, proc=proc)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        reply = client.predict("من ترأس الحوار الإستراتيجي؟", api_name="/chat")
        assert "ناصر بوريطة" in reply
        assert "[1]" in reply and "المغرب شريك موثوق للأمم المتحدة" in reply
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
