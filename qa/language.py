"""The language of a question (Arabic, English or French), for answering in kind."""
from __future__ import annotations

import re
from datetime import date
from functools import partial

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_FRENCH_HINTS = re.compile(
    r"[àâçéèêëîïôûùüÿœæ]|\b(qui|quoi|quel|quelle|quels|quelles|comment|pourquoi|où|quand|est-ce|est|sont|le|la|les|des|du"
    r"|une|un|de|et|avec|dans|pour|sur|au|aux|cette|ce|combien|lequel|laquelle|se|ou|il|elle|ils|elles|ne|pas"
    r"|leur|leurs|ses|son|sa|nous|vous|y)\b"
    # elisions (qu'a, l'ONU, d'Ayurbarwada) and inverted questions (a-t-il, dure-t-elle)
    r"|\b(qu|l|d|c|n|s|j)['\u2019]\w|\w-t-(il|elle|on)\b",
    re.IGNORECASE,
)
# Words that are French on their own (a one-word message has no second hint to lean on).
_FRENCH_WORDS = re.compile(r"\b(bonjour|bonsoir|salut|coucou|merci|revoir|svp|oui)\b|^\W*qu['\u2019]", re.IGNORECASE)
# A question opening with a French word that is not also English is French on that alone.
_FRENCH_OPENING = re.compile(r"^\W*(qui|que|quoi|quel|quelle|quels|quelles|où|ou|quand|comment|pourquoi|combien|et"
                             r"|est-ce|lequel|laquelle)\b", re.IGNORECASE)


_FIRST_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str:
    """``ar``, ``fr`` or ``en``: Arabic when its first word is, or Arabic letters are at least
    as many as Latin ones (an Arabic question naming "Sony Music Entertainment" stays Arabic);
    else French on two French words, an accent, an elision or a French greeting."""
    arabic = len(_ARABIC.findall(text))
    latin = len(_LATIN.findall(text))
    first = _FIRST_WORD.search(text)
    if arabic and (arabic >= latin or (first and _ARABIC.match(first.group()))):
        return "ar"
    if (len(_FRENCH_HINTS.findall(text)) >= 2 or re.search(r"[àâçéèêëîïôûùœ]", text, re.IGNORECASE)
            or _FRENCH_WORDS.search(text) or _FRENCH_OPENING.search(text)):
        return "fr"
    return "en"


# What isnad says besides the articles' own words, in each language it answers in.
MESSAGES = {
    "abstain": {
        "ar": "لا تذكر المقالات المتوفرة إجابة عن هذا السؤال.",
        "en": "The articles don't say.",
        "fr": "Les articles ne le disent pas.",
    },
    # A message with no question in it ("ok", "?").
    "no_question": {
        "ar": "لا أجد سؤالا في هذه الرسالة: اسأل عن أمر تتناوله المقالات.",
        "en": "There is no question in this message: ask about something the articles cover.",
        "fr": "Ce message ne contient pas de question : posez-en une sur ce que traitent les articles.",
    },
    # A filtered question whose filter admits no stored passage.
    "nothing_in_filter": {
        "ar": "لا توجد في المقالات المخزنة مقالة ضمن هذه المصادر أو التواريخ.",
        "en": "No stored article is within these outlets or dates.",
        "fr": "Aucun article enregistré ne correspond à ces sources ou à ces dates.",
    },
    "llm_fallback": {
        "ar": "تعذر الوصول إلى النموذج اللغوي؛ هذه الإجابة مقتبسة مباشرة من المقالات.",
        "en": "The language model is unavailable; this answer quotes the articles directly.",
        "fr": "Le modèle de langue est indisponible ; cette réponse cite directement les articles.",
    },
    "llm_fallback_declined": {
        "ar": "تعذر الوصول إلى النموذج اللغوي.",
        "en": "The language model is unavailable.",
        "fr": "Le modèle de langue est indisponible.",
    },
    # The LLM's answer stopped before its end (its length limit, or the server cut it).
    "llm_truncated": {
        "ar": "انقطعت إجابة النموذج اللغوي قبل أن تكتمل؛ هذه الإجابة مقتبسة مباشرة من المقالات.",
        "en": "The language model's answer was cut short; this answer quotes the articles directly.",
        "fr": "La réponse du modèle de langue a été interrompue ; cette réponse cite directement les articles.",
    },
    "llm_truncated_declined": {
        "ar": "انقطعت إجابة النموذج اللغوي قبل أن تكتمل.",
        "en": "The language model's answer was cut short.",
        "fr": "La réponse du modèle de langue a été interrompue.",
    },
    # The LLM's answer did not hold up against its sources: the extractive answer stands in.
    "llm_unsupported": {
        "ar": "لم تثبت إجابة النموذج اللغوي أمام المقالات؛ هذه الإجابة مقتبسة مباشرة منها.",
        "en": "The language model's answer did not hold up against the articles; this answer quotes them directly.",
        "fr": "La réponse du modèle de langue ne tenait pas face aux articles ; cette réponse les cite directement.",
    },
    "llm_unsupported_declined": {
        "ar": "لم تثبت إجابة النموذج اللغوي أمام المقالات.",
        "en": "The language model's answer did not hold up against the articles.",
        "fr": "La réponse du modèle de langue ne tenait pas face aux articles.",
    },
    # Some sentences of the LLM's answer were left out.
    "llm_dropped": {
        "ar": "حُذفت من إجابة النموذج جمل لا تسندها المقالات المذكورة.",
        "en": "Sentences of the model's answer that the cited articles do not support were left out.",
        "fr": "Des phrases de la réponse du modèle que les articles cités n'appuient pas ont été retirées.",
    },
    # The model answered in another language than the question's, though told which to use.
    "llm_other_language": {
        "ar": "كتب النموذج اللغوي إجابته بلغة غير لغة السؤال.",
        "en": "The language model wrote its answer in another language than the question's.",
        "fr": "Le modèle de langue a rédigé sa réponse dans une autre langue que celle de la question.",
    },
    # Said before a tentative answer: the closest passage, offered with doubt.
    "tentative": {
        "ar": "قد لا تجيب المقالات عن هذا السؤال مباشرة؛ أقرب ما ورد فيها:",
        "en": "The articles may not answer this directly; the closest passage is:",
        "fr": "Les articles n'y répondent peut-être pas directement ; le passage le plus proche :",
    },
    # Said before quotes in another language than the question, named by the quotes' language
    # (so each has no entry for its own).
    "cross_language/ar": {
        "en": "The passages quoted are in Arabic; the answer quotes them as written.",
        "fr": "Les passages cités sont en arabe ; la réponse les cite tels quels.",
    },
    "cross_language/en": {
        "ar": "المقاطع المقتبسة باللغة الإنجليزية؛ الإجابة تقتبسها كما وردت.",
        "fr": "Les passages cités sont en anglais ; la réponse les cite tels quels.",
    },
    "cross_language/fr": {
        "ar": "المقاطع المقتبسة باللغة الفرنسية؛ الإجابة تقتبسها كما وردت.",
        "en": "The passages quoted are in French; the answer quotes them as written.",
    },
    "cross_language/mixed": {
        "ar": "بعض المقاطع المقتبسة بلغة أخرى؛ الإجابة تقتبسها كما وردت.",
        "en": "Some passages quoted are in another language; the answer quotes them as written.",
        "fr": "Certains passages cités sont dans une autre langue ; la réponse les cite tels quels.",
    },
}


