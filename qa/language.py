"""The language of a question (Arabic, English or French), for answering in kind."""
from __future__ import annotations

import re
from functools import partial

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_FRENCH_HINTS = re.compile(
    r"[àâçéèêëîïôûùüÿœæ]|\b(qui|quoi|quel|quelle|quels|quelles|comment|pourquoi|où|quand|est-ce|est|sont|le|la|les|des|du"
    r"|une|un|de|et|avec|dans|pour|sur|au|aux|cette|ce|combien|lequel|laquelle)\b",
    re.IGNORECASE,
)
# Words that are French on their own (a one-word message has no second hint to lean on).
_FRENCH_WORDS = re.compile(r"\b(bonjour|bonsoir|salut|coucou|merci|revoir|svp|oui)\b", re.IGNORECASE)


def detect_language(text: str) -> str:
    """``ar``, ``fr`` or ``en``: Arabic if Arabic letters outnumber Latin ones."""
    arabic = len(_ARABIC.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic and arabic >= latin:
        return "ar"
    if (len(_FRENCH_HINTS.findall(text)) >= 2 or re.search(r"[àâçéèêëîïôûùœ]", text, re.IGNORECASE)
            or _FRENCH_WORDS.search(text)):
        return "fr"
    return "en"


# What isnad says besides the articles' own words, in each language it answers in.
MESSAGES = {
    "abstain": {
        "ar": "لا تذكر المقالات المتوفرة إجابة عن هذا السؤال.",
        "en": "The articles don't say.",
        "fr": "Les articles ne le disent pas.",
    },
    "llm_fallback": {
        "ar": "تعذر الوصول إلى النموذج اللغوي؛ هذه الإجابة مقتبسة مباشرة من المقالات.",
        "en": "The language model is unavailable; this answer quotes the articles directly.",
        "fr": "Le modèle de langue est indisponible ; cette réponse cite directement les articles.",
    },
    # Said before quotes in another language than the question.
    "cross_language": {
        "en": "The articles are in Arabic; the answer quotes them as written:",
        "fr": "Les articles sont en arabe ; la réponse les cite tels quels :",
        "ar": "المقالات بلغة أخرى؛ الإجابة تقتبسها كما وردت:",
    },
}


def message(name: str, question: str) -> str:
    """Message ``name`` in the language of ``question``."""
    return MESSAGES[name][detect_language(question)]


abstain_message = partial(message, "abstain")
llm_fallback_notice = partial(message, "llm_fallback")
cross_language_notice = partial(message, "cross_language")
