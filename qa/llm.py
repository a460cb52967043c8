"""The LLM answerer: any LangChain chat model; by configuration, an OpenAI-compatible endpoint
(Ollama, vLLM, llama.cpp server, OpenAI).

The model sees the numbered passages as delimited data and the rules in a system prompt (both
files in ``qa/prompts/``). Its tokens stream out through a filter that drops citation markers
pointing at no given passage, even when a marker arrives split over several tokens.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from ingest.errors import Unavailable
from vectorstore import Passage

from .answer import Answer
from .citations import drop_invalid_markers, format_passages, validate_markers
from .language import abstain_message
from .prompts import load_prompt

NO_ANSWER = "NO_ANSWER"
_PARTIAL_MARKER = re.compile(r"\[\d{0,3}$")


class LLMUnavailable(Unavailable):
    """The LLM endpoint failed or timed out."""


def chat_model_from_settings(settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        # Local servers (Ollama, llama.cpp) ignore the key, but the client insists on one.
        api_key=settings.llm_api_key or "not-needed",
        timeout=settings.llm_timeout,
        # One bounded attempt: a slow endpoint costs the timeout once, then the extractive answer.
        max_retries=0,
        temperature=0,
        streaming=True,
    )


class MarkerFilter:
    """Streams text through, holding back a possibly unfinished ``[n`` and dropping complete
    markers whose number is not a given passage."""

    def __init__(self, n_passages: int):
        self.n_passages = n_passages
        self._pending = ""

    def _clean(self, text: str) -> str:
        return drop_invalid_markers(text, self.n_passages)

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        partial = _PARTIAL_MARKER.search(text)
        cut = partial.start() if partial else len(text)
        self._pending = text[cut:]
        return self._clean(text[:cut])

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self._clean(rest)


class LLMAnswerer:
    def __init__(self, model: BaseChatModel):
        self.model = model

    @staticmethod
    def messages(question: str, passages: list[Passage]) -> list:
        user = load_prompt("answer_user").format(passages=format_passages(passages), question=question)
        return [SystemMessage(load_prompt("answer_system")), HumanMessage(user)]

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str | Answer]:
        """Yield text deltas, then the final :class:`Answer` as the last item."""
        if not passages:
            yield Answer(abstain_message(question), abstained=True, question_used=question)
            return
        markers = MarkerFilter(len(passages))
        raw = ""
        # Until the text can no longer be the NO_ANSWER sentinel, hold it back.
        undecided = True
        try:
            for chunk in self.model.stream(self.messages(question, passages)):
                delta = chunk.content if isinstance(chunk.content, str) else ""
                if not delta:
                    continue
                raw += delta
                if undecided:
                    head = raw.lstrip()
                    if NO_ANSWER.startswith(head) or head.startswith(NO_ANSWER):
                        continue
                    undecided = False
                    delta = raw
                out = markers.feed(delta)
                if out:
                    yield out
        except Exception as err:  # noqa: BLE001 - any transport or server failure of the endpoint
            raise LLMUnavailable(f"the LLM endpoint failed: {type(err).__name__}: {err}") from err
        if not undecided:
            tail = markers.flush()
            if tail:
                yield tail
        yield self.finish(question, raw, passages)

    @staticmethod
    def finish(question: str, raw: str, passages: list[Passage]) -> Answer:
        if NO_ANSWER in raw or not raw.strip():
            return Answer(abstain_message(question), abstained=True, question_used=question)
        text, citations = validate_markers(raw, passages)
        return Answer(text, citations, abstained=False, question_used=question)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        final = None
        for item in self.stream(question, passages):
            final = item
        assert isinstance(final, Answer)
        return final
