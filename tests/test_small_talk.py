"""Messages that are not questions about the articles, and answers across languages."""
from __future__ import annotations

import pytest

from qa.language import detect_language
from qa.smalltalk import is_small_talk


@pytest.mark.parametrize("message", ["hello", "Hi!", "مرحبا", "السلام عليكم", "شكرا جزيلا", "bonjour !", "merci",
                                     "what can you do?", "Who are you?", "thanks 🙏", "Comment ça va ?"])
def test_small_talk_is_recognised(message):
    assert is_small_talk(message)


@pytest.mark.parametrize("message", ["من ترأس الحوار؟", "hello, who chaired the dialogue?", "Qui est Khalid ?",
                                     "What can you tell me about Morocco?", "شكرا لمن؟ من شكر الوزير؟"])
def test_questions_are_not_small_talk(message):
    assert not is_small_talk(message)


@pytest.mark.parametrize("message, language", [
    ("bonjour", "fr"), ("merci beaucoup", "fr"), ("Qui est Khalid Cherkaoui Semmouni ?", "fr"),
    ("Combien de pays ?", "fr"), ("Who chaired the dialogue?", "en"), ("hello", "en"), ("من ترأس الحوار؟", "ar"),
])
def test_language_of_short_messages(message, language):
    assert detect_language(message) == language


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_greetings_get_a_short_reply_in_their_language_without_quotes(bot, fixture_dir):
    bot.ingest([fixture_dir])
    for message, expected in (("hello", "I answer questions from the stored articles"),
                              ("مرحبا", "أجيب عن الأسئلة من المقالات"),
                              ("bonjour", "Je réponds aux questions")):
        answer = bot.ask(message)
        assert answer.status == "small_talk" and not answer.abstained and not answer.citations
        assert answer.text.startswith(expected) and answer.text.count("•") == 2
    events = list(bot.stream("hello"))
    assert [e["type"] for e in events] == ["sources", "delta", "answer"] and events[0]["sources"] == []


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_english_and_french_questions_are_told_the_quotes_are_arabic(bot, fixture_dir):
    bot.ingest([fixture_dir])
    english = bot.ask("How long does the Fes festival last?")
    assert english.status == "answered"
    assert english.notice == "The passages quoted are in Arabic; the answer quotes them as written."
    assert english.lead in english.text
    french = bot.ask("Combien de jours dure le festival de Fès ?")
    if not french.abstained:
        assert french.notice.startswith("Les passages cités sont en arabe")
    arabic = bot.ask("كم يوما يستمر مهرجان فاس؟")
    assert arabic.notice is None and "notice" not in arabic.to_dict()


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_a_follow_up_is_answered_in_its_own_language(bot, fixture_dir):
    bot.ingest([fixture_dir])
    first = "كم يوما يستمر مهرجان فاس؟"
    follow = bot.ask("And who owns the moon?", history=[(first, bot.ask(first).text)])
    if follow.abstained:  # joined to the Arabic question for retrieval, declined in English
        assert follow.text == "The articles don't say."
    else:
        assert follow.notice.startswith("The passages quoted are in Arabic; the answer quotes them as written.")
