"""Follow-up questions made self-contained before retrieval.

With an LLM, the condense prompt (``qa/prompts/condense.txt``) rewrites the question using the
conversation. Without one, a follow-up that cannot stand alone (few content words, or opening
with "and"/"و"/"et", or leaning on a pronoun) is joined to the previous question, so "and who
chaired it?" is searched together with what "it" was.
"""
from __future__ import annotations

import re

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from ingest.analysis import terms

from .prompts import load_prompt
from .question import History


_DEPENDENT = re.compile(
    r"^\s*(و|ف|ثم|and|but|so|what about|how about|et|mais|alors)\b|^\s*(و|ف)(?=\S)"
    r"|\b(it|its|they|them|their|he|him|his|she|her|this|that|those|these|il|elle|ils|elles|ce|cela|ça)\b"
    r"|(?:ه|ها|هم|هما|هن)(?=\s*[؟?]?\s*$)",
    re.IGNORECASE,
)


def needs_context(question: str) -> bool:
    return len(set(terms(question))) <= 2 or bool(_DEPENDENT.search(question))


def condense_heuristic(question: str, history: History) -> str:
    if not history or not needs_context(question):
        return question
    previous = history[-1][0].strip()
    return f"{previous} {question}" if previous else question


class LLMCondenser:
    def __init__(self, model: BaseChatModel, max_turns: int = 4, max_answer_chars: int = 400):
        self.model = model
        self.max_turns = max_turns
        self.max_answer_chars = max_answer_chars

    def __call__(self, question: str, history: History) -> str:
        if not history:
            return question
        lines = []
        for q, a in history[-self.max_turns :]:
            lines.append(f"User: {q.strip()}")
            lines.append(f"Assistant: {a.strip()[: self.max_answer_chars]}")
        prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
        rewritten = self.model.invoke([HumanMessage(prompt)]).content
        rewritten = rewritten.strip() if isinstance(rewritten, str) else ""
        # A reply that is empty or rambles is worse than the original question.
        if not rewritten or len(rewritten) > 4 * len(question) + 200:
            return question
        return rewritten.splitlines()[0].strip()
