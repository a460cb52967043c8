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


# Tokens per character the answer prompt is budgeted with: Qwen2.5's tokenizer gave 2.5-3.1
# characters a token for Arabic and 3.0-3.8 for English and French (BENCHMARKS.md), so these
# estimate high, never low.
_CHARS_PER_TOKEN = {"arabic": 2.4, "other": 2.9}
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
# What each passage's block costs besides its text (tags, title, outlet, date).
_BLOCK_TOKENS = 30


def estimated_tokens(text: str) -> int:
    arabic = len(_ARABIC_LETTER.findall(text))
    return int(arabic / _CHARS_PER_TOKEN["arabic"] + (len(text) - arabic) / _CHARS_PER_TOKEN["other"]) + 1


def prompt_excerpts(passages: list[Passage], budget: int | None) -> list[str | None]:
    """What of each passage the prompt carries within ``budget`` tokens: whole sentences, the
    closest to the question first, each passage's in their own order (a gap between them shown
    as " … "); ``None`` for a passage none of whose sentences fits. At least the closest
    sentence, whatever it costs; no budget: every passage whole."""
    texts = [p.text for p in passages]
    if budget is None or sum(estimated_tokens(t) + _BLOCK_TOKENS for t in texts) <= budget:
        return list(texts)
    spans = [[(s - p.start, e - p.start, score) for s, e, score in p.sentences] or [(0, len(p.text), p.score)]
             for p in passages]
    ranked = sorted(((score, -j, j, s, e) for j, ss in enumerate(spans) for s, e, score in ss), reverse=True)
    chosen: dict[int, list[tuple[int, int]]] = {}
    used = 0
    for _, _, j, s, e in ranked:
        cost = estimated_tokens(texts[j][s:e]) + (0 if j in chosen else _BLOCK_TOKENS)
        if chosen and used + cost > budget:
            continue
        chosen.setdefault(j, []).append((s, e))
        used += cost
    out: list[str | None] = []
    for j, text in enumerate(texts):
        if j not in chosen:
            out.append(None)
            continue
        pieces, last = [], None
        for s, e in sorted(chosen[j]):
            if last is not None:
                pieces.append(" " if not text[last:s].strip() else " … ")
            pieces.append(text[s:e].strip())
            last = e
        out.append("".join(pieces))
    return out


def format_passages(passages: list[Passage], budget: int | None = None) -> str:
    """Numbered passages, each in its own delimited block, for the answer prompt; within
    ``budget`` tokens, only their closest sentences (:func:`prompt_excerpts`), each keeping its
    passage's number."""
    blocks = []
    for n, (p, text) in enumerate(zip(passages, prompt_excerpts(passages, budget)), start=1):
        if text is None:
            continue
        # Who published it and when: the model can then say "Okaz reported on 11 August ...".
        about = "".join(f' {name}="{_escape(value)}"' for name, value in
                        (("page", str(p.page) if p.page else None), ("outlet", p.provenance.outlet),
                         ("published", p.provenance.published and p.provenance.published[:10])) if value)
        blocks.append(f'<passage n="{n}" title="{_escape(p.title)}"{about}>\n{_escape(text)}\n</passage>')
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
