"""The LLM answerer: any LangChain chat model; by configuration, an OpenAI-compatible endpoint
(Ollama, vLLM, llama.cpp server, OpenAI).

The model sees the numbered passages as delimited data (within a token budget: their sentences
closest to the question, whole), the conversation so far and the user's own question, told the
language to answer in, with the rules in a system prompt (files in ``qa/prompts/``). Its text is
read whole (it is not shown until checked: ``qa/model_answer.py``); citation markers pointing at
no given passage are then dropped.

A local model on a small machine is slow and its server sends keep-alive comments while it
works, so a client timeout (which measures silence) never fires. Here the stream is read by a
worker thread and the caller waits with wall-clock deadlines: one for the first token, one for
the whole answer (``Deadlines``). At a deadline the request's own connection is closed, which
tells the server to stop generating, and ``LLMTimedOut`` is raised. A stream that ends without
``finish_reason: "stop"`` (cut at ``max_tokens``, or interrupted by the server) raises
``LLMTruncated``: a cut-off answer is never shown as a whole one.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from ingest.errors import Unavailable
from vectorstore import Passage

from .answer import Answer
from .citations import format_passages, validate_markers
from .language import abstain_message, detect_language
from .prompts import load_prompt
from .question import History

NO_ANSWER = "NO_ANSWER"
# How much of the conversation the answer prompt carries.
PROMPT_TURNS = 3
PROMPT_TURN_CHARS = 600


class LLMUnavailable(Unavailable):
    """The LLM endpoint failed."""


class LLMTimedOut(LLMUnavailable):
    """No first token, or no whole answer, by its deadline."""


class LLMTruncated(LLMUnavailable):
    """The answer stopped before its end (``finish_reason`` ``length`` or none)."""


@dataclass(frozen=True)
class Deadlines:
    """Seconds from sending the request: to the first token, and to the end of the answer."""

    first_token: float
    total: float

    @classmethod
    def from_settings(cls, settings) -> Deadlines:
        return cls(float(settings.llm_timeout), float(max(settings.llm_total_timeout, settings.llm_timeout)))


class ChatEndpoint:
    """The configured OpenAI-compatible endpoint. Each request gets its own HTTP client, so the
    one given up at its deadline can be closed without touching other users' requests."""

    def __init__(self, settings):
        self.settings = settings

    def open(self, max_tokens: int | None = None) -> tuple[BaseChatModel, Callable[[], None]]:
        """A chat model for one request, and what closes its connection."""
        import httpx
        from langchain_openai import ChatOpenAI

        s = self.settings
        client = httpx.Client(timeout=httpx.Timeout(float(s.llm_total_timeout) + 5, connect=10.0))
        model = ChatOpenAI(
            base_url=s.llm_base_url,
            model=s.llm_model,
            # Local servers (Ollama, llama.cpp) ignore the key, but the client insists on one.
            api_key=s.llm_api_key or "not-needed",
            http_client=client,
            # One bounded attempt: a slow endpoint costs its deadline once, then the extractive answer.
            max_retries=0,
            temperature=0,
            streaming=True,
            # "max_tokens" is what llama.cpp, llama-cpp-python, vLLM and Ollama read (LangChain
            # would send "max_completion_tokens", which some of them ignore).
            extra_body={"max_tokens": max_tokens or s.llm_max_tokens},
        )
        return model, client.close


def open_model(chat: ChatEndpoint | BaseChatModel, max_tokens: int | None = None):
    """``(model, close)`` for one request: a fresh connection from an endpoint, or a chat model
    given by hand (nothing to close)."""
    if isinstance(chat, ChatEndpoint):
        return chat.open(max_tokens)
    return chat, lambda: None


