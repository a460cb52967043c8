"""A question as the pipeline takes it: cleaned, within its limits, with the conversation
before it. Every interface builds one through :meth:`Question.of` (the HTTP schema imports its
limits), so a limit is stated once."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from ingest.errors import InvalidInput
from vectorstore.filters import NO_FILTER, Filters, filters_from

History = list[tuple[str, str]]

# Control characters, lone surrogates (from JSON "\ud800" escapes or bad decoding) and bidi
# embedding/override/isolate marks carry no meaning for retrieval and break tokenizers.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(text: str) -> str:
    return " ".join(_INVISIBLE.sub(" ", text).split())


@dataclass(frozen=True)
class Question:
    text: str
    history: tuple[tuple[str, str], ...] = ()
    k: int | None = None  # passages to retrieve; None: the configured ISNAD_TOP_K
    filters: Filters = NO_FILTER  # the outlets, days and articles retrieval keeps to
    # The day the question's "yesterday" or "last week" is read against; None: the configured
    # ISNAD_AS_OF, else today.
    as_of: date | None = None

    MAX_CHARS: ClassVar[int] = 4000  # of the cleaned question
    MAX_K: ClassVar[int] = 50
    MAX_TURNS: ClassVar[int] = 20  # earlier turns a request may carry
    MAX_TURN_CHARS: ClassVar[int] = 20_000  # of any one string a request carries

    @classmethod
    def of(cls, text: str, history: Sequence | None = None, k: int | None = None,
           filters: Filters | dict | None = None, as_of: str | date | None = None) -> Question:
        """The question cleaned and checked; :class:`InvalidInput` (a ``ValueError``) saying why not.
        ``filters``: a :class:`~vectorstore.filters.Filters` or a dict of its fields; ``as_of``:
        a day (``2015-08-11``)."""
        return cls(clean_question(text), tuple(clean_history(history)), check_k(k), filters_from(filters),
                   check_as_of(as_of))


def clean_question(question: str) -> str:
    if not isinstance(question, str):
        raise InvalidInput(f"the question must be a string, got {type(question).__name__}")
    question = clean_text(question)
    if not question:
        raise InvalidInput("the question is empty")
    check_question_length(question)
    return question


def check_question_length(question: str) -> None:
    """:class:`InvalidInput` for a question over ``Question.MAX_CHARS`` once cleaned."""
    cleaned = clean_text(question) if len(question) > Question.MAX_CHARS else question
    if len(cleaned) > Question.MAX_CHARS:
        raise InvalidInput(f"السؤال طويل جدا ({len(cleaned)} حرفا، والحد {Question.MAX_CHARS}) · "
                           f"the question is too long ({len(cleaned)} characters; the limit is {Question.MAX_CHARS})")


def clean_history(history: Sequence | None) -> History:
    """Earlier turns as ``(question, answer)`` string pairs, or :class:`InvalidInput` saying why not."""
    turns = []
    for turn in history or []:
        if isinstance(turn, (str, bytes)) or not hasattr(turn, "__len__") or len(turn) != 2:
            raise InvalidInput("each history turn must be a (question, answer) pair")
        question, answer = turn
        if not isinstance(question, str) or not isinstance(answer, str):
            raise InvalidInput("history questions and answers must be strings")
        turns.append((clean_text(question)[: Question.MAX_CHARS], clean_text(answer)))
    return turns


def check_as_of(value: str | date | None) -> date | None:
    if value is None or value == "" or isinstance(value, date):
        return value or None
    if not isinstance(value, str):
        raise InvalidInput(f"as_of must be a day such as 2015-08-11, got {type(value).__name__}")
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise InvalidInput(f"as_of: {value[:40]!r} is not a day such as 2015-08-11") from None


def check_k(k: int | None) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= Question.MAX_K:
        raise InvalidInput(f"k must be a whole number from 1 to {Question.MAX_K}, got {k!r}")
    return k
