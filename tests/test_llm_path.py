"""The LLM path against a slow, imperfect server (the fake speaks the real wire protocol):
wall-clock deadlines that hold through keep-alive pings, a length limit sent and a cut-off
answer noticed, the request closed when given up, and rewrites of follow-ups used only for
retrieval and only when they are questions in the follow-up's language."""
import dataclasses
import time

import pytest

from fake_llm import FakeOpenAI
from qa import Assistant
from qa.condense import rewrite_is_usable

QUESTION = "كم تبلغ قدرة محطة نور؟"
ANSWER = "تبلغ القدرة الإجمالية لمحطة نور ٥٨٠ ميغاواط [1]."


@pytest.fixture
def loaded(bot, fixture_dir) -> Assistant:
    assert bot.ingest([fixture_dir]).ok
    return bot


def llm_bot(bot: Assistant, base_url: str, **changes) -> Assistant:
    settings = dataclasses.replace(bot.settings, answerer="llm", llm_base_url=base_url, llm_model="fake-model", **changes)
    return Assistant(settings, embedder=bot.embedder)


def timed_ask(bot: Assistant, question: str, **kwargs):
    started = time.monotonic()
    answer = bot.ask(question, **kwargs)
    return answer, time.monotonic() - started


def _wait_for(condition, seconds: float = 5.0) -> bool:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_keep_alive_pings_forever_end_at_the_first_token_deadline(loaded):
    with FakeOpenAI(lambda m: ANSWER, pings=float("inf")) as fake:
        bot = llm_bot(loaded, fake.base_url, llm_timeout=2, llm_total_timeout=30)
        bot.retrieve(QUESTION)  # the store and model are warm: what is timed is the LLM
        answer, seconds = timed_ask(bot, QUESTION)
        assert seconds < 2 + 1 + 1, f"the deadline did not hold: {seconds:.1f} s"
        assert answer.fallback and "٥٨٠ ميغاواط" in answer.text
        assert answer.notice == "تعذر الوصول إلى النموذج اللغوي؛ هذه الإجابة مقتبسة مباشرة من المقالات."
        # The request was closed: the server stopped (it noticed when its next ping failed).
        assert _wait_for(lambda: fake.disconnects == 1)


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_a_stream_slower_than_the_total_deadline_is_closed(loaded):
    slow_text = "تبلغ قدرة المحطة ٥٨٠ ميغاواط [1]، " * 20
    with FakeOpenAI(lambda m: slow_text, chunk_delay=0.3) as fake:
        bot = llm_bot(loaded, fake.base_url, llm_timeout=2, llm_total_timeout=3)
        bot.retrieve(QUESTION)
        events = []
        started = time.monotonic()
        for event in bot.stream("How much power does the Noor plant produce?"):
            events.append(event)
        seconds = time.monotonic() - started
        assert seconds < 3 + 1 + 1, f"the deadline did not hold: {seconds:.1f} s"
        assert any(e["type"] == "delta" for e in events[:-1]), "tokens streamed before the deadline"
        final = events[-1]["answer"]
        assert final["fallback"] is True
        assert final["notice"].startswith("The language model is unavailable; this answer quotes the articles directly.")
        assert _wait_for(lambda: fake.disconnects == 1)


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_an_answer_cut_at_its_length_limit_is_not_shown_as_whole(loaded):
    with FakeOpenAI(lambda m: "تبلغ القدرة الإجمالية لمحطة نور ٥٨٠ ميغاواط [1] وتمتد على مساح",
                    finish_reason="length") as fake:
        bot = llm_bot(loaded, fake.base_url, llm_max_tokens=77)
        answer = bot.ask("Quelle est la capacité de la centrale Noor ?")
        assert fake.requests[-1]["max_tokens"] == 77
    assert answer.fallback and "مساح" not in answer.text
    assert answer.notice.startswith("La réponse du modèle de langue a été interrompue ; cette réponse cite")
    with FakeOpenAI(lambda m: ANSWER, finish_reason=None) as fake:  # the stream just stops
        assert llm_bot(loaded, fake.base_url).ask(QUESTION).fallback


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_a_fallback_that_declines_does_not_claim_to_quote(loaded):
    with FakeOpenAI(lambda m: ANSWER, pings=float("inf")) as fake:
        answer = llm_bot(loaded, fake.base_url, llm_timeout=1).ask("ما هي عاصمة اليابان؟")
    assert answer.abstained and answer.text == "لا تذكر المقالات المتوفرة إجابة عن هذا السؤال."
    assert answer.notice == "تعذر الوصول إلى النموذج اللغوي."


