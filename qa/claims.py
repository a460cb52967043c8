"""What a claim of an LLM's answer states that its cited passages must also state: its numbers
(in digits of any script, or in words: "cinq ans", "ثلاثة آلاف") and its names, in any script
and across scripts (a Latin name citing an Arabic passage is looked for there by its consonant
skeleton: "Bourita" and "بوريطة" are both P-R-T).

Used by ``qa/grounding.py``; the words and the skeleton classes are measured on the labelled
answers of ``benchmarks/llm_local.py`` (BENCHMARKS.md, "The LLM path against a real local model").
"""
from __future__ import annotations

import re
import unicodedata

from ingest.analysis import LATIN_STOPWORDS, STOPWORDS, terms
from ingest.normalize import normalize_for_matching

from .answering.kinds import units_in
from .answering.reports import MULTIPLIERS, UNIT_WORDS, figure_mentions, figures
from .answering.time_words import MONTHS, WEEKDAYS, normalise
from .citations import MARKER

_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019-]*")
_WORD = re.compile(r"[^\W\d_]+")
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]+")

# Sentence openers that are not names, though capitalised (the name rule checks a sentence's
# first word too: "Guterres chaired…" must be in the passage).
_OPENERS = frozenset("""
    according also although both each either however in yes no not only so since then thus while
    after before during today yesterday here these those there this that it its they we our you
    selon aussi cependant donc ensuite enfin oui non ainsi alors aujourd'hui hier ici
    combien à est-ce tell give list name show please dis donne
""".split()) | LATIN_STOPWORDS


def numbers(text: str) -> set[str]:
    """Every number ``text`` states: figures in any digits with their multiplier words, and a
    number word standing alone ("five", "cinq", "خمسة"; not "one"/"un"/"واحد", which are as
    often no number at all)."""
    found = set(figures(text))
    words = _WORD.findall(normalize_for_matching(text).casefold())
    for word, after in zip(words, words[1:] + [""]):
        value = UNIT_WORDS.get(word)
        if value and value > 1 and after not in MULTIPLIERS:  # "ثلاثة آلاف" is one figure, 3000
            found.add(str(value))
    return found


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if not unicodedata.combining(c))


def _is_time_word(word: str) -> bool:
    key = normalise(word)
    return key in MONTHS or key in WEEKDAYS


def latin_names(text: str, question: str = "") -> list[list[str]]:
    """The runs of capitalised Latin words of ``text`` (a name of one or more words), the
    first word of the text included unless it is a common opener; words the question itself
    uses, months and weekdays left out (the user's own framing; dates are checked as numbers)."""
    asked = {_fold(w) for w in _LATIN_WORD.findall(question)}
    runs: list[list[str]] = []
    current: list[str] = []
    for i, m in enumerate(_LATIN_WORD.finditer(text)):
        word = re.sub(r"['\u2019]s$", "", m.group()).strip("'\u2019-")  # "Tanger Med's" names Tanger Med
        name = bool(word) and word[0].isupper() and not (i == 0 and _fold(word) in _OPENERS)
        if name and _fold(word) not in asked and not _is_time_word(word) and _fold(word) not in LATIN_STOPWORDS:
            current.append(word)
            continue
        if current:
            runs.append(current)
        current = []
    if current:
        runs.append(current)
    return runs


# Consonant classes a name keeps across Latin and Arabic script (vowels, h, w, y and the
# Arabic long vowels, hamza and ta marbuta carry no class).
_LATIN_DIGRAPHS = (("sh", "s"), ("ch", "s"), ("kh", "g"), ("gh", "g"), ("th", "t"), ("ph", "f"), ("ou", "u"))
_LATIN_CLASS = {**dict.fromkeys("bp", "P"), **dict.fromkeys("fv", "F"), **dict.fromkeys("td", "T"),
                **dict.fromkeys("szx", "S"), **dict.fromkeys("kqgjc", "G"), "l": "L", "m": "M", "n": "N", "r": "R"}
_ARABIC_CLASS = {**dict.fromkeys("بپ", "P"), **dict.fromkeys("فڤ", "F"), **dict.fromkeys("تطدضثذ", "T"),
                 **dict.fromkeys("سصشزظ", "S"), **dict.fromkeys("كقغخجگ", "G"), "ل": "L", "م": "M", "ن": "N",
                 "ر": "R"}
_ARABIC_PREFIXES = ("وال", "بال", "لل", "فال", "كال", "ال", "و", "ب", "ل", "ف")


def latin_skeleton(word: str) -> str:
    w = _fold(word)
    for pair, one in _LATIN_DIGRAPHS:
        w = w.replace(pair, one)
    w = re.sub(r"c(?=[eiy])", "s", w)
    return _collapse("".join(_LATIN_CLASS.get(c, "") for c in w))