# The month names of a day as a reader sees it ("11 Aug 2015", "11 أغسطس 2015").
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    # The month names of the Arab East, as Saudi and Gulf papers print them.
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"),
}


def day_label(published: str | date | None, language: str) -> str | None:
    """``2015-08-11`` (or a time that day, or a ``date``) as the reader's language writes a day."""
    if not published:
        return None
    if isinstance(published, date):
        day = published
    else:
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return None
    months = MONTHS.get(language, MONTHS["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


# What the answer says of the days a question named ("yesterday"): the days searched, or that
# no article is from them (and the passages are from other days).
_PERIOD = {
    "ar": ("بحثت في المقالات المنشورة {span} («{words}»، بالنسبة إلى {as_of}).",
           "لا توجد مقالة منشورة {span} («{words}»، بالنسبة إلى {as_of})؛ المقاطع أدناه من أيام أخرى."),
    "en": ("Searched the articles published {span} (“{words}”, as of {as_of}).",
           "No stored article was published {span} (“{words}”, as of {as_of}); the passages below are from other days."),
    "fr": ("Recherche dans les articles publiés {span} (« {words} », au {as_of}).",
           "Aucun article enregistré n'a été publié {span} (« {words} », au {as_of}) ; les passages ci-dessous sont d'autres jours."),
}
_SPAN = {
    "ar": ("في {day}", "من {since} إلى {until}", "منذ {since}", "حتى {until}"),
    "en": ("on {day}", "from {since} to {until}", "since {since}", "until {until}"),
    "fr": ("le {day}", "du {since} au {until}", "depuis le {since}", "jusqu'au {until}"),
}


def period_notice(question: str, since: date | None, until: date | None, words: str, as_of: date,
                  *, found: bool) -> str:
    """The days searched for a question that named them, in its language (``found``: whether
    any stored article is from them)."""
    language = detect_language(question)
    one, both, from_, to = _SPAN[language]
    label = partial(day_label, language=language)
    if since is not None and since == until:
        span = one.format(day=label(since))
    elif since is not None and until is not None:
        span = both.format(since=label(since), until=label(until))
    elif since is not None:
        span = from_.format(since=label(since))
    else:
        span = to.format(until=label(until))
    return _PERIOD[language][0 if found else 1].format(span=span, words=words, as_of=label(as_of))


def message(name: str, question: str) -> str:
    """Message ``name`` in the language of ``question``."""
    return MESSAGES[name][detect_language(question)]


abstain_message = partial(message, "abstain")


def cross_language_notice(question: str, quotes: list[str]) -> str | None:
    """What to say before quotes that are not in the question's language (``None``: they all are)."""
    asked = detect_language(question)
    languages = {detect_language(q) for q in quotes}
    if not languages - {asked}:
        return None
    name = f"cross_language/{languages.pop()}" if len(languages) == 1 else "cross_language/mixed"
    return MESSAGES[name][asked]

tentative_notice = partial(message, "tentative")
