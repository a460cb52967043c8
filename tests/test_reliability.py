"""Deployment beyond one process, and faults done for real: a second process on an embedded
store, an ingest killed with SIGKILL mid-write, several app processes and a CLI sharing one
Chroma server, and a Chroma server that stops and comes back."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from conftest import DATA, clean_env, cli_env, free_port, running_app, stop, wait_for_port
from ingest.chunking import article_sentences
from qa import Assistant

ISNAD = [sys.executable, "-m", "ui.cli"]


def _xquad_files(folder: Path, n: int) -> dict[str, str]:
    """``n`` XQuAD-ar paragraphs as .txt files; returns file stem -> text."""
    data = json.loads((DATA / "xquad/xquad.ar.json").read_text(encoding="utf-8"))
    paragraphs = [p["context"].strip() for doc in data["data"] for p in doc["paragraphs"]][:n]
    folder.mkdir(parents=True, exist_ok=True)
    texts = {}
    for i, text in enumerate(paragraphs):
        (folder / f"p{i:03d}.txt").write_text(text, encoding="utf-8")
        texts[f"p{i:03d}"] = text
    return texts


def assert_consistent(bot: Assistant, expected_articles: int) -> None:
    """Exactly the expected articles; every chunk and sentence belongs to one, none missing,
    none twice; the lexical index holds exactly the stored chunks."""
    store = bot.store
    articles = {a.id: a for a in store.list_articles()}
    assert len(articles) == expected_articles
    chunks = list(store.iter_chunks())
    per_article = Counter(str(meta["article_id"]) for _, _, meta in chunks)
    assert set(per_article) == set(articles), "orphan chunks, or articles without chunks"
    for article_id, info in articles.items():
        assert per_article[article_id] == info.chunks
        indexes = sorted(int(meta["chunk_index"]) for _, _, meta in chunks if meta["article_id"] == article_id)
        assert indexes == list(range(info.chunks)), f"{article_id}: chunk indexes {indexes}"
    assert len({cid for cid, _, _ in chunks}) == len(chunks)
    sentences = store.sentences.get(include=["metadatas"])
    per_article_sentences = Counter(str(m["article_id"]) for m in sentences["metadatas"])
    for article_id in articles:
        article = store.load_article(article_id)
        assert per_article_sentences.pop(article_id, 0) == len(article_sentences(article))
    assert not per_article_sentences, f"orphan sentences of {sorted(per_article_sentences)}"
    assert store.journal.count() == 0
    lexical = bot.retriever.lexical
    lexical.sync(store)
    assert sorted(lexical._ids) == sorted(cid for cid, _, _ in chunks)


# -- embedded mode: one process at a time -----------------------------------------------------
@pytest.mark.parametrize("mode", ["embedded"])
def test_second_process_on_an_embedded_store_gets_a_clear_error(settings, e5, fixture_dir):
    bot = Assistant(settings, embedder=e5)
    assert bot.ingest([fixture_dir / "wire.json"]).ok
    env = cli_env(settings)
    refused = subprocess.run([*ISNAD, "ingest", str(fixture_dir)], env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2  # isnad's exit code for a configuration or store error
    assert f"in use by process {os.getpid()}" in refused.stderr and "Chroma server" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sorted(a.id for a in bot.list_articles()) == ["wire-001", "wire-002"]  # nothing lost, nothing added

    bot.close()
    listed = subprocess.run([*ISNAD, "list", "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert sorted(a["id"] for a in json.loads(listed.stdout)) == ["wire-001", "wire-002"]


# -- SIGKILL in the middle of a batch ------------------------------------------------------------
def _raw_count(settings, suffix: str) -> int:
    """Records of one collection, read straight from Chroma (no isnad code, so no recovery runs)."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    else:
        client = chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)
    count = client.get_collection(f"{settings.collection}_{suffix}").count()
    if not settings.chroma_host:
        # Let the next opening of this folder in this process read it afresh.
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    return count


def _journal_entries(settings) -> int:
    return _raw_count(settings, "journal")


