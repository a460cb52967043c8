"""The answer step with an LLM: the extractive answer at once, then the model's answer, checked,
in its place.

A small model on a CPU takes tens of seconds to read its prompt, and whatever it writes can only
be checked against the passages sentence by sentence once written (``qa/grounding.py``). Its raw
tokens are therefore never streamed to the reader: they could show, for all that time, claims the
check then withdraws (or a ``NO_ANSWER`` after a copied passage). What streams first is the
extractive answer, quoted from the articles within milliseconds; the final event carries the
model's checked answer, which clients show in its place, or the extractive answer itself, marked
as standing in, when the model fails, times out, declines to cite, or nothing it wrote stands.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from vectorstore import Passage

from .answer import Answer
from .citations import MARKER, validate_markers
from .events import Delta, Final
from .grounding import check_sentences, embedding_similarity
from .language import abstain_message, detect_language, message
from .llm import Deadlines, LLMAnswerer, LLMTruncated, LLMUnavailable
from .question import History

log = logging.getLogger(__name__)
# A word of two letters or more: an answer of figures alone ("4,300 [1]") is in no language.
_WORDS = re.compile(r"[^\W\d_]{2,}")


def provisional(answer: Answer) -> Iterator[Delta]:
    """An extractive answer's quoted sentences one by one, as a reader would see them."""
    segments = answer.segments or [answer.text]
    for i, segment in enumerate(segments):
        yield Delta(segment + (" " if i < len(segments) - 1 else ""))


class ModelAnswering:
    def __init__(self, parts):
        self.parts = parts

    def run(self, query: str, passages: list[Passage], asked: str | None, history: History,
            trace) -> Iterator[Delta | Final]:
        asked = asked or query
        extractive = self.parts.extractive.answer(query, passages, asked)
        if not extractive.abstained:  # "the articles don't say" is not shown before the model has spoken
            yield from provisional(extractive)
        settings = self.parts.settings
        answerer = LLMAnswerer(self.parts.chat_model, Deadlines.from_settings(settings),
                               prompt_tokens=settings.llm_prompt_tokens)
        try:
            answer = answerer.answer(asked, passages, history)
        except LLMUnavailable as err:
            log.warning("%s; answering extractively", err)
            kind = "llm_truncated" if isinstance(err, LLMTruncated) else "llm_fallback"
            yield Final(self.instead(extractive, kind, asked))
            return
        finally:
            trace.model_output = answerer.raw
            trace.seconds.update({f"llm.{k}": v for k, v in answerer.seconds.items()})
        yield Final(self.checked(answer, extractive, passages, asked, history))

    def checked(self, answer: Answer, extractive: Answer, passages: list[Passage], asked: str,
                history: History) -> Answer:
        """The model's answer with only the sentences its cited passages support and that
        answer the question asked; none: the extractive answer, marked as standing in."""
        if answer.abstained:
            return answer
        previous = history[-1][1] if history else None
        sentences = check_sentences(answer.text, passages, embedding_similarity(self.parts.retriever.embedder),
                                    question=asked, previous_answer=previous,
                                    asked_before=" ".join(q for q, _ in history))
        claims = [s for s in sentences if not s.reference]  # "This is stated in [1]." is no claim
        standing = [s for s in claims if s.stands]
        for s in claims:
            if not s.stands:
                log.info("LLM sentence left out (%s): %s", s.problem, s.text[:200])
        if not standing and any(s.declines for s in sentences):  # NO_ANSWER in prose
            return Answer(abstain_message(asked), abstained=True, question_used=answer.question_used)
        if not standing:
            return self.instead(extractive, "llm_unsupported", asked)
        text, citations = validate_markers(" ".join(s.text for s in standing), passages)
        out = Answer(text, citations, question_used=answer.question_used, lead=standing[0].text,
                     notice=message("llm_dropped", asked) if len(standing) < len(claims) else None)
        if _WORDS.search(MARKER.sub(" ", out.text)) and detect_language(out.text) != detect_language(asked):
            out.notice = "\n".join(filter(None, [out.notice, message("llm_other_language", asked)]))
        return out

    @staticmethod
    def instead(extractive: Answer, kind: str, asked: str) -> Answer:
        """The extractive answer standing in for the LLM's, marked ``fallback``, its notice the
        message of ``kind`` (its ``_declined`` form when the extractive answer declines too)."""
        extractive.fallback = True
        if extractive.abstained:
            kind += "_declined"
        extractive.notice = "\n".join(filter(None, [message(kind, asked), extractive.notice]))
        return extractive