def arabic_skeletons(word: str) -> set[str]:
    """The word's skeleton, and without each clitic or article it may start with."""
    out = {_collapse("".join(_ARABIC_CLASS.get(c, "") for c in word))}
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            out.add(_collapse("".join(_ARABIC_CLASS.get(c, "") for c in word[len(prefix):])))
    return out


def _collapse(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


def _close(a: str, b: str) -> bool:
    """Equal skeletons, or (for four classes and more) one class apart: a transliteration
    drops or doubles a consonant now and then."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    long, short = (a, b) if len(a) > len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def name_in(run: list[str], passages_text: str) -> bool:
    """Whether a name (a run of Latin words) is in the passages: as written (accents aside), or
    by its skeleton among the passages' Arabic words (the run joined, against one to three
    words in a row: "Nasser Bourita" against "ناصر بوريطة", "New York" against "بنيويورك")."""
    folded = _fold(passages_text)
    if all(_fold(w) in folded for w in run):
        return True
    words = _ARABIC_WORD.findall(passages_text)
    if not words:
        return False
    singles = [arabic_skeletons(w) for w in words]
    # A name of three words or more may carry a word the passage leaves out ("New York City").
    return any(_skeleton_in(latin_skeleton("".join(part)), words, singles)
               for part in ([run, run[:-1], run[1:]] if len(run) >= 3 else [run]))


def _skeleton_in(joined: str, words: list[str], singles: list[set[str]]) -> bool:
    for i in range(len(words)):
        for n in (1, 2, 3):
            if i + n > len(words):
                break
            if n == 1:
                candidates = singles[i]
            else:
                candidates = {"".join(parts) for parts in _products(singles[i:i + n])}
            if any(_close(joined, c) for c in candidates if c):
                return True
    return False


def _products(groups: list[set[str]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for g in groups:
        out = [o + (x,) for o in out for x in g]
    return out


def unseen_arabic_words(claim: str, passages_text: str, question: str = "") -> list[str]:
    """The claim's Arabic content words (stemmed) that neither the cited passages nor the
    question have: an Arabic name carries no capital to tell it by, so two or more such words
    in a row ("أنطونيو غوتيريش") are what an invented name looks like."""
    known = set(terms(passages_text)) | set(terms(question))
    run: list[str] = []
    longest: list[str] = []
    for word in _ARABIC_WORD.findall(claim):
        stemmed = terms(word)
        if normalize_for_matching(word) in STOPWORDS or not stemmed:
            continue
        if stemmed[0] in known:
            run = []
            continue
        run.append(word)
        if len(run) > len(longest):
            longest = list(run)
    return longest


def figures_with_units(text: str) -> list[tuple[str, frozenset[str] | None]]:
    """Each figure of ``text`` in digits (its multiplier words applied) with what the word after
    it measures ("800 megawatts": capacity; "800 people": nothing, an empty set), or ``None``
    when no word follows ("4,300 [1]")."""
    return [(f.value, None if f.next_word is None else units_in(f.next_word))
            for f in figure_mentions(MARKER.sub(" ", text)) if f.in_digits]


def figures_measuring_else(claim: str, passages_text: str) -> list[str]:
    """The claim's figures that the passages give only as a measure of something else: "800
    people" where the passage's 800 is only ever "800 megawatts"."""
    given: dict[str, set[frozenset[str]]] = {}
    for value, units in figures_with_units(passages_text):
        given.setdefault(value, set()).add(units or frozenset())
    out = []
    for value, units in figures_with_units(claim):
        if units is None or value not in given:
            continue
        there = given[value]
        if all(u and not (u & units) for u in there):  # every mention there has a unit, none this one
            out.append(value)
    return out


def has_anchor(claim: str, passages_text: str, question: str = "") -> bool:
    """Whether a claim in another script than its passage holds something checkable there: a
    number the passage gives, a Latin name it has, or (an Arabic claim on a Latin passage) a word
    of three consonant classes or more that matches one of the passage's words by skeleton ("نور
    ميدلت" and "Noor Midelt"). Across scripts a sentence's similarity to the passage says little
    ("الرياض" came out as close to a French passage on a bridge as true answers do)."""
    if numbers(claim) & numbers(passages_text):
        return True
    if any(name_in(run, passages_text) for run in latin_names(claim, question)):
        return True
    latin = {latin_skeleton(w) for w in _LATIN_WORD.findall(passages_text)}
    latin = {s for s in latin if len(s) >= 3}
    return any(_close(a, b) for w in _ARABIC_WORD.findall(claim) for a in arabic_skeletons(w) if len(a) >= 3
               for b in latin)
