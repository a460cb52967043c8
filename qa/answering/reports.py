"""Figures that differ between reports: when the sentence an answer quotes is told by other
papers (the same story's copies, or another article's sentence on the same event) with other
numbers, the answer shows each report with its outlet and date, newest first, instead of
quoting one as if it were the only one.

Two sentences tell the same statement when their words, figures aside, mostly agree: the share
of the shorter one's words found in the other is at least ``SAME_STATEMENT`` (word forms
normalised as retrieval normalises them, so "أعلنت" and "اعلنت" agree). Their figures are the
numbers they hold, written in any digits ("١٢", "12", "1,200", "1 200" and "1200" are one
figure). A report differs when its figures are not the quoted sentence's; and, for a question that asks
*who*, when each sentence has words the other lacks, ``MIN_NAME_WORDS`` or more on both sides
(one name put in another's place: "الروائي عبده خال" / "الروائي يوسف المحيميد"), not a word
added ("الملك سلمان" / "الملك سلمان بن عبدالعزيز") nor one verb for another. Figures written
with a multiplier word are read ("ثلاثة آلاف", "100 ألف", "2.5 مليار": see :func:`figures`);
a number word alone ("خمسة قتلى") is not.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ingest import Passage, normalize_for_matching
from ingest.chunking import split_sentences
from ingest.normalize import ASCII_DIGITS
from ingest.records import Provenance

from ..answer import Answer
from ..citations import cited_numbers
from .kinds import PERSON, asked_by

SAME_STATEMENT = 0.6
MIN_NAME_WORDS = 2
DATELINE_CHARS, DATELINE_WORDS = 60, 6
MIN_WORDS = 5  # a sentence shorter than this (figures aside) is too short to be matched
# A number (thousands grouped by spaces, "80 000", or by commas and points, "1,200", then perhaps
# a decimal part, "3,5", "2.1"; each repetition takes a fixed four characters: no backtracking to
# speak of) or a word (a number or multiplier word, "ثلاثة آلاف").
_FIGURE_TOKEN = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3}(?!\d))+|\d+(?:[,.٬]\d{3}(?!\d))*(?:[.,٫]\d+)?|[^\W\d_]+")
_WORD = re.compile(r"[^\W\d_]+")
_DIGITS = str.maketrans(ASCII_DIGITS)


@dataclass
class Report:
    """One paper's telling of the quoted statement."""

    article_id: str
    chunk_id: str
    provenance: Provenance
    sentence: str
    figures: list[str]  # as normalised: "1200", "3.5"
    names: list[str] = field(default_factory=list)  # the words naming whom it says, where reports name others

    def to_dict(self) -> dict:
        return asdict(self)


def figures(sentence: str) -> list[str]:
    """The numbers of a sentence, normalised: Western digits, thousands separators dropped, the
    decimal mark a point, a multiplier word applied ("١٬٢٠٠" and "1,200" → "1200"; "3,5" →
    "3.5"; "100 ألف", "مئة ألف" and "100,000" → "100000"; "ثلاثة آلاف" → "3000"). A number
    word alone ("ثلاث مرات", "two days") is not a figure."""
    return [f.value for f in figure_mentions(sentence)]


@dataclass(frozen=True)
class Figure:
    """A figure of a sentence as :func:`figures` reads it, and the word written right after it
    (its unit or what it counts: "800 megawatts", "800 people"), or None."""

    value: str
    in_digits: bool  # "1,200", "100 ألف"; not "ثلاثة آلاف"
    next_word: str | None


def figure_mentions(sentence: str) -> list[Figure]:
    """Every figure of ``sentence``, in order (:func:`figures`), with the word after it."""
    out: list[Figure] = []
    tokens = _FIGURE_TOKEN.findall(sentence.translate(_DIGITS))
    i = 0
    while i < len(tokens):
        token = tokens[i]
        after = _word_key(tokens[i + 1]) if i + 1 < len(tokens) else ""
        value: float | None = None
        if token[:1].isdigit():
            value = _number_value(token)
        elif (unit := UNIT_WORDS.get(_word_key(token))) and after in MULTIPLIERS:
            value = float(unit)
        elif _word_key(token) in MULTIPLIERS:
            value = 1.0  # "ألف زائر", "مئة ألف": the word is the number, multiplied below
            i -= 1
        if value is None:
            i += 1
            continue
        while i + 1 < len(tokens) and _word_key(tokens[i + 1]) in MULTIPLIERS:
            value *= MULTIPLIERS[_word_key(tokens[i + 1])]
            i += 1
        following = tokens[i + 1] if i + 1 < len(tokens) and not tokens[i + 1][:1].isdigit() else None
        out.append(Figure(f"{value:.10g}" if value != int(value) else str(int(value)), token[:1].isdigit(),
                          following))
        i += 1
    return out


def _number_value(token: str) -> float:
    value = re.sub(r"[ \u00a0\u202f]", "", token)
    parts = re.split(r"[.,٫٬]", value)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))  # 1,200 · 1.200.000
    if len(parts) == 2:
        return float(f"{parts[0]}.{parts[1]}")
    return float("".join(parts))


def _word_key(word: str) -> str:
    key = normalize_for_matching(word).casefold()
    return key[1:] if key[:1] in ("و", "ب") and key[1:] in MULTIPLIERS else key


