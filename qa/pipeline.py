"""One question, answered as named steps; the only place the flow is written.

    condense ──► retrieve ──► answer
    (a follow-up    (hybrid search:   (extractive, or the LLM with the
     made to stand   candidates,       extractive answer standing in
     alone)          fusion, sentence  when it fails)
                     similarities)

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from vectorstore import ArticleInfo, Passage
from vectorstore.hybrid import Candidates, HybridRetriever

from .answer import SMALL_TALK, Answer
from .citations import citation_for
from .condense import LLMCondenser, condense_heuristic
from .extractive import ExtractiveAnswerer
from .language import llm_fallback_notice
from .llm import LLMAnswerer, LLMUnavailable
from .question import Question
from .smalltalk import is_small_talk, small_talk_reply

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)


# -- events ---------------------------------------------------------------------------------------
@dataclass
class Sources:
    """Every passage given to the answerer, numbered as the answer cites them."""

    question_used: str
    passages: list[Passage]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "sources", "question_used": self.question_used,
                "sources": [citation_for(n, p).to_dict() for n, p in enumerate(self.passages, start=1)]}


@dataclass
class Delta:
    """A piece of the answer's text, in order; the pieces add up to the text as it streamed."""

    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": "delta", "text": self.text}


@dataclass
class Final:
    """The answer, its citations checked. After an LLM failure its text replaces what streamed."""

    answer: Answer

    def to_dict(self) -> dict[str, Any]:
        return {"type": "answer", "answer": self.answer.to_dict()}


Event = Sources | Delta | Final


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
        used = self.timed(trace, "condense", lambda: self.condense(question))
        k = question.k or self.parts.settings.top_k
        passages = self.timed(trace, "retrieve", lambda: self.retrieve(used, k, depth=depth, trace=trace))
        yield Sources(used, passages)
        started = time.perf_counter()
        for event in self.answer(used, passages, asked=question.text):
            if isinstance(event, Final):
                event.answer.question_used = used
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

    # -- step 0: small talk -------------------------------------------------------------------
    def small_talk(self, question: Question, trace: Trace) -> Iterator[Event]:
        """A greeting or a question about the assistant: a short reply, no retrieval."""
        recent = sorted(self.parts.list_articles(), key=lambda a: -a.ingested_at)
        answer = Answer(small_talk_reply(question.text, [a.title for a in recent]), status=SMALL_TALK,
                        question_used=question.text)
        trace.question_used, trace.answer = question.text, answer
        yield Sources(question.text, [])
        yield Delta(answer.text)
        yield Final(answer)

    # -- step 1: condense ---------------------------------------------------------------------
    def condense(self, question: Question) -> str:
        """The question to retrieve with: the question itself, or made self-contained."""
        history = list(question.history)
        if not history or not self.parts.settings.condense:
            return question.text
        model = self.parts.chat_model
        if model is not None:
            try:
                return LLMCondenser(model)(question.text, history)
            except Exception as err:  # noqa: BLE001 - condensing is an aid; retrieval goes on without it
                log.warning("condensing with the LLM failed (%s); using the heuristic", err)
        return condense_heuristic(question.text, history)

    # -- step 2: retrieve ---------------------------------------------------------------------
    def retrieve(self, query: str, k: int, *, depth: int | None = None, trace: Trace | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query``, every sentence of each scored against it."""
        trace = trace if trace is not None else Trace()
        found = self.parts.retriever.retrieve(query, k, depth)
        trace.question_used, trace.vector, trace.candidates = query, found.vector, found.candidates
        trace.fused, trace.passages = found.fused, found.passages
        trace.seconds.update({f"retrieve.{part}": s for part, s in found.seconds.items()})
        return found.passages

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
        )
        passages = self.parts.retriever.fuse(kept, k)
        self.parts.retriever.complete_sentences(passages, trace.vector)
        return passages

    # -- step 3: answer -----------------------------------------------------------------------
    def answer(self, query: str, passages: list[Passage], asked: str | None = None) -> Iterator[Delta | Final]:
        """``query``: what retrieval used; ``asked``: what the user wrote (the language of the
        reply's messages: a French follow-up joined to an Arabic question is answered in French)."""
        model = self.parts.chat_model
        if model is None:
            yield from self._extractive(query, passages, asked)
            return
        try:
            for item in LLMAnswerer(model).stream(query, passages):
                yield Final(item) if isinstance(item, Answer) else Delta(item)
        except LLMUnavailable as err:
            # Text already streamed is superseded: clients show the final answer's text.
            yield Final(self.fallback(query, passages, err, asked))

    def _extractive(self, query: str, passages: list[Passage], asked: str | None) -> Iterator[Delta | Final]:
        answer = self.parts.extractive.answer(query, passages, asked)
        # Quoted sentences arrive one by one, as a reader would see them.
        segments = answer.segments or [answer.text]
        for i, segment in enumerate(segments):
            yield Delta(segment + (" " if i < len(segments) - 1 else ""))
        yield Final(answer)

    def fallback(self, query: str, passages: list[Passage], err: LLMUnavailable, asked: str | None = None) -> Answer:
        """The LLM failed or timed out: the extractive answer and its sources, marked as such."""
        log.warning("%s; answering extractively", err)
        answer = self.parts.extractive.answer(query, passages, asked)
        answer.fallback = True
        answer.notice = "\n".join(filter(None, [llm_fallback_notice(asked or query), answer.notice]))
        return answer
