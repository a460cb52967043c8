"""Terms for lexical matching: normalised, tokenised, stop words dropped, stemmed.

One analyser serves every lexical comparison (the BM25 index, answer-sentence selection), so
a question and a passage are always cut into terms the same way. Arabic words go through
snowball's Arabic stemmer (it strips the clitics and affixes that make و+ال+مغرب a different
string from مغرب); Latin words through the English stemmer.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

from .normalize import normalize_arabic

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def is_arabic(text: str) -> bool:
    """Whether ``text`` holds an Arabic-script letter (what tells the two scripts' terms,
    stemmers and script relations apart)."""
    return bool(_ARABIC.search(text))

# Function words that carry no topic. Kept short on purpose: over-eager lists hurt recall
# on questions ("من" is "who" as well as "from"; question words are dropped by the caller).
ARABIC_STOPWORDS = frozenset(
    normalize_arabic(w)
    for w in """
    في من على الى إلى عن مع هذا هذه ذلك تلك التي الذي الذين اللذين اللتين هو هي هم هن أن إن ان
    كان كانت يكون تكون قد لقد ثم او أو و ف ب ل ك ما لا لم لن إذا اذا كما حيث بين عند عندما منذ
    كل بعض غير أي اي أيضا ايضا حتى لكن بل قبل بعد خلال ضمن نحو لدى لها له لهم به بها فيه فيها
    عليه عليها منه منها اليه إليه إليها اليها هناك هنا كيف متى ماذا لماذا هل كم أين اين أي ايه
    """.split()
)
LATIN_STOPWORDS = frozenset(
    """
    a an the of in on at to for from by with and or but is are was were be been being it its this
    that these those as into than then there their they he she his her which who whom whose what
    when where why how did does do has have had not no yes can could would should will shall may
    le la les un une des du de et ou en au aux est sont été par pour sur dans avec qui que quoi
    quel quelle quels quelles comment pourquoi où quand ce cette ces il elle ils elles se sa son
    """.split()
)
STOPWORDS = ARABIC_STOPWORDS | LATIN_STOPWORDS

_local = threading.local()


def _stemmers() -> tuple[snowballstemmer.stemmer, snowballstemmer.stemmer]:
    # snowball stemmer objects keep state between calls: one pair per thread.
    pair = getattr(_local, "stemmers", None)
    if pair is None:
        pair = (snowballstemmer.stemmer("arabic"), snowballstemmer.stemmer("english"))
        _local.stemmers = pair
    return pair


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    arabic, english = _stemmers()
    if is_arabic(token):
        # Snowball leaves the conjunction on و/ف + ال words (والمغرب); drop it first.
        if token[:1] in ("\u0648", "\u0641") and token[1:3] == "\u0627\u0644" and len(token) >= 6:
            token = token[1:]
        stemmed = arabic.stemWord(token)
    else:
        stemmed = english.stemWord(token)
    return stemmed or token


def tokens(text: str) -> list[str]:
    """Normalised word tokens of ``text`` (no stemming, stop words kept)."""
    return _TOKEN.findall(normalize_arabic(text))


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Stemmed matching terms of ``text``, in order, duplicates kept."""
    return [stem(t) for t in tokens(text) if keep_stopwords or t not in STOPWORDS]


_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_ENGLISH_WORDS = frozenset("the of and to in is was for on with that by as at from it which this are were has have".split())
_FRENCH_WORDS = frozenset("le la les des du de et est un une dans pour par sur au aux qui que avec se ne pas été ont "
                          "son sa ses cette ce".split())


def text_language(text: str) -> str:
    """``ar``, ``en`` or ``fr`` for a passage of running text: Arabic when Arabic letters are
    at least as many as Latin ones, else by which language's function words it holds more of
    (retrieval compares a question with passages of each language on the same footing)."""
    arabic = len(_ARABIC.findall(text))
    if arabic and arabic >= len(_LATIN_LETTER.findall(text)):
        return "ar"
    words = _TOKEN.findall(text.lower())
    french = sum(w in _FRENCH_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    return "fr" if french > english else "en"
