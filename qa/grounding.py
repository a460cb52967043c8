"""An LLM's answer, checked against the passages it cites, sentence by sentence.

A sentence stands only when it cites a given passage (or, without a marker, one passage passes
every check for it), every number in it (digits of any script or words, years included) occurs
in a passage it cites and not only as a measure of something else, every capitalised Latin name
in it (its first word too) occurs there as written or, in an Arabic passage, by its consonant
skeleton, an Arabic claim on an Arabic passage has no two words in a row that the passage and the
question lack, a claim in another script than its passage holds a number or a name of it
(``qa/claims.py``), and it is close enough to one of that passage's sentences: their embedding
similarity (the embedder's query side for the claim, its passage side for the sentence) at least
``SUPPORT_SIMILARITY`` for their script relation. The threshold is measured, not guessed:
``benchmarks/grounding.py`` puts true claims (a question with its gold answer) against their own
sentence and against the closest sentence of other articles; ``benchmarks/llm_local.py`` scores
the whole check on a real model's answers, labelled by hand (BENCHMARKS.md).

Sentences that fail are dropped, never shown as cited fact; an answer none of whose sentences
stands is replaced by the extractive answer (the pipeline does that, and says so).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ingest.analysis import is_arabic, terms
from ingest.chunking import split_sentences
from ingest.normalize import ASCII_DIGITS
from vectorstore import Passage

from .answering.kinds import QUANTITY, TIME, asked_by, stated_in
from .citations import MARKER, cited_numbers
from .claims import figures_measuring_else, has_anchor, latin_names, name_in, numbers, unseen_arabic_words

# The least similarity for a claim and a sentence in the same script, and across scripts (an
# English answer quoting Arabic text: similarities run lower); each accepts about 95% of true
# claims (BENCHMARKS.md, "Checking LLM answers").
SUPPORT_SIMILARITY = {"same": 0.83, "cross": 0.77}

# An Arabic claim with this many content words in a row that neither its cited passages nor the
# question have names someone or something they don't (qa/claims.py).
UNSEEN_RUN = 2
# A sentence this much made of the question's own words restates it: no claim.
RESTATED = 0.7
# An answer sharing this share of its words with the previous answer repeats it.
REPEATED = 0.8
_WORDS = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"(?<![0-9])(?:1[89][0-9]{2}|20[0-9]{2})(?![0-9])")
_DIGITS = str.maketrans(ASCII_DIGITS)
# A sentence saying, in prose, that the passages don't tell (a small model writes this instead of
# NO_ANSWER): a decline, not a claim.
_DECLINES = re.compile(
    r"\bnot (?:explicitly |directly |clearly )?(?:stated|mentioned|provided|given|specified|available|found)\b"
    r"|\b(?:do|does) not (?:say|mention|state|provide|contain|specify|include)\b|\bno (?:information|mention)\b"
    r"|\bcannot be (?:found|determined)\b"
    r"|n'(?:est|sont) pas (?:mentionn|indiqu|précis|donn)|\bne (?:mentionne|précise|donne|contient|dit|disent)"
    r" pas\b|\baucune (?:information|mention)\b|\bpas d'information"
    r"|لا (?:تذكر|يذكر|تحتوي|يحتوي|تتضمن|يتضمن|توجد|يوجد|تتوفر|يتوفر)|لم (?:يذكر|تذكر|يرد|ترد|يتم ذكر)"
    r"|غير (?:مذكور|متوفر|متوفرة|مذكورة|متاح|متاحة)", re.IGNORECASE)
# The words of a sentence that only says where the answer is ("This can be seen in passage [1].",
# "كما ورد في المقطع [2]", "Voir le passage [1].").
_POINTING = frozenset("""
    this that it is was can be seen stated mentioned shown found given see in the a passage passages and
    as according to from source sources information provided answer above
    cela ceci c est voir le la les dans passage passages selon comme indiqué mentionné source réponse se trouve
    هذا هذه ذلك كما ورد وارد في المقطع المقاطع النص الفقرة الفقرات ذكر مذكور انظر حسب المصدر
