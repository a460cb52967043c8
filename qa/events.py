"""The typed events of one question's run, in order: :class:`Sources`, :class:`Delta` pieces of
text, then :class:`Final`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vectorstore import Passage

from .answer import Answer
from .citations import citation_for


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
