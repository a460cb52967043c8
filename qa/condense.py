"""Follow-up questions made self-contained before retrieval.

``Pipeline.search`` decides by retrieval evidence whether a follow-up query made here is kept.
With an LLM, the condense prompt (``qa/prompts/condense.txt``) rewrites the question using the
conversation, and a rewrite that is not a question in its language sharing a word with the
conversation is not used; without one, the previous question and the first sentence the
previous answer quoted are joined to it, so "and who chaired it?" is searched together with
what "it" was.
"""
from __future__ import annotations

import re

from langchain_core.messages import HumanMessage

from ingest.analysis import terms

from .language import detect_language
from .prompts import load_prompt
from .question import History


_MARKER = re.compile(r"\s*\[\d+\]\s*")


def quoted_sentences(answer: str) -> list[str]:
    """The sentences an earlier answer quoted: its text cut at the ``[n]`` markers."""
    return [piece.strip() for piece in _MARKER.split(answer) if piece.strip()]


QUOTE_CHARS = 300  # of the previous answer's first quote, in a joined query


def joined_with_previous(question: str, history: History) -> str:
    """Without an LLM: the previous question, the first sentence the previous answer quoted and
    this question, searched together (what "it" was is in the previous turn; the quote keeps the
    subject when the previous question was a follow-up itself)."""
    if not history:
        return question
    previous, answer = history[-1]
    quoted = quoted_sentences(answer)
    return " ".join(filter(None, [previous.strip(), quoted[0][:QUOTE_CHARS] if quoted else "", question]))


_QUESTION_WORD = re.compile(
    r"^\W*(من|ما|ماذا|متى|أين|اين|كيف|كم|هل|لماذا|لم|أي|بكم|وما|ومن|ومتى|وأين|وكيف|وكم|وهل|ولماذا|وأي"
    r"|who|whom|whose|what|when|where|why|how|which|is|are|was|were|do|does|did|can|could|will|would|has|have"
    r"|qui|que|quoi|quand|où|comment|pourquoi|combien|quel|quelle|quels|quelles|lequel|laquelle|est-ce)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    text = text.strip()
    return text.endswith(("?", "؟")) or bool(_QUESTION_WORD.match(text))


def rewrite_is_usable(rewrite: str, question: str, history: History) -> bool:
    """An LLM's rewrite of a follow-up is searched only when it is a question, in the
    follow-up's language, sharing a content word with it or the conversation's questions: a
    model that answers instead ("the United Kingdom and the EU.", "New York", "نعم، ...") or
    switches language fails one of these."""
    said = set(terms(question)).union(*(terms(q) for q, _ in history))
    return (is_question(rewrite) and detect_language(rewrite) == detect_language(question)
            and bool(set(terms(rewrite)) & said))


class LLMCondenser:
    """The LLM's rewrite of a follow-up, for retrieval only (the answer prompt carries the user's
    own question). Bounded like an answer: its own deadline, a few tokens."""

    MAX_TOKENS = 96

    def __init__(self, chat, deadlines, max_turns: int = 4, max_answer_chars: int = 400):
        self.chat = chat
        self.deadlines = deadlines
        self.max_turns = max_turns
        self.max_answer_chars = max_answer_chars

    def __call__(self, question: str, history: History) -> str:
        if not history:
            return question
        from .llm import conversation_lines, open_model, stream_deltas

        prompt = load_prompt("condense").format(
            history=conversation_lines(history, self.max_turns, self.max_answer_chars), question=question)
        model, close = open_model(self.chat, self.MAX_TOKENS)
        rewritten = "".join(stream_deltas(model, [HumanMessage(prompt)], self.deadlines, close)).strip()
        return rewritten.splitlines()[0].strip() if rewritten else question
