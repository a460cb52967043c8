"""Answers in a store like a newcomer's: the seed article and eight short articles of every format
in Arabic, English and French (benchmarks/data/mixed-store), real Chroma, the real embedder.
The figures over all 77 questions are a benchmark (benchmarks/mixed_store.py, BENCHMARKS.md);
these are the cases the issue named, and rules that hold for every answer."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qa import Assistant, Settings

MIXED = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "mixed-store"


@pytest.fixture(scope="module")
def store(tmp_path_factory, e5) -> Assistant:
    data = tmp_path_factory.mktemp("mixed") / "data"
    bot = Assistant(Settings.from_env({"ISNAD_DATA_DIR": str(data)}), embedder=e5)  # with the seed
    report = bot.ingest(sorted((MIXED / "articles").iterdir()), progress=False)
    assert report.ok and report.written == 9, report.errors
    yield bot
    bot.close()


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("question", "expected"), [
    ("ما وزن القمر الصناعي محمد السادس-ب؟", "1110"),  # the launch sentence shares more words
    ("How much does the Moroccan satellite weigh?", "1110"),  # English question, Arabic article
    ("كم عدد الفنانين المشاركين في مهرجان فاس؟", "350"),  # not the 4,000 spectators
    ("Combien a coûté le pont Mohammed VI ?", "800 millions de dirhams"),
    ("كم كلفت محطة نور ميدلت؟", "750 million dollars"),  # Arabic question, English PDF; not the capacity
    ("How many containers did Tanger Med handle in 2023?", "8.6 million containers"),
    ("Who is the chairman of Tanger Med?", "Karim Alaoui"),  # not the containers sentence
    ("Where was the strategic dialogue launched?", "بنيويورك"),
])
def test_the_lead_answers_the_question_asked(store, question, expected):
    answer = store.ask(question)
    assert answer.status in ("answered", "tentative")
    assert expected in squash(answer.lead)


@pytest.mark.parametrize("question", [
    "ما هي ميزانية مهرجان فاس؟",  # the festival article gives no budget
    "كم كلف القمر الصناعي محمد السادس-ب؟",
    "How many people work at the Noor Midelt plant?",
    "What was Tanger Med's revenue in 2023?",
    "When will the Mohammed VI-C satellite be launched?",  # the articles tell of VI-B's launch
    "متى سيعقد الحوار المقبل بين المغرب والأمم المتحدة؟",  # ... and of the first dialogue
])
def test_near_topic_questions_the_articles_do_not_answer_are_not_answered(store, question):
    assert store.ask(question).status != "answered"


@pytest.mark.parametrize("message", ["ok", "?", "نعم", "d'accord"])
def test_messages_that_ask_nothing_get_no_quote(store, message):
    answer = store.ask(message)
    assert answer.status == "not_found" and answer.abstained and not answer.citations


def test_an_english_question_finds_the_arabic_article_among_english_ones(store):
    passages = store.retrieve("How much does the Moroccan satellite weigh?", k=5)
    assert "القمر الصناعي" in passages[0].title
    cited = store.ask("Where was the strategic dialogue launched?")
    assert "مكافحة الإرهاب" in cited.citations[0].title
    assert cited.notice == "The passages quoted are in Arabic; the answer quotes them as written."


def test_an_arabic_question_answered_from_french_text_says_so(store):
    answer = store.ask("كم يبلغ طول جسر محمد السادس؟")
    assert not answer.abstained and "الفرنسية" in (answer.notice or "")


def test_every_answer_quotes_sentences_once_and_an_outright_one_from_the_leads_subject_only(store):
    with (MIXED / "questions.tsv").open(encoding="utf-8") as f:
        questions = [row["question"] for row in csv.DictReader(f, delimiter="\t")]
    non_sentences = ("بقلم", "Par Karim", "By Laila", "RABAT,", "الرباط - 21", "الدار البيضاء - خاص",
                     "Page 2", "صورة:", "Prepared by")
    for question in questions:
        answer = store.ask(question)
        if answer.abstained or answer.status == "small_talk":
            continue
        quoted = [squash(s) for s in answer.segments]
        assert len(set(quoted)) == len(quoted), question  # the lead is never repeated
        assert not any(q.startswith(non_sentences) for q in quoted), (question, quoted)
        assert all(squash(c.title) not in {q.rsplit(" [", 1)[0] for q in quoted} for c in answer.citations)
        lead = answer.citations[0]
        # An answer given outright keeps "more" on the lead's subject; one given with doubt may
        # show other subjects' closest sentences, the alternatives the reader weighs.
        assert answer.status == "tentative" or all(
            c.article_id == lead.article_id or squash(c.title) == squash(lead.title) for c in answer.citations), question
        if answer.notice:
            assert all(line.strip() for line in answer.notice.split("\n"))