def stream_deltas(model: BaseChatModel, messages: list, deadlines: Deadlines,
                  close: Callable[[], None] = lambda: None) -> Iterator[str]:
    """The model's text deltas, within the deadlines; ``close`` ends the request whatever
    happens (at a deadline, on an error, or when the caller stops reading)."""
    box: queue.Queue = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        finish = None
        try:
            for chunk in model.stream(messages):
                if stop.is_set():
                    return
                finish = (getattr(chunk, "response_metadata", None) or {}).get("finish_reason") or finish
                if isinstance(chunk.content, str) and chunk.content:
                    box.put(("text", chunk.content))
            box.put(("end", finish))
        except Exception as err:  # noqa: BLE001 - handed to the caller
            box.put(("error", err))

    threading.Thread(target=read, name="isnad-llm-stream", daemon=True).start()
    started, first = time.monotonic(), True
    try:
        while True:
            limit = deadlines.first_token if first else deadlines.total
            try:
                kind, value = box.get(timeout=max(started + limit - time.monotonic(), 0.0))
            except queue.Empty:
                what = "no first token" if first else "the answer was not finished"
                raise LLMTimedOut(f"the LLM endpoint timed out: {what} within {limit:g} s") from None
            if kind == "text":
                first = False
                yield value
            elif kind == "end":
                if value != "stop":
                    raise LLMTruncated(f"the LLM's answer stopped before its end (finish_reason {value!r})")
                return
            else:
                raise LLMUnavailable(f"the LLM endpoint failed: {type(value).__name__}: {value}") from value
    finally:
        stop.set()
        close()


def conversation_lines(history: History, turns: int = PROMPT_TURNS, chars: int = PROMPT_TURN_CHARS) -> str:
    lines = []
    for q, a in list(history)[-turns:]:
        lines.append(f"User: {q.strip()[:chars]}")
        lines.append(f"Assistant: {a.strip()[:chars]}")
    return "\n".join(lines)


# The language the answer must be written in, named for the model (a small model follows "in
# Arabic" far better than "in the question's language").
LANGUAGE_NAMES = {"ar": "Arabic", "en": "English", "fr": "French"}


class LLMAnswerer:
    """One answer from the model: the prompt (passages trimmed to ``prompt_tokens``), its text
    read within the deadlines, and what the run left to inspect: ``raw`` (the model's text as
    written) and ``seconds`` (``first_token``, ``total``)."""

    def __init__(self, chat: ChatEndpoint | BaseChatModel, deadlines: Deadlines, prompt_tokens: int | None = None):
        self.chat = chat
        self.deadlines = deadlines
        self.prompt_tokens = prompt_tokens
        self.raw: str | None = None
        self.seconds: dict[str, float] = {}

    def messages(self, question: str, passages: list[Passage], history: History = ()) -> list:
        """The user's own question (not the query retrieval used) and the conversation so far."""
        conversation = conversation_lines(history)
        if conversation:
            conversation = f"Conversation so far (context only; answer the question below):\n{conversation}\n\n"
        user = load_prompt("answer_user").format(passages=format_passages(passages, self.prompt_tokens),
                                                 question=question, conversation=conversation,
                                                 language=LANGUAGE_NAMES[detect_language(question)])
        return [SystemMessage(load_prompt("answer_system")), HumanMessage(user)]

    def answer(self, question: str, passages: list[Passage], history: History = ()) -> Answer:
        """The model's answer, its markers checked against the passages (not yet its claims).
        A ``NO_ANSWER`` ends the request at once: nothing after it is read."""
        if not passages:
            return Answer(abstain_message(question), abstained=True, question_used=question)
        raw = ""
        started = time.monotonic()
        model, close = open_model(self.chat)
        try:
            with closing(stream_deltas(model, self.messages(question, passages, history), self.deadlines,
                                       close)) as deltas:
                for delta in deltas:
                    self.seconds.setdefault("first_token", time.monotonic() - started)
                    raw += delta
                    if NO_ANSWER in raw:
                        break
        finally:
            self.raw = raw
            self.seconds["total"] = time.monotonic() - started
        return self.finish(question, raw, passages)

    @staticmethod
    def finish(question: str, raw: str, passages: list[Passage]) -> Answer:
        if NO_ANSWER in raw or not raw.strip():
            return Answer(abstain_message(question), abstained=True, question_used=question)
        text, citations = validate_markers(raw, passages)
        return Answer(text, citations, abstained=False, question_used=question)


def chat_model_from_settings(settings) -> ChatEndpoint:
    return ChatEndpoint(settings)
