"""What an answer is: its text with ``[n]`` markers, and the citations those markers point to."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.records import Provenance


@dataclass
class Copy:
    """A cited passage as another outlet printed it: the same story, its own article and place."""

    article_id: str
    chunk_id: str
    title: str
    text: str
    start: int
    end: int
    page: int | None
    provenance: Provenance = field(default_factory=Provenance)


@dataclass
class Citation:
    """Passage ``n`` of an answer: where it is in its article, and the span the answer quotes.

    ``start``/``end`` are offsets of the passage in the article text; ``quote_start``/``quote_end``
    those of the sentence the answer quotes, and ``clause_start``/``clause_end`` those of the
    clause inside it that carries the answer (extractive answers), for highlighting;
    ``provenance`` who published the article and when.
    """

    n: int
    article_id: str
    title: str
    text: str
    start: int
    end: int
    page: int | None
    score: float
    quote_start: int | None = None
    quote_end: int | None = None
    clause_start: int | None = None
    clause_end: int | None = None
    # Every sentence the answer quotes from this passage, as (start, end) article offsets.
    quotes: list[tuple[int, int]] = field(default_factory=list)
    # The article's outlet, date published, author and address (each None when unknown).
    provenance: Provenance = field(default_factory=Provenance)
    # The same passage in the other papers that printed the story ("also reported by"), oldest first.
    copies: list[Copy] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


ANSWERED, TENTATIVE, NOT_FOUND, SMALL_TALK = "answered", "tentative", "not_found", "small_talk"


@dataclass
class Answer:
    """``text`` is the whole answer as displayed (its ``[n]`` markers point at ``citations``);
    ``lead`` the sentence that answers best, with its marker; ``status`` one of
    ``answered``, ``tentative`` (the evidence is middling: the closest passage is offered, and
    ``notice`` says so), ``not_found`` (the articles don't say: ``abstained``) or
    ``small_talk`` (a greeting or a question about the assistant, answered without the
    articles)."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    question_used: str = ""
    # Set when the configured LLM failed and the extractive answer stands in for it.
    fallback: bool = False
    # Said before the text, in the question's language: the LLM fell back, the quotes are in
    # another language than the question...
    notice: str | None = None
    status: str = ANSWERED
    lead: str = ""
    # When the statement the lead quotes is told with other figures elsewhere (another paper,
    # another day): every report of it, newest first (qa/answering/reports.py); else empty.
    reports: list = field(default_factory=list)
    # The days the question named ("yesterday"), as searched: since, until, the words, as_of;
    # and whether any stored article was from them (when none was, the search was not kept to them).
    period: dict | None = None
    # The pieces the text streams in (an extractive answer: its quoted sentences); not serialised.
    segments: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.abstained and self.status == ANSWERED:
            self.status = NOT_FOUND
        if not self.lead:
            self.lead = self.text

    def to_dict(self) -> dict:
        out = {
            "answer": self.text,
            "lead": self.lead,
            "status": self.status,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "question_used": self.question_used,
        }
        if self.fallback:
            out["fallback"] = True
        if self.notice:
            out["notice"] = self.notice
        if self.period:
            out["period"] = self.period
        if self.reports:
            out["reports"] = [r.to_dict() for r in self.reports]
        return out