""".split())
_LEADING_MARKERS = re.compile(r"^((?:\s*\[\d{1,3}\])+)")

# Similarity of each claim to each passage: the best over the passage's sentences.
Similarity = Callable[[list[str], list[Passage]], np.ndarray]


@dataclass
class CheckedSentence:
    text: str  # with its markers
    cited: list[int]  # the passage numbers it cites (1-based), valid ones only
    problem: str | None = None  # why it does not stand; None when it does

    # It only points at passages ("This is stated in [1]."): not a claim, left out without a word.
    reference: bool = False
    declines: bool = False  # it says the passages don't tell ("… is not mentioned in the passages")
    off_question: bool = False  # it stands on its passages, but does not answer the question asked

    @property
    def stands(self) -> bool:
        return self.problem is None


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences, each with its markers (a marker written after the full stop,
    "... in 2021. [2]", belongs to the sentence before it)."""
    pieces = [text[s:e] for s, e in split_sentences(text)]
    out: list[str] = []
    for piece in pieces:
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1] = f"{out[-1]} {lead.group(1).strip()}"
            piece = piece[lead.end():].strip()
        if piece:
            out.append(piece)
    return out


def check_sentences(text: str, passages: list[Passage], similarity: Similarity, *, question: str | None = None,
                    previous_answer: str | None = None, asked_before: str = "") -> list[CheckedSentence]:
    """Each sentence of ``text`` with why it does not stand (``problem``), or none.

    A sentence that only points at passages ("This is stated in passage [1].") is no claim: its
    markers go to the sentences before it that have none. A sentence still without a marker is
    given the passage that supports it best, when one passes every check (a small model often
    writes a right answer and forgets the marker). With the ``question``: an answer none of whose
    sentences states what it asks for (a number for "how many", a date or a number for "when",
    in a Latin-script question the thing counted) answers another question, and so does one
    that repeats ``previous_answer`` (the conversation's last answer). The names the user wrote,
    in the question or ``asked_before`` (the conversation's earlier questions), are the user's own
    framing: not looked for in the passages."""
    sentences = [CheckedSentence(s, [n for n in cited_numbers(s) if 1 <= n <= len(passages)])
                 for s in answer_sentences(text)]
    claims = [MARKER.sub(" ", s.text).strip() for s in sentences]
    given = set(terms(" ".join(p.text for p in passages))) if question else set()  # for _restates
    for i, s in enumerate(sentences):
        if _DECLINES.search(claims[i]):
            s.problem, s.reference, s.declines = "it says the passages don't tell", True, True
            continue
        if question and _restates(claims[i], question, given):
            s.problem, s.reference = "it restates the question", True
            continue
        if s.cited and _only_points(claims[i]):
            s.problem, s.reference = "it only points at its passages", True
            j = i - 1
            while j >= 0 and not sentences[j].cited and not sentences[j].reference:
                sentences[j].cited = list(s.cited)
                sentences[j].text = _with_markers(sentences[j].text, s.cited)
                j -= 1
    rows = [i for i, s in enumerate(sentences) if not s.reference]
    # The claim alone: embedded after its question (as the threshold was measured) it was no
    # better on the labelled real answers' dev half (BENCHMARKS.md).
    sims = similarity([claims[i] for i in rows], passages) if rows and passages else None
    row_of = {i: r for r, i in enumerate(rows)}
    for i, s in enumerate(sentences):
        if s.reference:
            continue
        if not s.cited:
            s.problem = "cites no passage"
            if sims is not None:
                for n in np.argsort(-sims[row_of[i]])[:2] + 1:
                    if _problem(claims[i], [passages[n - 1]], float(sims[row_of[i], n - 1]), question,
                                asked_before) is None:
                        s.cited, s.problem = [int(n)], None
                        s.text = _with_markers(s.text, s.cited)
                        break
            continue
        best = max(float(sims[row_of[i], n - 1]) for n in s.cited)
        s.problem = _problem(claims[i], [passages[n - 1] for n in s.cited], best, question, asked_before)
    if question:
        _answers_the_question(sentences, claims, question, previous_answer)
    return sentences