def _wait_for_writes(settings, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Return while ``proc`` is storing articles (after its embedding step)."""
    deadline = time.monotonic() + timeout
    if settings.chroma_host:
        # A journal entry exists only while an article is being written.
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if _journal_entries(settings) > 0:
                    return
            except Exception:  # noqa: BLE001 - the collection is not created yet
                pass
            time.sleep(0.002)
    else:
        # The embedded store is locked; watch its files grow once embedding is over.
        folder = settings.data_dir / "chroma"
        def size() -> int:
            return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        while time.monotonic() < deadline and proc.poll() is None and not (folder / "isnad.lock").exists():
            time.sleep(0.05)
        time.sleep(1.0)  # collections created, the first batch being embedded
        start = size()
        while time.monotonic() < deadline and proc.poll() is None:
            if size() > start:
                time.sleep(0.3)
                return
            time.sleep(0.01)
    pytest.fail(f"the ingest process ended (rc {proc.poll()}) before it started writing")


def test_sigkill_mid_ingest_then_rerun_leaves_exact_store(settings, e5, tmp_path):
    folder = tmp_path / "batch"
    texts = _xquad_files(folder, 150)  # three batches of about 64 chunks
    env = cli_env(settings)
    proc = subprocess.Popen([*ISNAD, "ingest", "--quiet", str(folder)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_writes(settings, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _raw_count(settings, "articles") < 150  # killed before the end
    if settings.chroma_host:
        assert _journal_entries(settings) > 0  # killed in the middle of an article's write

    rerun = subprocess.run([*ISNAD, "ingest", "--quiet", str(folder)], env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "ingested 150 articles" in rerun.stdout
    with Assistant(settings, embedder=e5) as bot:
        assert_consistent(bot, 150)
        first = next(a for a in bot.list_articles() if a.source.endswith("p000.txt"))
        passages = bot.retrieve(texts["p000"][:200], k=3)
        assert passages[0].article_id == first.id


def test_recovery_rewrites_an_article_a_killed_writer_was_replacing(settings, e5, tmp_path):
    """The journal's other case: an article being replaced by a new version when the writer
    died keeps its old, complete version (rebuilt from the stored text)."""
    with Assistant(settings, embedder=e5) as bot:
        bot.ingest_text("الفقرة الأولى عن مراكش والمعرض الدولي للكتاب.\n\nالفقرة الثانية عن الرباط.", title="old",
                        article_id="a1")
        store = bot.store
        old_chunks = store.count_chunks()
        # What a killed writer leaves: a journal entry for a newer version, and a chunk of it.
        store.journal.begin([("a1", "new-version")], time.time())
        store.chunks.upsert(ids=["a1:c0099"], embeddings=[[0.0] * 383 + [1.0]], documents=["half written"],
                            metadatas=[{"article_id": "a1", "chunk_index": 99, "start": 0, "end": 4, "version": "new-version"}])
        assert store.count_chunks() == old_chunks + 1
        assert bot.indexer.recover(bot.settings.chunking, stale_after=0) == ["a1"]
        assert_consistent(bot, 1)
        info, text = store.get_article("a1")
        assert info.title == "old" and "مراكش" in text and store.count_chunks() == old_chunks


# -- several processes on one Chroma server -------------------------------------------------------
def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def _ask(base: str, question: str, timeout: float = 60) -> tuple[int, dict]:
    req = urllib.request.Request(f"{base}/api/ask", data=json.dumps({"question": question}).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("mode", ["server"])
def test_two_apps_and_a_cli_share_one_chroma_server(settings, tmp_path, fixture_dir):
    env = cli_env(settings)
    with running_app(env, tmp_path / "a.log") as app_a, running_app(env, tmp_path / "b.log") as app_b:
        for base in (app_a, app_b):
            assert _get(f"{base}/api/health")["articles"] == 0
        question = "ما اسم القطار فائق السرعة الذي يربط طنجة بالدار البيضاء؟"
        for base in (app_a, app_b):
            assert _ask(base, question)[1]["abstained"]

        ingest = subprocess.run([*ISNAD, "ingest", "--quiet", str(fixture_dir)], env=env, capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stderr
        for base in (app_a, app_b):
            status, answer = _ask(base, question)
            assert status == 200 and not answer["abstained"]
            assert answer["citations"][0]["article_id"] == "wire-001" and "البراق" in answer["answer"]
            health = _get(f"{base}/api/health")
            assert health["articles"] == 7 and health["lexical_chunks"] == health["chunks"] > 0

        removed = subprocess.run([*ISNAD, "remove", "wire-001"], env=env, capture_output=True, text=True, timeout=300)
        assert removed.returncode == 0, removed.stderr
        for base in (app_a, app_b):
            status, answer = _ask(base, question)
            assert status == 200
            assert all(c["article_id"] != "wire-001" for c in answer["citations"])
            health = _get(f"{base}/api/health")
            assert health["articles"] == 6 and health["lexical_chunks"] == health["chunks"]


# -- the Chroma server goes away, and comes back -------------------------------------------------------
def _chroma(path: Path, port: int, log) -> subprocess.Popen:
    chroma = str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, proc=proc)
    return proc


def test_chroma_server_down_is_a_fast_503_and_answers_resume(tmp_path):
    port = free_port()
    log = open(tmp_path / "chroma.log", "wb")
    chroma = _chroma(tmp_path / "db", port, log)
    env = clean_env()
    env.update(ISNAD_DATA_DIR=str(tmp_path / "data"), ISNAD_CHROMA_HOST="127.0.0.1", ISNAD_CHROMA_PORT=str(port))
    question = "من ترأس الحوار الإستراتيجي؟"
    try:
        with running_app(env, tmp_path / "app.log") as base:
            status, answer = _ask(base, question)
            assert status == 200 and answer["citations"]  # the seed article

            stop(chroma)
            started = time.monotonic()
            status, body = _ask(base, question)
            assert status == 503 and "store is unavailable" in body["detail"] and f"127.0.0.1:{port}" in body["detail"]
            assert time.monotonic() - started < 10
            health = urllib.request.Request(f"{base}/api/health")
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(health, timeout=30)
            assert err.value.code == 503

            chroma = _chroma(tmp_path / "db", port, log)
            status, answer = _ask(base, question)
            assert status == 200 and answer["citations"] and "بوريطة" in answer["answer"]
    finally:
        stop(chroma)
        log.close()
