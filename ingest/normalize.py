"""Arabic normalisation for *matching* (search, ids, comparisons).

The stored and displayed text is never altered: these functions produce a separate
matching form. Every choice here is about recall of Arabic news text written with
inconsistent orthography (hamza on alef, final ya/alef maqsura, optional diacritics,
decorative tatweel, digits in three scripts).
"""
from __future__ import annotations

import re
import unicodedata

# Harakat, tanween, shadda, sukun, superscript alef and Quranic annotation marks.
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_TATWEEL = "\u0640"

# Arabic-Indic and Persian (extended) digits to ASCII: what matching, and number checks, compare.
ASCII_DIGITS = {**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}

_CHAR_MAP = str.maketrans(
    {
        "\u0623": "\u0627",  # أ -> ا
        "\u0625": "\u0627",  # إ -> ا
        "\u0622": "\u0627",  # آ -> ا
        "\u0671": "\u0627",  # ٱ (wasla) -> ا
        "\u0672": "\u0627",
        "\u0673": "\u0627",
        "\u0649": "\u064a",  # ى -> ي
        _TATWEEL: None,
        **ASCII_DIGITS,
    }
)

_SPACES = re.compile(r"\s+")


def normalize_arabic(text: str) -> str:
    """Matching form of ``text``: NFKC, no tashkeel/tatweel, unified alef and ya, ASCII digits.

    Latin letters are case-folded too, so the same function serves mixed Arabic/English text.
    Whitespace is left as it is (see :func:`normalize_for_matching` to collapse it).
    """
    # NFKC first: it maps presentation forms (ﻻ, ﺍ ...) to base letters. It may reorder
    # combining marks, which is harmless because the marks are removed next.
    text = unicodedata.normalize("NFKC", text)
    text = _TASHKEEL.sub("", text)
    return text.translate(_CHAR_MAP).casefold()


def normalize_for_matching(text: str) -> str:
    """:func:`normalize_arabic` plus whitespace collapsed to single spaces and trimmed."""
    return _SPACES.sub(" ", normalize_arabic(text)).strip()