def _problem(claim: str, cited: list[Passage], best: float, question: str | None,
             asked_before: str = "") -> str | None:
    """Why ``claim`` does not stand on the passages it cites (``best``: its highest similarity to
    one of their sentences), or None."""
    texts = " ".join(p.text for p in cited)
    asked_years = set(_YEAR.findall((question or "").translate(_DIGITS)))
    missing_years = asked_years - set(_YEAR.findall(texts.translate(_DIGITS)))
    if missing_years:  # "Who won the 2022 World Cup?" answered from a passage of another year
        return f"the cited passages are not about {', '.join(sorted(missing_years))}"
    missing_numbers = numbers(claim) - numbers(texts)
    if missing_numbers:
        return f"the cited passages do not give {', '.join(sorted(missing_numbers))}"
    measuring_else = figures_measuring_else(claim, texts)
    if measuring_else:
        return f"the cited passages give {', '.join(measuring_else)} as a measure of something else"
    framing = f"{question or ''} {asked_before}"
    missing_names = [" ".join(run) for run in latin_names(claim, framing) if not name_in(run, texts)]
    if not is_arabic(texts):  # the question's own names, in a Latin passage, are there as written
        missing_names += [" ".join(run) for run in latin_names(question or "", "") if not name_in(run, texts)]
    if missing_names:
        return f"the cited passages do not name {', '.join(missing_names)}"
    unseen = unseen_arabic_words(claim, texts, question or "") if is_arabic(texts) else []
    if len(unseen) >= UNSEEN_RUN:
        return f"the cited passages do not have {' '.join(unseen)}"
    relation = "same" if is_arabic(claim) == is_arabic(texts) else "cross"
    if relation == "cross" and not has_anchor(claim, texts, question or ""):
        return "nothing in it can be checked in the cited passages (no number or name of theirs)"
    if best < SUPPORT_SIMILARITY[relation]:
        return f"no sentence of the cited passages says it (similarity {best:.2f})"
    return None


def _with_markers(sentence: str, cited: list[int]) -> str:
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?؟。" else ""
    body = body[:-1].rstrip() if end else body
    return f"{body} {''.join(f'[{n}]' for n in cited)}{end}"


def _restates(claim: str, question: str, given: set[str]) -> bool:
    """The claim's words are the question's, and what it adds no passage says ("La question
    demandait combien de voitures…"): a short answer reusing the question's words adds a word of
    the passages ("الصاروخ الذي حمل القمر هو فيغا")."""
    words = set(terms(claim))
    extra = words - set(terms(question))
    return (len(words) >= 3 and len(words) - len(extra) >= RESTATED * len(words) and not extra & given
            and not numbers(claim))


def _only_points(claim: str) -> bool:
    words = [w for w in _WORDS.findall(claim.casefold()) if not w.isdigit()]
    return bool(words) and len(words) <= 10 and all(w in _POINTING for w in words)


def _answers_the_question(sentences: list[CheckedSentence], claims: list[str], question: str,
                          previous_answer: str | None) -> None:
    standing = [i for i, s in enumerate(sentences) if s.stands]
    if not standing:
        return
    asked = asked_by(question)
    problem = None
    if asked.kind in (QUANTITY, TIME):
        stated = [stated_in(claims[i]) for i in standing]
        if not any(st.answers(asked) if asked.kind == QUANTITY else (st.time or st.number) for st in stated):
            problem = f"it does not state the {'number' if asked.kind == QUANTITY else 'time'} the question asks for"
        elif asked.counted and not is_arabic(question) and not any(
                asked.counted & set(terms(claims[i])) for i in standing):
            problem = "it does not count what the question counts"
    if previous_answer and problem is None:
        before = _plain_words(previous_answer)
        now = _plain_words(" ".join(claims[i] for i in standing))
        if now and len(now & before) >= REPEATED * len(now):
            problem = "it repeats the previous answer"
    if problem:
        for i in standing:
            sentences[i].problem, sentences[i].off_question = problem, True


def _plain_words(text: str) -> set[str]:
    return set(_WORDS.findall(MARKER.sub(" ", text).casefold()))


def embedding_similarity(embedder) -> Similarity:
    """Claims on the embedder's query side against each passage's sentences (or its whole
    text, when it carries none) on the passage side; the best per passage."""

    def similarity(claims: list[str], passages: list[Passage]) -> np.ndarray:
        spans = [[(s, e) for s, e, _ in p.sentences] or [(p.start, p.end)] for p in passages]
        texts = [p.text[s - p.start:e - p.start] for p, ss in zip(passages, spans) for s, e in ss]
        q = np.asarray(embedder.embed_queries(claims))
        v = np.asarray(embedder.embed_passages(texts))
        sims = q @ v.T
        out, at = np.empty((len(claims), len(passages))), 0
        for j, ss in enumerate(spans):
            out[:, j] = sims[:, at:at + len(ss)].max(axis=1)
            at += len(ss)
        return out

    return similarity