@pytest.mark.parametrize("rewrite", [
    "الإمبراطورية المتحدة والاتحاد الأوروبي.",  # an answer, not a question
    "نعم، يستمر المهرجان تسعة أيام.",  # a statement
    "How many days does the Fes festival last?",  # another language
])
@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_a_rewrite_that_is_not_a_question_in_the_follow_ups_language_is_not_used(loaded, rewrite):
    def reply(messages):
        if "Follow-up question:" in messages[-1]["content"]:
            return rewrite
        return "انطلق المهرجان مساء الجمعة [1]."

    first = "ما هو المهرجان الذي يحتفي بالتراث الأندلسي؟"
    history = [(first, "مهرجان فاس للموسيقى الروحية [1]")]
    with FakeOpenAI(reply) as fake:
        answer = llm_bot(loaded, fake.base_url).ask("ومتى انطلق؟", history=history)
        answer_prompt = fake.requests[-1]["messages"][-1]["content"]
    assert "Follow-up question:" in fake.requests[0]["messages"][-1]["content"], "the LLM was asked to rewrite"
    assert rewrite not in answer.question_used
    assert answer.question_used.startswith(first), "the no-LLM way: the previous question joined"
    # The answer prompt carries the user's own question and the conversation, not the query.
    assert answer_prompt.rstrip().endswith("Question: ومتى انطلق؟\n\nAnswer in Arabic, citing the passages' numbers.")
    assert f"User: {first}" in answer_prompt


def test_rewrite_rules():
    history = [("ما هو المهرجان الذي انطلق في مدينة فاس؟", "…")]
    assert rewrite_is_usable("كم يوما يستمر مهرجان فاس؟", "وكم يوما يستمر؟", history)
    assert not rewrite_is_usable("New York", "And where was it held?", [("Who chaired the dialogue?", "…")])
    assert not rewrite_is_usable("Où se tient le festival ?", "وأين يقام؟", history)


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_the_articles_own_words_come_first_and_the_checked_answer_replaces_them(loaded):
    """A slow model: the extractive quote streams at once, the model's own text never streams
    unchecked, and the final answer is the model's (checked)."""
    with FakeOpenAI(lambda m: ANSWER, delay=1.5) as fake:
        bot = llm_bot(loaded, fake.base_url, llm_timeout=10)
        bot.retrieve(QUESTION)
        started, first, events = time.monotonic(), None, []
        for event in bot.stream(QUESTION):
            if event["type"] == "delta" and first is None:
                first = time.monotonic() - started
            events.append(event)
    assert first is not None and first < 1.0, "the extractive answer came only after the model"
    streamed = "".join(e["text"] for e in events if e["type"] == "delta")
    final = events[-1]["answer"]
    assert "٥٨٠" in streamed and ANSWER not in streamed
    assert not final.get("fallback") and final["answer"] == ANSWER


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_a_withdrawn_answer_ends_the_request_and_never_shows(loaded):
    """"NO_ANSWER" after a copied passage: reading stops there, the request is closed."""
    copied = "تبلغ القدرة الإجمالية لمحطة نور ٥٨٠ ميغاواط. NO_ANSWER " + "، ".join(["ثم نص آخر"] * 40)
    with FakeOpenAI(lambda m: copied, chunk_delay=0.1) as fake:
        bot = llm_bot(loaded, fake.base_url, llm_total_timeout=60)
        answer, seconds = timed_ask(bot, QUESTION)
        assert _wait_for(lambda: fake.disconnects == 1)
    assert answer.abstained and "NO_ANSWER" not in answer.text
    assert seconds < 10, f"the rest of the answer was read: {seconds:.1f} s"


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_the_answer_language_is_asked_for_and_a_miss_is_said(loaded):
    with FakeOpenAI(lambda m: ANSWER) as fake:
        answer = llm_bot(loaded, fake.base_url).ask("What is the capacity of the Noor plant?")
        user = fake.requests[-1]["messages"][-1]["content"]
    assert "Answer in English" in user
    assert answer.text == ANSWER
    assert "another language than the question" in answer.notice


def test_a_long_prompt_is_trimmed_to_whole_sentences_closest_first():
    from ingest import Passage
    from qa.citations import estimated_tokens, format_passages

    sentences = [f"الجملة رقم {i} تتحدث عن موضوع مختلف تماما عن غيرها من الجمل." for i in range(40)]
    text = " ".join(sentences)
    spans, at = [], 0
    for i, s in enumerate(sentences):
        start = text.index(s, at)
        spans.append((start, start + len(s), 1.0 if i == 7 else 0.1 - i / 1000))
        at = start + len(s)
    passage = Passage("a:0", "a", "t", text, 0, len(text), None, 0, 1.0, {}, sentences=spans)
    whole = format_passages([passage])
    trimmed = format_passages([passage], budget=120)
    assert estimated_tokens(trimmed) <= 120 + 40 < estimated_tokens(whole)
    assert sentences[7] in trimmed and sentences[0] in trimmed  # the closest, then the next closest
    body = trimmed.split(">", 1)[1].rsplit("<", 1)[0]
    for s in sorted(sentences, key=len, reverse=True):
        body = body.replace(s, "")
    assert set(body) <= set(" …\n"), "a sentence was cut"
