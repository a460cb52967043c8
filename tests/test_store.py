"""Ingestion into a real Chroma, embedded and server: idempotence, replacement, removal, failures."""
import json

import pytest

from builders import make_encrypted_pdf, make_pdf
from qa import Assistant
from ingest.chunking import article_sentences
from vectorstore import ArticleStore, EmbedderMismatch


def _chunk_articles(store: ArticleStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, _, meta in store.iter_chunks():
        counts[meta["article_id"]] = counts.get(meta["article_id"], 0) + 1
    return counts


def _consistent(store: ArticleStore) -> None:
    """Every chunk and sentence belongs to a listed article, each article has exactly its chunks
    and sentences, and every offset points at the right text."""
    listed = {a.id: a.chunks for a in store.list_articles()}
    assert _chunk_articles(store) == listed
    for _, text, meta in store.iter_chunks():
        _, article_text = store.get_article(meta["article_id"])
        assert article_text[meta["start"]:meta["end"]] == text
    sentences: dict[str, set] = {}
    for meta in store.sentences.get(include=["metadatas"])["metadatas"]:
        sentences.setdefault(meta["article_id"], set()).add((meta["start"], meta["end"]))
    assert set(sentences) <= set(listed)
    for article_id in listed:
        expected = set(article_sentences(store.load_article(article_id)))
        assert sentences.get(article_id, set()) == expected


def test_ingest_every_format_then_idempotent(bot, fixture_dir, tmp_path):
    (fixture_dir / "report.pdf").write_bytes(make_pdf([["Casablanca port traffic grew.", "Exports rose."], ["Page two: imports fell."]]))
    first = bot.ingest([fixture_dir])
    assert first.ok, first.errors
    assert first.files == 6 and first.articles == 8 and first.written == 8
    store = bot.store
    _consistent(store)
    # Chroma must never hold an embedding function of its own (its default downloads a model).
    assert store.chunks.configuration.get("embedding_function") is None
    formats = sorted(a.format for a in store.list_articles())
    assert formats == ["html", "json", "json", "json", "json", "md", "pdf", "txt"]
    pdf_pages = {m.get("page") for _, _, m in store.iter_chunks() if m["title"] == "Casablanca port traffic grew."}
    assert pdf_pages == {1, 2}
    chunks_before = store.count_chunks()

    second = bot.ingest([fixture_dir])
    assert second.ok and second.written == 0 and second.unchanged == 8 and second.chunks == 0
    assert store.count_chunks() == chunks_before and store.count_articles() == 8
    _consistent(store)


def test_edited_file_replaces_its_old_article(bot, fixture_dir):
    path = fixture_dir / "rabat-water.ar.txt"
    bot.ingest([path])
    (old,) = bot.list_articles()
    path.write_text(path.read_text(encoding="utf-8") + "\nوأضاف الوزير أن الخطة ستراجع كل سنة.\n", encoding="utf-8")
    report = bot.ingest([path])
    assert report.ok and report.written == 1 and report.replaced == 1
    (new,) = bot.list_articles()
    assert new.id != old.id
    assert "ستراجع كل سنة" in bot.get_article(new.id)[1]
    _consistent(bot.store)


def test_changed_record_with_given_id_leaves_no_orphan_chunks(bot, tmp_path):
    long_text = " ".join(f"الجملة رقم {i} من نص طويل عن الاقتصاد المغربي." for i in range(60))
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([{"id": "story-1", "title": "قصة", "text": long_text}]), encoding="utf-8")
    bot.ingest([path])
    long_count = bot.store.count_chunks()
    assert long_count > 2
    path.write_text(json.dumps([{"id": "story-1", "title": "قصة", "text": "نص قصير بعد التعديل."}]), encoding="utf-8")
    report = bot.ingest([path])
    assert report.written == 1
    assert bot.store.count_chunks() == 1
    (info,) = bot.list_articles()
    assert (info.id, info.chunks) == ("story-1", 1)
    _consistent(bot.store)


def test_remove_deletes_article_and_chunks(bot, fixture_dir):
    bot.ingest([fixture_dir / "wire.json", fixture_dir / "rabat-water.ar.txt"])
    assert bot.remove("wire-001") is True
    assert bot.remove("wire-001") is False
    assert "wire-001" not in {a.id for a in bot.list_articles()}
    assert "wire-001" not in _chunk_articles(bot.store)
    _consistent(bot.store)


def test_failed_files_leave_nothing_and_others_are_ingested(bot, fixture_dir):
    (fixture_dir / "locked.pdf").write_bytes(make_encrypted_pdf([["secret"]], "pw"))
    (fixture_dir / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (fixture_dir / "empty.md").write_bytes(b"")
    report = bot.ingest([fixture_dir, fixture_dir / "missing.html"])
    assert not report.ok
    failed = sorted(e.path.rsplit("/", 1)[-1] for e in report.errors)
    assert failed == ["binary.txt", "empty.md", "locked.pdf", "missing.html"]
    assert report.written == 7
    sources = {a.source.rsplit("/", 1)[-1] for a in bot.list_articles()}
    assert not sources & {"locked.pdf", "binary.txt", "empty.md"}
    _consistent(bot.store)


def test_store_refuses_another_embedder_until_reindexed(settings, nano, tiny_model_path, fixture_dir):
    from vectorstore import make_embedder

    Assistant(settings, embedder=nano).ingest([fixture_dir / "wire.jsonl"])
    tiny = make_embedder(f"st:{tiny_model_path}")
    other = Assistant(settings, embedder=tiny)
    with pytest.raises(EmbedderMismatch) as info:
        other.list_articles()
    message = str(info.value)
    assert "e5-small-q4" in message and tiny.name in message and "isnad reindex" in message

    articles, chunks = other.reindex()
    assert (articles, chunks) == (2, 2)
    assert other.store.built_with() == (tiny.name, tiny.dimension)
    assert len(other.retrieve("Tanger Med", k=2)) == 2
    _consistent(other.store)
    with pytest.raises(EmbedderMismatch):
        Assistant(settings, embedder=nano).list_articles()


def test_dense_search_finds_the_right_article(bot, fixture_dir):
    bot.ingest([fixture_dir])
    top = bot.retrieve("كم تبلغ قدرة محطة نور في ورزازات؟", k=3)[0]
    assert top.title.startswith("محطة نور")
    assert "٥٨٠ ميغاواط" in top.text
    assert {"dense", "bm25", "fused"} <= top.scores.keys()
    dense_top = bot.store.search_vector(bot.embedder.embed_queries(["كم تبلغ قدرة محطة نور في ورزازات؟"])[0], 1)[0]
    assert dense_top.scores["dense"] == pytest.approx(dense_top.score)
    cross = bot.retrieve("How long does the Fes music festival last?", k=3)[0]
    assert "فاس" in cross.title
