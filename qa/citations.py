"""The one place for citation logic: numbering passages, formatting them for a prompt, and
checking the ``[n]`` markers of an answer against the passages actually given."""
from __future__ import annotations

import re

from vectorstore import Passage

from .answer import Citation, Copy

MARKER = re.compile(r"\[(\d{1,3})\]")


def citation_for(n: int, passage: Passage, quote: tuple[int, int] | None = None,
                 clause: tuple[int, int] | None = None) -> Citation:
    """Citation ``n`` for a passage; ``quote``/``clause`` are offsets inside the passage text."""
    return Citation(
        n=n,
        article_id=passage.article_id,
        title=passage.title,
        text=passage.text,
        start=passage.start,
        end=passage.end,
        page=passage.page,
        score=float(passage.scores.get("dense", passage.score)),
        quote_start=passage.start + quote[0] if quote else None,
        quote_end=passage.start + quote[1] if quote else None,
        clause_start=passage.start + clause[0] if clause else None,
        clause_end=passage.start + clause[1] if clause else None,
        provenance=passage.provenance,
        copies=[Copy(c.article_id, c.chunk_id, c.title, c.text, c.start, c.end, c.page, c.provenance)
                for c in passage.copies],
    )


def _escape(text: str) -> str:
    # A passage must not be able to close its own block and speak outside it.
    return text.replace("<", "‹").replace(">", "›")


def format_passages(passages: list[Passage]) -> str:
    """Numbered passages, each in its own delimited block, for the answer prompt."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        # Who published it and when: the model can then say "Okaz reported on 11 August ...".
        about = "".join(f' {name}="{_escape(value)}"' for name, value in
                        (("page", str(p.page) if p.page else None), ("outlet", p.provenance.outlet),
                         ("published", p.provenance.published and p.provenance.published[:10])) if value)
        blocks.append(f'<passage n="{n}" title="{_escape(p.title)}"{about}>\n{_escape(p.text)}\n</passage>')
    return "\n\n".join(blocks)


def cited_numbers(text: str) -> list[int]:
    seen: list[int] = []
    for m in MARKER.finditer(text):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def drop_invalid_markers(text: str, n_passages: int) -> str:
    """``text`` without the ``[n]`` markers that point at no passage 1..``n_passages``."""
    return MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= n_passages else "", text)


def validate_markers(text: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Drop markers that point at no given passage; return the cleaned text and the citations
    (in the order first cited) of the markers that remain."""
    cleaned = drop_invalid_markers(text, len(passages))
    cleaned = re.sub(r"[ \t]+([.،,؛;!?؟])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    citations = [citation_for(n, passages[n - 1]) for n in cited_numbers(cleaned)]
    return cleaned, citations
