"""Sentence-aware chunking that keeps exact character offsets.

Every chunk is a slice of the article's original text: ``article.text[chunk.start:chunk.end]
== chunk.text``, always. Citations rely on that to highlight the exact span a reader sees.

Boundaries, from preferred to last resort:
1. sentence ends (``. ؟ ? ! ؛ ;``, and line breaks except inside a hard-wrapped paragraph),
2. clause separators (``،`` and ``,``) inside a sentence longer than the budget,
3. whitespace inside a clause longer than the budget,
4. a hard cut, for a run with no whitespace at all (a pasted URL, say).
A chunk never crosses a page boundary, so each chunk has one page number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .article import Article

# A sentence ends after a run of terminators (and any closing quotes or brackets) that is
# followed by whitespace or the end of the text; "3.5" or "U.N." mid-word do not end one.
# Every pattern here matches a maximal run with possessive quantifiers and no lookahead; what
# must follow the run is checked in Python (``_followed_by_space``). A lookahead after a
# greedy run made the engine retry the run from each of its characters: 12,000 dots then a
# letter took seconds, holding the GIL for every other request.
_TERMINATORS = ".!?;\u061f\u061b\u06d4\u2026"
_CLOSERS = "\"'\u00bb\u201d\u2019)]"
_SENTENCE_END = re.compile(f"[{re.escape(_TERMINATORS)}]++[{re.escape(_CLOSERS)}]*+")
_CLAUSE_END = re.compile(r"[,\u060c]++")
_WORD = re.compile(r"\S+")
# Characters that take no room on screen: an article padded with them is empty, and they never
# make a chunk of their own (zero-width spaces and joiners, marks, word joiner, BOM, soft hyphen).
INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u061c\u180e")

Span = tuple[int, int]


@dataclass(frozen=True)
class ChunkingOptions:
    """``size``: most characters in a chunk; ``overlap``: how many characters of whole trailing
    sentences a chunk repeats from the one before it (0 for none)."""

    size: int = 1200
    overlap: int = 200

    def __post_init__(self) -> None:
        if self.size < 50:
            raise ValueError(f"chunk size must be at least 50 characters, got {self.size}")
        if not 0 <= self.overlap < self.size:
            raise ValueError(f"chunk overlap must be in [0, size), got {self.overlap}")


@dataclass(frozen=True)
class Chunk:
    article_id: str
    index: int
    text: str
    start: int
    end: int
    page: int | None = None

    @property
    def id(self) -> str:
        return chunk_id(self.article_id, self.index)


def chunk_id(article_id: str, index: int) -> str:
    return f"{article_id}:{index:05d}"


def _blank(ch: str) -> bool:
    return ch.isspace() or ch in INVISIBLE


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: only whitespace and invisible characters."""
    return all(_blank(ch) for ch in text)


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return (start, end) if start < end else None


def _followed_by_space(text: str, at: int, end: int) -> bool:
    return at >= end or text[at].isspace()


