"""Greetings, thanks and "what can you do?": messages that are not questions about the articles.

Searching the articles for "hello" finds whatever is nearest and quotes it, which reads as
nonsense. Such a message gets a short reply in its own language instead, saying what the
assistant answers from, with example questions built from titles in the store.
"""
from __future__ import annotations

import re

from ingest.analysis import tokens

from .language import detect_language

# Whole messages only (after trimming punctuation and emoji): "hello", "مرحبا يا صديقي" is not
# matched by accident inside a real question.
_SMALL_TALK = re.compile(
    r"^(?:"
    # Arabic
    r"(?:ال)?سلام(?: عليكم)?(?: ورحمة الله(?: وبركاته)?)?|مرحب[اًا]?(?: بك| بكم)?|أهلا(?: وسهلا)?|اهلا(?: وسهلا)?"
    r"|صباح الخير|مساء الخير|شكرا(?: جزيلا)?|شكراً(?: جزيلاً)?|كيف حالك|من أنت|من انت|ماذا تستطيع(?: أن تفعل)?"
    r"|ما الذي تستطيع فعله|هل تسمعني|تحية طيبة|وداعا|مع السلامة"
    # English
    r"|hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|thanks?(?: you)?(?: (?:so|very) much)?|thx|cheers"
    r"|how are you(?: doing)?|who are you|what are you|what can you do|what do you do|are you there|bye|goodbye"
    # French
    r"|bonjour|bonsoir|salut|coucou|merci(?: beaucoup)?|comment (?:ça|ca) va|comment allez-vous|qui es-tu"
    r"|qui êtes-vous|que sais-tu faire|que peux-tu faire|au revoir"
    r")$",
    re.IGNORECASE,
)
_TRIM = re.compile(r"^[\s\W_]+|[\s\W_]+$", re.UNICODE)

INTRO = {
    "ar": "أجيب عن الأسئلة من المقالات المحفوظة فقط، وأذكر مع كل إجابة المقاطع التي تستند إليها.",
    "en": "I answer questions from the stored articles only, and show the passages each answer rests on.",
    "fr": "Je réponds aux questions à partir des articles enregistrés uniquement, en montrant les passages sur lesquels "
          "chaque réponse s'appuie.",
}
TRY = {"ar": "اسأل مثلا:", "en": "Try for example:", "fr": "Essayez par exemple :"}
EXAMPLE_TEMPLATES = {
    "ar": "ماذا تقول المقالة «{title}»؟",
    "en": "What does the article “{title}” say?",
    "fr": "Que dit l'article « {title} » ?",
}
EMPTY_STORE = {
    "ar": "لا توجد مقالات محفوظة بعد: أضف مقالات أولا.",
    "en": "No articles are stored yet: add some first.",
    "fr": "Aucun article n'est encore enregistré : ajoutez-en d'abord.",
}


# Messages that acknowledge rather than ask ("ok", "نعم", "d'accord"), as word tokens.
_ACKNOWLEDGEMENTS = frozenset(tokens(
    "ok okay okey k yes no yeah yep nope sure fine great cool nice good right alright understood got it "
    "oui non d accord bien super parfait entendu vu "
    "نعم لا حسنا طيب اوكي أوكي تمام ممتاز جيد اكيد أكيد فهمت"
))


def asks_nothing(message: str) -> bool:
    """A message with no question in it: punctuation alone ("?", "..."), or words that only
    acknowledge ("ok", "نعم", "d'accord"). Searching the articles for it would quote whatever
    is nearest."""
    words = tokens(message)
    return not words or set(words) <= _ACKNOWLEDGEMENTS


def is_small_talk(message: str) -> bool:
    """A greeting, thanks, or a question about the assistant itself, and nothing more."""
    return bool(_SMALL_TALK.match(_TRIM.sub("", " ".join(message.split()))))


def small_talk_reply(message: str, titles: list[str], examples: int = 2) -> str:
    """The reply, in the message's language, with up to ``examples`` example questions."""
    language = detect_language(message)
    if not titles:
        return f"{INTRO[language]} {EMPTY_STORE[language]}"
    lines = [f"{INTRO[language]} {TRY[language]}"]
    lines += [f"• {EXAMPLE_TEMPLATES[language].format(title=title.strip()[:120])}" for title in titles[:examples]]
    return "\n".join(lines)
