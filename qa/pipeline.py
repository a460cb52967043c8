"""One question, answered as named steps; the only place the flow is written.

    condense ──► retrieve ──► answer
    (a follow-up    (hybrid search:   (extractive, or the LLM with the
     made to stand   candidates,       extractive answer standing in
     alone)          fusion, sentence  when it fails)
                     similarities)

``search`` runs the first two for a question with a conversation before it: the question is
retrieved as written and with a follow-up query (without an LLM the previous question and the
previous answer's first quote joined to it; with one, its rewrite, asked for only when the
question finds no answer alone), the articles the previous answer quoted first; retrieval
evidence for the question, not word counts, decides which is kept.

Days the question names ("yesterday", "في أغسطس") narrow its filter before retrieval (when no
stored article is from them, it is searched without them; the answer says which):
``qa/answering/dated.py``. Retrieval returns each story once, with the other papers' copies; the
answer then lists the reports of its lead's statement when their figures differ
(``qa/answering/reports.py``).

A greeting or a question about the assistant itself ("hello", "what can you do?") takes a
step of its own instead: a short reply in its language, no retrieval (``qa/smalltalk.py``).

:meth:`Pipeline.run` yields typed events: :class:`Sources` (the numbered passages, before any
answer text), :class:`Delta` pieces of text (the LLM's tokens, or the extractive answer sentence
by sentence), and :class:`Final` with the checked answer. ``Assistant.ask`` keeps the final
event, ``Assistant.stream`` forwards them all, ``Assistant.as_runnable`` chains the same step
methods, and ``isnad eval`` / ``isnad calibrate`` read the :class:`Trace` of the very run that
``ask`` makes (candidates per signal, the fused list, the passages answered from).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from vectorstore import ArticleInfo, Passage
from vectorstore.filters import NO_FILTER, Filters
from vectorstore.hybrid import Candidates, HybridRetriever

from .answer import SMALL_TALK, Answer
from .answering.dated import asked_days, say_days
from .answering.periods import asks_for_latest
from .answering.reports import attach_reports
from .events import Delta, Event, Final, Sources  # noqa: F401 - the pipeline's events, re-exported
from .condense import LLMCondenser, joined_with_previous, quoted_sentences, rewrite_is_usable
from .extractive import ExtractiveAnswerer
from .language import message
from .llm import Deadlines
from .model_answer import ModelAnswering, provisional
from .question import History, Question
from .smalltalk import asks_nothing, is_small_talk, small_talk_reply

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

# In a conversation a question more often follows the previous one than changes the subject: a
# question that finds no answer alone leans this much (logits of the evidence model) to the
# follow-up query. Chosen on the conversations of benchmarks/follow_ups.py (BENCHMARKS.md).
FOLLOW_UP_PREFERENCE = 1.0


@dataclass
class Trace:
    """What one run did, step by step: for evaluation, calibration and debugging."""

    question: Question | None = None
    question_used: str = ""
    vector: np.ndarray | None = None
    candidates: Candidates | None = None  # each signal's list, before fusion
    fused: list[Passage] = field(default_factory=list)  # the fused ranking, ``depth`` long
    passages: list[Passage] = field(default_factory=list)  # the first k of it: what was answered from
    answer: Answer | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per step
    model_output: str | None = None  # the LLM's own text, before its check (None: no LLM answered)


class Components(Protocol):
    """What the steps are made of (``qa.Assistant`` provides them, built on first use)."""

    settings: Settings

    @property
    def retriever(self) -> HybridRetriever: ...

    @property
    def extractive(self) -> ExtractiveAnswerer: ...

    @property
    def chat_model(self) -> Any: ...

    def list_articles(self) -> list[ArticleInfo]: ...


class Pipeline:
    def __init__(self, components: Components):
        self.parts = components

    # -- the run ------------------------------------------------------------------------------
    def run(self, question: Question, *, depth: int | None = None, trace: Trace | None = None) -> Iterator[Event]:
        """The events of one question. ``depth``: how long a fused ranking to keep in the trace
        (at least ``k``; evaluation reads recall at 10 from it)."""
        trace = trace if trace is not None else Trace()
        trace.question = question
        if is_small_talk(question.text):
            yield from self.small_talk(question, trace)
            return
        if asks_nothing(question.text):
            yield from self.no_question(question, trace)
            return
        k = question.k or self.parts.settings.top_k
        question = self.within_store(question)
        days = asked_days(question.text, question.filters, question.as_of or self.parts.settings.as_of,
                          self.parts.retriever.store.days)
        within = replace(question, filters=days.filters) if days and days.found else question
        used, passages = self.search(within, k, depth=depth, trace=trace)
        if not passages and days and days.found:  # the store spans those days, but none is from them
            days = replace(days, found=False)
            used, passages = self.search(question, k, depth=depth, trace=trace)
        yield Sources(used, passages)
        if not passages and question.filters:
            answer = Answer(message("nothing_in_filter", question.text), abstained=True, question_used=used)
            say_days(answer, days)
            trace.answer = answer
            yield Delta(answer.text)
            yield Final(answer)
            return
        started = time.perf_counter()
        for event in self.answer(question.text, passages, asked=question.text, history=question.history,
                                 trace=trace):
            if isinstance(event, Final):
                event.answer.question_used = used
                say_days(event.answer, days)
                attach_reports(event.answer, passages)
                trace.answer = event.answer
                trace.seconds["answer"] = time.perf_counter() - started
            yield event

    def ask(self, question: Question, *, depth: int | None = None, trace: Trace | None = None) -> Answer:
        final = None
        for event in self.run(question, depth=depth, trace=trace):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None
        return final

    @staticmethod
    def timed(trace: Trace, step: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        trace.seconds[step] = time.perf_counter() - started
        return result

    # -- step 0: small talk, or nothing asked -------------------------------------------------
    def small_talk(self, question: Question, trace: Trace) -> Iterator[Event]:
        """A greeting or a question about the assistant: a short reply, no retrieval."""
        recent = sorted(self.parts.list_articles(), key=lambda a: -a.ingested_at)
        yield from self.reply(question, trace, Answer(small_talk_reply(question.text, [a.title for a in recent]),
                                                      status=SMALL_TALK, question_used=question.text))

    def no_question(self, question: Question, trace: Trace) -> Iterator[Event]:
        """A message that asks nothing ("ok", "?"): the articles don't answer it; no retrieval."""
        yield from self.reply(question, trace, Answer(message("no_question", question.text), abstained=True,
                                                      question_used=question.text))

    @staticmethod
    def reply(question: Question, trace: Trace, answer: Answer) -> Iterator[Event]:
        """The events of an answer made without retrieval: no sources, its text in one piece."""
        trace.question_used, trace.answer = question.text, answer
        yield Sources(question.text, [])
        yield Delta(answer.text)
        yield Final(answer)

    def within_store(self, question: Question) -> Question:
        """The question with its filter's outlets spelled as the store spells them; an
        :class:`InvalidInput` naming an outlet no stored article has (before any retrieval)."""
        if not question.filters.outlets:
            return question
        return replace(question, filters=question.filters.resolved(self.parts.retriever.store.outlets()))

    # -- steps 1 and 2: condense and retrieve -----------------------------------------------------
    def search(self, question: Question, k: int, *, depth: int | None = None,
               trace: Trace | None = None) -> tuple[str, list[Passage]]:
        """The query retrieval used and its ``k`` passages, whose sentences are always scored
        against the question itself (a follow-up query finds the article; the answer to *this*
        question is then chosen in it). With a conversation before it, a follow-up query is tried
        (the previous question and the previous answer's first quote joined on, the previous
        answer's articles first; with an LLM its rewrite, asked for only when the question finds
        no answer alone, since it costs seconds). Retrieval evidence for the question decides:
        the follow-up is kept when it gives more evidence than the question alone, or, when the
        question finds no answer alone, unless it gives clearly less."""
        trace = trace if trace is not None else Trace()
        alone = Trace()
        filters = question.filters
        passages = self.timed(trace, "retrieve", lambda: self.retrieve(question.text, k, depth=depth, trace=alone,
                                                                       filters=filters))
        chosen, used = alone, question.text
        if question.history and self.parts.settings.condense:
            evidence = self.evidence(question.text, passages)
            if self.parts.chat_model is None or evidence < 0:  # an LLM rewrite costs seconds: only when needed
                follow = Trace()
                query = self.timed(trace, "condense", lambda: self.condense(question))
                if query != question.text:
                    focus = self.focus(question)
                    found = self.timed(trace, "retrieve.follow_up", lambda: self.retrieve(
                        query, k, depth=depth, trace=follow, focus=focus, against=alone.vector, filters=filters))
                    # Lean to the follow-up when the question finds no answer alone (evidence < 0).
                    lean = FOLLOW_UP_PREFERENCE if evidence < 0 else 0.0
                    if self.evidence(question.text, found) > evidence - lean:
                        chosen, used, passages = follow, query, found
        trace.question_used, trace.vector, trace.candidates = used, chosen.vector, chosen.candidates
        trace.fused, trace.passages = chosen.fused, chosen.passages
        trace.seconds.update({key: v for key, v in chosen.seconds.items() if key.startswith("retrieve.")})
        return used, passages

    def evidence(self, query: str, passages: list[Passage]) -> float:
        """How far the passages' evidence for ``query`` stands above the answering threshold
        (≥ 0: enough to answer), by the extractive answerer's evidence model."""
        return self.parts.extractive.score(query, passages).evidence if passages else -np.inf

    def focus(self, question: Question) -> set[str]:
        """The articles the previous answer quoted: a follow-up's passages come from them first."""
        return self.parts.retriever.articles_quoting(quoted_sentences(question.history[-1][1]))

    def condense(self, question: Question) -> str:
        """A follow-up query: the LLM's rewrite when it is usable, else the previous question
        and the previous answer's first quote joined to this one."""
        history = list(question.history)
        if not history or not self.parts.settings.condense:
            return question.text
        model = self.parts.chat_model
        if model is not None:
            try:
                rewrite = LLMCondenser(model, Deadlines.from_settings(self.parts.settings))(question.text, history)
                if rewrite_is_usable(rewrite, question.text, history):
                    return rewrite
                log.info("the LLM's rewrite %r shares nothing with the conversation; not used", rewrite[:200])
            except Exception as err:  # noqa: BLE001 - condensing is an aid; retrieval goes on without it
                log.warning("condensing with the LLM failed (%s); joining the previous question", err)
        return joined_with_previous(question.text, history)

    def retrieve(self, query: str, k: int, *, depth: int | None = None, trace: Trace | None = None,
                 focus: set[str] | None = None, against: np.ndarray | None = None,
                 filters: Filters = NO_FILTER) -> list[Passage]:
        """The ``k`` best passages for ``query`` among those ``filters`` admits, every sentence
        of each scored against it, or against the vector ``against`` (a follow-up query's
        passages, scored against the question itself); with ``focus``, passages of those
        articles come first (a follow-up keeps to them)."""
        trace = trace if trace is not None else Trace()
        found = self.parts.retriever.retrieve(query, k, max(depth or k, 20) if focus else depth, filters=filters,
                                              prefer_recent=asks_for_latest(query))
        passages = found.passages
        if focus:
            # stable: by score within each group
            passages = sorted(found.fused, key=lambda p: p.article_id not in focus)[:k]
        if against is not None:
            passages = self.parts.retriever.rescored(passages, against)
        elif focus:
            self.parts.retriever.complete_sentences(passages, found.vector)
        trace.question_used, trace.vector, trace.candidates = query, found.vector, found.candidates
        trace.fused, trace.passages = found.fused, passages
        trace.seconds.update({f"retrieve.{part}": s for part, s in found.seconds.items()})
        return passages

    def retrieve_without(self, trace: Trace, k: int, leave_out: Callable[[str], bool]) -> list[Passage]:
        """The passages the same question would get if the articles for which ``leave_out(id)``
        holds were not in the store: its candidates without them, fused again (calibration
        puts each question to the wrong articles this way)."""
        assert trace.candidates is not None and trace.vector is not None, "retrieve first"
        cands = trace.candidates
        kept = Candidates(
            dense=[p for p in cands.dense if not leave_out(p.article_id)],
            lexical=[p for p in cands.lexical if not leave_out(p.article_id)],
            sentences=[s for s in cands.sentences if not leave_out(s[0])],
            lexical_coverage=cands.lexical_coverage,
            language=cands.language,
        )
        passages = self.parts.retriever.fuse(kept, k)
        self.parts.retriever.complete_sentences(passages, trace.vector)
        return passages

    # -- step 3: answer -----------------------------------------------------------------------
    def answer(self, query: str, passages: list[Passage], asked: str | None = None,
               history: History = (), trace: Trace | None = None) -> Iterator[Delta | Final]:
        """``query``: what retrieval used; ``asked``: what the user wrote (the question the LLM
        answers, with ``history``, and the language of every message: a French follow-up
        joined to an Arabic question is answered in French)."""
        if self.parts.chat_model is None:
            answer = self.parts.extractive.answer(query, passages, asked)
            yield from provisional(answer)
            yield Final(answer)
            return
        yield from ModelAnswering(self.parts).run(query, passages, asked, history,
                                                  trace if trace is not None else Trace())


def pipeline_runnable(pipeline: Pipeline, default_k: int):
    """The pipeline's steps as a LangChain Runnable: ``{"question", "history"?, "k"?, "filters"?}`` → :class:`Answer`."""
    from langchain_core.runnables import RunnableLambda


    def question_step(x: Any) -> dict:
        x = {"question": x} if isinstance(x, str) else dict(x)
        return {"question": Question.of(x["question"], x.get("history"), x.get("k"), x.get("filters"), x.get("as_of"))}

    def search_step(x: dict) -> dict:
        used, passages = pipeline.search(pipeline.within_store(x["question"]), x["question"].k or default_k)
        return {**x, "question_used": used, "passages": passages}

    def answer_step(x: dict) -> Answer:
        events = pipeline.answer(x["question_used"], x["passages"], asked=x["question"].text)
        final = next(e for e in events if isinstance(e, Final))
        final.answer.question_used = x["question_used"]
        return final.answer

    return (
        RunnableLambda(question_step, name="question")
        | RunnableLambda(search_step, name="condense and retrieve")
        | RunnableLambda(answer_step, name="answer")
    )
