"""The Python API over the bundled seed article, as a fresh install sees it."""
import dataclasses

import pytest

from qa import Assistant


@pytest.fixture
def seeded(settings, e5) -> Assistant:
    return Assistant(dataclasses.replace(settings, seed=True), embedder=e5)


def test_fresh_store_is_seeded_once(seeded):
    (article,) = seeded.list_articles()
    assert article.title.startswith("المغرب شريك موثوق للأمم المتحدة")
    seeded.remove(article.id)
    # A user who removed the seed does not get it back on the next start.
    again = Assistant(seeded.settings, embedder=seeded.embedder)
    assert again.list_articles() == []


def test_answers_a_question_about_the_seed_from_its_text(seeded):
    answer = seeded.ask("من ترأس الحوار الإستراتيجي؟")
    assert not answer.abstained
    assert "ناصر بوريطة" in answer.text and "[1]" in answer.text
    (info, text) = seeded.get_article(answer.citations[0].article_id)
    for c in answer.citations:
        assert text[c.start:c.end] == c.text
        assert c.start <= c.quote_start < c.quote_end <= c.end
        assert text[c.quote_start:c.quote_end] in answer.text


def test_abstains_when_the_articles_do_not_say(seeded):
    answer = seeded.ask("ما هي عاصمة اليابان؟")
    assert answer.abstained and answer.citations == []
    assert answer.text == "لا تذكر المقالات المتوفرة إجابة عن هذا السؤال."


def test_empty_question_is_refused(seeded):
    with pytest.raises(ValueError, match="empty"):
        seeded.ask("   \n ")


def test_ingest_text_is_answerable_at_once(seeded):
    seeded.ingest_text("افتتح في مراكش معرض دولي للكتاب يضم ثلاثمئة دار نشر من أربعين بلداً.", title="معرض الكتاب في مراكش")
    answer = seeded.ask("كم دار نشر يضم معرض الكتاب في مراكش؟")
    assert "ثلاثمئة دار نشر" in answer.text
