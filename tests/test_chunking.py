"""The offset invariant and the boundaries chunks are cut at."""
import json

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ingest.chunking import WRAP_MAX_CHARS
from ingest import Article, ChunkingOptions, PageSpan, chunk_article, load_file, seed_path, split_sentences
from ingest.loaders import LOADERS

from conftest import FIXTURES, DATA


def _check(article: Article, options: ChunkingOptions) -> list:
    chunks = chunk_article(article, options)
    assert chunks, "no chunks"
    for i, c in enumerate(chunks):
        assert c.index == i
        assert article.text[c.start:c.end] == c.text
        assert c.text == c.text.strip() and c.text
        assert len(c.text) <= options.size
    # Coverage: every non-space character belongs to some chunk.
    covered = [False] * len(article.text)
    for c in chunks:
        covered[c.start:c.end] = [True] * (c.end - c.start)
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(article.text))
    return chunks


def _fixture_articles():
    yield from load_file(seed_path()).articles
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix in LOADERS:
            yield from load_file(path).articles


@pytest.mark.parametrize("options", [ChunkingOptions(), ChunkingOptions(size=120, overlap=40), ChunkingOptions(size=60, overlap=0)])
def test_offset_invariant_on_every_fixture(options):
    for article in _fixture_articles():
        _check(article, options)


def test_offset_invariant_on_xquad_slice():
    data = json.loads((DATA / "xquad/xquad.ar.json").read_text(encoding="utf-8"))
    paragraphs = [p["context"] for d in data["data"][:5] for p in d["paragraphs"]]
    for i, text in enumerate(paragraphs):
        _check(Article(id=f"x{i}", title="t", text=text), ChunkingOptions(size=300, overlap=80))


def test_sentence_boundaries_arabic_and_latin():
    text = "هل جاء؟ نعم جاء. قال: انتهى؛ ثم ذهب! Fine; ok. Version 3.5 is out.\nسطر جديد"
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == ["هل جاء؟", "نعم جاء.", "قال: انتهى؛", "ثم ذهب!", "Fine;", "ok.", "Version 3.5 is out.", "سطر جديد"]


def test_long_sentence_split_at_arabic_commas():
    clause = "وقال المسؤول إن الخطة تشمل مشاريع كثيرة في المدن"
    text = "، ".join([clause] * 6) + "."
    chunks = _check(Article(id="a", title="t", text=text), ChunkingOptions(size=120, overlap=0))
    assert len(chunks) > 1
    assert all(c.text.endswith("،") or c.text.endswith(".") for c in chunks)


def test_run_without_spaces_is_cut_hard():
    text = "x" * 250
    chunks = _check(Article(id="a", title="t", text=text), ChunkingOptions(size=100, overlap=0))
    assert [len(c.text) for c in chunks] == [100, 100, 50]


def test_overlap_repeats_whole_trailing_sentences():
    text = " ".join(f"جملة رقم {i} قصيرة." for i in range(30))
    chunks = _check(Article(id="a", title="t", text=text), ChunkingOptions(size=100, overlap=40))
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start < prev.end, "consecutive chunks should overlap"
        assert nxt.end > prev.end, "every chunk adds new text"
        assert prev.text.endswith(text[nxt.start:prev.end])


def test_chunks_never_cross_pages():
    page1, page2 = "First page sentence one. Sentence two.", "Second page sentence."
    text = page1 + "\n\n" + page2
    article = Article(id="p", title="t", text=text, pages=[PageSpan(1, 0, len(page1)), PageSpan(2, len(page1) + 2, len(text))])
    chunks = _check(article, ChunkingOptions(size=500, overlap=0))
    assert [(c.page, c.text) for c in chunks] == [(1, page1), (2, page2)]


@hsettings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ابتثجحخ مرحبا abc .،,؟?!؛;\n\t")), min_size=1, max_size=600),
    size=st.integers(min_value=50, max_value=300),
    overlap_share=st.floats(min_value=0, max_value=0.9),
)
def test_offset_invariant_property(text, size, overlap_share):
    if not text.strip():
        return
    _check(Article(id="h", title="t", text=text), ChunkingOptions(size=size, overlap=int(size * overlap_share)))