def _split_by(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[Span]:
    """Split ``text[start:end]`` after each match of ``pattern`` that whitespace (or the end)
    follows; trimmed, empty pieces dropped."""
    spans: list[Span] = []
    cursor = start
    for m in pattern.finditer(text, start, end):
        if not _followed_by_space(text, m.end(), end):
            continue
        piece = _trim(text, cursor, m.end())
        if piece:
            spans.append(piece)
        cursor = m.end()
    piece = _trim(text, cursor, end)
    if piece:
        spans.append(piece)
    return spans


# A line that starts a unit of its own: a Markdown heading, a list item ("- ", "* ", "• ", "1. ",
# "٣) "), a quotation line.
_BLOCK_START = re.compile(r"[ \t]*+(#{1,6}\s|[-*+\u2022\u25aa\u25cf]\s|[0-9\u0660-\u0669]{1,3}[.)\-]\s|>)")


def _line_closed(line: str) -> bool:
    """Whether a line ends with a terminator (or a colon), closing quotes and brackets aside:
    such a line closes its sentence whatever follows. Stripped from the end, so linear."""
    tail = line.rstrip().rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _TERMINATORS + ":"
# Lines of hard-wrapped text (a .txt or .md wrapped at a column, a PDF's lines) are at most
# this long; a longer line is a paragraph of its own.
WRAP_MAX_CHARS = 120
# A wrapped line is at least this share of its block's longest line: a shorter line that does
# not end a sentence is a title or a caption, not a line cut at the margin.
WRAP_MIN_SHARE = 0.6


def _lines(text: str, start: int, end: int) -> list[Span]:
    spans, cursor = [], start
    while cursor <= end:
        nl = text.find("\n", cursor, end)
        line_end = end if nl < 0 else nl
        spans.append((cursor, line_end))
        if nl < 0:
            break
        cursor = nl + 1
    return spans


def _runs(text: str, start: int, end: int) -> list[Span]:
    """``text[start:end]`` cut where a line break ends a unit: a blank line, a heading or list
    item (before and after it), a line that ends with a terminator, a short or unwrapped line.
    A line break inside a hard-wrapped paragraph joins its lines into one run."""
    lines = [(s, e) for s, e in _lines(text, start, end)]
    runs: list[Span] = []
    block: list[Span] = []

    def close_block() -> None:
        if not block:
            return
        widths = [len(text[s:e].strip()) for s, e in block]
        longest = max(widths)
        run_start = block[0][0]
        for i, (s, e) in enumerate(block):
            last = i == len(block) - 1
            line = text[s:e]
            joins = (not last and longest <= WRAP_MAX_CHARS and widths[i] >= WRAP_MIN_SHARE * longest
                     and not _line_closed(line) and not _BLOCK_START.match(line)
                     and not _BLOCK_START.match(text[block[i + 1][0]:block[i + 1][1]]))
            if not joins:
                runs.append((run_start, e))
                if not last:
                    run_start = block[i + 1][0]
        block.clear()

    for s, e in lines:
        if is_blank(text[s:e]):
            close_block()
        else:
            block.append((s, e))
    close_block()
    return runs


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of ``text[start:end]`` as ``(start, end)`` offsets into ``text``. A line
    break ends a sentence except inside a hard-wrapped paragraph (see ``_runs``); a sentence
    that was wrapped keeps its line breaks inside its span."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for run_start, run_end in _runs(text, start, end):
        spans.extend(_split_by(_SENTENCE_END, text, run_start, run_end))
    return spans


def split_clauses(text: str, start: int, end: int) -> list[Span]:
    """Clause spans of one sentence, split at ``،`` and ``,``."""
    return _split_by(_CLAUSE_END, text, start, end)


def _pack(spans: list[Span], size: int) -> list[Span]:
    """Merge consecutive spans greedily into spans no longer than ``size``."""
    packed: list[Span] = []
    for s, e in spans:
        if packed and e - packed[-1][0] <= size:
            packed[-1] = (packed[-1][0], e)
        else:
            packed.append((s, e))
    return packed


def _fit(text: str, span: Span, size: int) -> list[Span]:
    """Break one over-long sentence into units of at most ``size`` characters."""
    s, e = span
    if e - s <= size:
        return [span]
    units: list[Span] = []
    for cs, ce in _pack(split_clauses(text, s, e), size):
        if ce - cs <= size:
            units.append((cs, ce))
            continue
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, cs, ce)]
        for ws, we in _pack(words, size):
            units.extend((p, min(p + size, we)) for p in range(ws, we, size))
    return units


def _units(text: str, segment: Span, size: int) -> list[Span]:
    units: list[Span] = []
    for sentence in split_sentences(text, *segment):
        units.extend(_fit(text, sentence, size))
    return units


def _windows(units: list[Span], options: ChunkingOptions) -> list[Span]:
    """Pack units into chunks; each chunk after the first re-opens with whole trailing units of
    its predecessor totalling at most ``overlap`` characters, and always adds a new unit."""
    size, overlap = options.size, options.overlap
    windows: list[Span] = []
    first = 0
    n = len(units)
    while first < n:
        last = first
        while last + 1 < n and units[last + 1][1] - units[first][0] <= size:
            last += 1
        windows.append((units[first][0], units[last][1]))
        if last == n - 1:
            break
        nxt = last + 1
        # Step back over trailing units that fit in the overlap budget...
        while nxt - 1 > first and units[last][1] - units[nxt - 1][0] <= overlap:
            nxt -= 1
        # ...but never so far that the next chunk could not take a new unit.
        while nxt <= last and units[last + 1][1] - units[nxt][0] > size:
            nxt += 1
        first = nxt
    return windows


def chunk_article(article: Article, options: ChunkingOptions | None = None) -> list[Chunk]:
    """Chunks of ``article.text``; for a paginated article, each within one page."""
    options = options or ChunkingOptions()
    text = article.text
    segments: list[tuple[Span, int | None]]
    if article.pages:
        segments = [((p.start, p.end), p.page) for p in article.pages]
    else:
        segments = [((0, len(text)), None)]
    chunks: list[Chunk] = []
    for segment, page in segments:
        for start, end in _windows(_units(text, segment, options.size), options):
            chunks.append(Chunk(article.id, len(chunks), text[start:end], start, end, page))
    return chunks


# Sentences shorter than this ("نعم.", "Fine;") carry too little to be matched on their own.
MIN_SENTENCE_CHARS = 12


def article_sentences(article: Article) -> list[Span]:
    """Sentence spans of the whole article (within pages), for sentence-level matching."""
    text = article.text
    segments = [(p.start, p.end) for p in article.pages] if article.pages else [(0, len(text))]
    return [span for seg in segments for span in split_sentences(text, *seg) if span[1] - span[0] >= MIN_SENTENCE_CHARS]