# Number words that make a figure with a multiplier after them ("ثلاثة آلاف", "five million").
UNIT_WORDS = {normalize_for_matching(k).casefold(): v for k, v in {
    "واحد": 1, "اثنان": 2, "اثنين": 2, "ثلاثة": 3, "ثلاث": 3, "أربعة": 4, "أربع": 4, "خمسة": 5, "خمس": 5,
    "ستة": 6, "ست": 6, "سبعة": 7, "سبع": 7, "ثمانية": 8, "ثماني": 8, "تسعة": 9, "تسع": 9, "عشرة": 10, "عشر": 10,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "un": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
}.items()}
MULTIPLIERS = {normalize_for_matching(k).casefold(): v for k, v in {
    "مئة": 100, "مائة": 100, "مئات": 100, "مئتين": 200, "مائتين": 200, "مئتا": 200, "ألف": 1000, "آلاف": 1000,
    "ألفين": 2000, "ألفا": 1000, "مليون": 1e6, "ملايين": 1e6, "مليونين": 2e6, "مليار": 1e9, "مليارات": 1e9,
    "hundred": 100, "thousand": 1000, "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9,
    "cent": 100, "cents": 100, "mille": 1000, "milliard": 1e9, "milliards": 1e9,
}.items()}
def without_dateline(sentence: str) -> str:
    """The sentence without a dateline before it ("الرياض - واس:", "JEDDAH, Aug. 5 —"): each
    paper writes its own city, agency and day there, which is no difference in what is reported."""
    head = sentence[:DATELINE_CHARS]
    for mark in (":", " - ", " – ", " — "):
        at = head.find(mark)
        if 0 < at and len(head[:at].split()) <= DATELINE_WORDS:
            return sentence[at + len(mark):].lstrip()
    return sentence


def _word_list(sentence: str) -> list[str]:
    return _WORD.findall(normalize_for_matching(sentence).casefold())  # (digits made ASCII there)


def _words(sentence: str) -> set[str]:
    return set(_word_list(sentence))


def other_names(a: str, b: str) -> tuple[list[str], list[str]]:
    """The words of ``a`` that ``b`` lacks and of ``b`` that ``a`` lacks, in their order, when
    each side has ``MIN_NAME_WORDS`` or more (one name in another's place); else two empty lists."""
    wa, wb = _word_list(without_dateline(a)), _word_list(without_dateline(b))
    only_a = [w for w in wa if w not in set(wb)]
    only_b = [w for w in wb if w not in set(wa)]
    if len(set(only_a)) < MIN_NAME_WORDS or len(set(only_b)) < MIN_NAME_WORDS:
        return [], []
    return only_a, only_b


def same_statement(a: str, b: str) -> bool:
    """Whether two sentences tell the same statement, their figures aside."""
    wa, wb = _words(a), _words(b)
    if min(len(wa), len(wb)) < MIN_WORDS:
        return False
    return len(wa & wb) / min(len(wa), len(wb)) >= SAME_STATEMENT


def _best_sentence(quoted: str, text: str) -> str | None:
    """The sentence of ``text`` that tells ``quoted``'s statement, if one does."""
    best, best_share = None, 0.0
    wq = _words(quoted)
    if len(wq & _words(text)) < SAME_STATEMENT * MIN_WORDS:
        return None  # too few of the statement's words in the whole passage for any sentence of it
    for start, end in split_sentences(text):
        sentence = text[start:end]
        if not same_statement(quoted, sentence):
            continue
        ws = _words(sentence)
        share = len(wq & ws) / max(1, min(len(wq), len(ws)))
        if share > best_share:
            best, best_share = sentence, share
    return best


def differing_reports(quoted: str, cited: Passage, others: list[Passage], *, asks_who: bool = False) -> list[Report]:
    """Every report of the statement ``quoted`` (a sentence of ``cited``) among the cited
    passage's copies and the ``others`` (other articles' passages), the cited one included,
    newest first; empty when all that tell it give the same figures (and, ``asks_who``, the
    same names), or none does."""
    mine = figures(without_dateline(quoted))
    if not mine and not asks_who:
        return []
    reports = [Report(cited.article_id, cited.chunk_id, cited.provenance, quoted, mine)]
    seen, differ = {cited.article_id}, False
    for passage in [*cited.copies, *others]:
        if passage.article_id in seen:
            continue
        sentence = _best_sentence(quoted, passage.text)
        if sentence is None:
            continue
        seen.add(passage.article_id)
        report = Report(passage.article_id, passage.chunk_id, passage.provenance, sentence,
                        figures(without_dateline(sentence)))
        differ = differ or sorted(report.figures) != sorted(mine)
        if asks_who:
            own, theirs = other_names(quoted, sentence)
            if own:
                reports[0].names = reports[0].names or own
                report.names, differ = theirs, True
        reports.append(report)
    if not differ:
        return []
    return sorted(reports, key=lambda r: (r.provenance.published is not None, r.provenance.published or ""),
                  reverse=True)


def attach_reports(answer: Answer, passages: list[Passage]) -> None:
    """Give ``answer`` every report of the sentence its lead
    quotes, when the story's other papers or another retrieved article tell it with other figures."""
    if answer.abstained or not passages:
        return
    numbers = cited_numbers(answer.lead)
    cited = next((c for c in answer.citations if numbers and c.n == numbers[0]), None)
    if cited is None or cited.quote_start is None or not 0 < cited.n <= len(passages):
        return
    passage = passages[cited.n - 1]
    quoted = passage.text[cited.quote_start - passage.start : cited.quote_end - passage.start]
    answer.reports = differing_reports(quoted, passage, [p for p in passages if p.article_id != passage.article_id],
                                       asks_who=asked_by(answer.question_used or quoted).kind == PERSON)