# -- hard-wrapped text: a line break inside a paragraph is not a sentence end ------------------
_WORDS = st.sampled_from("the airport handled record passengers January million said وقال المطار سجل رقما قياسيا "
                         "المسافرين مليون 10.2 1948 New York نيويورك".split())
_SENTENCE = st.lists(_WORDS, min_size=4, max_size=18).map(lambda ws: " ".join(ws) + st_end(ws))


def st_end(words: list[str]) -> str:
    return "." if len(words) % 3 else "؟"


def _normal(text: str) -> str:
    return " ".join(text.split())


def _wrap(paragraph: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(paragraph, width, break_long_words=False, break_on_hyphens=False))


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_SENTENCE, min_size=1, max_size=5), min_size=1, max_size=4), st.integers(40, WRAP_MAX_CHARS))
def test_hard_wrapped_paragraphs_split_like_unwrapped_ones(paragraphs, width):
    """Wrapping a paragraph at any column gives the same sentences as the unwrapped text; the
    offsets stay exact (each span is a trimmed slice, in order, not overlapping)."""
    flat = "\n\n".join(" ".join(p) for p in paragraphs)
    wrapped = "\n\n".join(_wrap(" ".join(p), width) for p in paragraphs)
    spans = split_sentences(wrapped)
    for (s, e), (s2, _) in zip(spans, spans[1:] + [(len(wrapped), 0)]):
        assert 0 <= s < e <= s2 <= len(wrapped)
        assert wrapped[s:e] == wrapped[s:e].strip()
    assert [_normal(wrapped[s:e]) for s, e in spans] == [_normal(flat[s:e]) for s, e in split_sentences(flat)]
    assert [_normal(flat[s:e]) for s, e in split_sentences(flat)] == [_normal(s) for p in paragraphs for s in p]


@hsettings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .\n#-1)؟،,\t")), max_size=200))
def test_sentence_spans_cover_every_character_exactly_once(text):
    spans = split_sentences(text)
    covered = [0] * len(text)
    for s, e in spans:
        assert text[s:e] == text[s:e].strip() and text[s:e]
        for i in range(s, e):
            covered[i] += 1
    assert all(c == 1 or (c == 0 and ch.isspace()) for c, ch in zip(covered, text))


def test_headings_list_items_and_short_lines_end_sentences():
    text = ("Dubai airport traffic\n"
            "Dubai International handled a record 10.2 million passengers\n"
            "in January, the airport said on Monday, a fifth more than a year before\n"
            "and the highest figure since it opened.\n"
            "- first item without a stop\n"
            "- second item\n"
            "## A heading\n"
            "More text.")
    sentences = [_normal(text[s:e]) for s, e in split_sentences(text)]
    assert sentences == [
        "Dubai airport traffic",
        "Dubai International handled a record 10.2 million passengers in January, the airport said on Monday, "
        "a fifth more than a year before and the highest figure since it opened.",
        "- first item without a stop", "- second item", "## A heading", "More text."]


def test_unwrapped_paragraph_lines_stay_sentences():
    """One paragraph per line (long lines, some without a final stop, as scraped news often
    is): each line is its own unit."""
    first = "تعتزم الحكومة إطلاق برنامج جديد لدعم المزارعين في المناطق الجنوبية خلال الأشهر المقبلة بحسب ما أعلنه الوزير في مؤتمر صحفي عقده أمس في العاصمة"
    second = "وأضاف الوزير أن البرنامج يشمل قروضا ميسرة وتدريبا على أساليب الري الحديثة."
    text = first + "\n" + second
    assert [text[s:e] for s, e in split_sentences(text)] == [first, second]


def test_markdown_keeps_headings_and_list_items_apart():
    from ingest.loaders.text import markdown_to_text
    text = markdown_to_text("# Title\nintro line that is long enough\n- one\n- two **bold**\n## Sub\ntext")
    assert "-" not in text and "#" not in text
    assert [text[s:e] for s, e in split_sentences(text)] == ["Title", "intro line that is long enough", "one", "two bold",
                                                             "Sub", "text"]
