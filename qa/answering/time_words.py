"""The words a question names days with, in Arabic, English and French, as
:mod:`qa.answering.periods` reads them: month and weekday names, number words, "yesterday",
"last", "this", "since"..., each normalised as a question's words are (lower case, no
diacritics, Arabic letters folded: "الفائت" is "الفايت")."""
from __future__ import annotations

import re
import unicodedata

from ingest.normalize import ASCII_DIGITS


def normalise(word: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFKD", word) if unicodedata.category(c) != "Mn")
    return folded.replace("ى", "ي").replace("ة", "ه").replace("ـ", "").casefold()


def normalised(words):
    """A table's words as :func:`normalise` leaves a question's ("الفائت" → "الفايت")."""
    if isinstance(words, dict):
        return {normalise(k): v for k, v in words.items()}
    return {normalise(w) for w in words}


# -- the words ------------------------------------------------------------------------------------
MONTHS: dict[str, int] = {}
for _number, _names in enumerate([
    "يناير كانون_الثاني january jan janvier janv",
    "فبراير شباط february feb fevrier fevr",
    "مارس اذار march mar mars",
    "ابريل نيسان april apr avril avr",
    "مايو ايار may mai",
    "يونيو حزيران june jun juin",
    "يوليو تموز july jul juillet juil",
    "اغسطس اب august aug aout",
    "سبتمبر ايلول september sep sept septembre",
    "اكتوبر تشرين_الاول october oct octobre",
    "نوفمبر تشرين_الثاني november nov novembre",
    "ديسمبر كانون_الاول december dec decembre",
], start=1):
    for _name in _names.split():
        MONTHS[normalise(_name)] = _number
# Month names that are also everyday words (or, Levantine "آب", the word for father).
AMBIGUOUS_MONTHS = normalised({"may", "mar", "march", "mars", "مارس", "اب", "jun", "dec", "sep", "aug", "jan", "apr", "oct", "nov", "feb", "jul", "mai", "sept"})
# Two-word Levantine months, joined by the tokenizer.
JOINED = {("كانون", "الثاني"), ("كانون", "الاول"), ("تشرين", "الاول"), ("تشرين", "الثاني")}

WEEKDAYS = {normalise(name): i for i, names in enumerate([
    "الاثنين monday lundi", "الثلاثاء tuesday mardi", "الاربعاء wednesday mercredi", "الخميس thursday jeudi",
    "الجمعه friday vendredi", "السبت saturday samedi", "الاحد sunday dimanche"]) for name in names.split()}

# Days of the month as ordinals ("في العاشر من أغسطس", "the tenth of August", "le premier août");
# "الحادي عشر", "الحادي والعشرين" are read from these and the word after.
ORDINALS = normalised({
    "الأول": 1, "الحادي": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6, "السابع": 7,
    "الثامن": 8, "التاسع": 9, "العاشر": 10, "العشرين": 20, "الثلاثين": 30,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "premier": 1,
})
# Parts of today ("this morning", "ce soir").
DAY_PARTS = normalised({"morning", "afternoon", "evening", "matin", "soir", "apres"})

NUMBER_WORDS = normalised({
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "واحد": 1, "ثلاثه": 3, "اربعه": 4, "خمسه": 5, "سته": 6, "سبعه": 7,
    "ثمانيه": 8, "تسعه": 9, "عشره": 10, "ثلاث": 3, "اربع": 4, "خمس": 5, "ست": 6, "سبع": 7, "ثماني": 8,
    "تسع": 9, "عشر": 10,
})
DAY_UNITS = normalised({"day", "days", "jour", "jours", "ايام", "يوما", "يوم"})
WEEK_UNITS = normalised({"week", "weeks", "semaine", "semaines", "اسبوع", "اسابيع"})
DUAL = normalised({"يومين": ("day", 2), "اليومين": ("day", 2), "اسبوعين": ("week", 2), "الاسبوعين": ("week", 2)})

TODAY = normalised({"today", "اليوم"})
YESTERDAY = normalised({"yesterday", "hier", "امس", "الامس", "البارحه"})
LAST = normalised({"last", "past", "previous", "dernier", "derniere", "derniers", "dernieres", "passe", "passee",
         "الماضي", "الماضيه", "المنصرم", "المنصرمه", "الفائت", "الفائته", "السابق", "السابقه", "الماضيين"})
THIS = normalised({"this", "current", "ce", "cet", "cette", "هذا", "هذه", "الحالي", "الحاليه", "الجاري", "الجاريه"})
WEEK = normalised({"week", "semaine", "الاسبوع"})
MONTH = normalised({"month", "mois", "الشهر"})
YEAR = normalised({"year", "annee", "an", "العام", "السنه"})
SINCE = normalised({"since", "depuis", "منذ"})
UNTIL = normalised({"until", "till", "jusqu", "حتى", "لغايه"})
AGO_BEFORE = normalised({"منذ", "قبل"})  # Arabic: before the number ("منذ يومين")
# Words that make a following month name a month ("in May", "في مارس", "en mars", "شهر آب").
TIME_INTRO = normalised({"in", "during", "since", "until", "of", "from", "to", "between", "en", "depuis", "pendant",
               "durant", "mois", "au", "du", "de", "في", "خلال", "شهر", "منذ", "حتى", "من", "الى", "بين"})
ARABIC_PREFIXES = ("و", "ف", "ب", "ل", "وب", "فب", "ول", "وال", "بال")

TOKEN = re.compile(r"[^\W_]+")
ARABIC_DIGITS = str.maketrans(ASCII_DIGITS)
ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
DMY = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")


def in_table(word: str, table) -> str | None:
    """``word`` as found in ``table``, or its form without an Arabic prefix (و، ب، بال...)."""
    if word in table:
        return word
    for prefix in ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = word[len(prefix):]
            if rest in table:
                return rest
            if prefix.endswith("ال") and "ال" + rest in table:
                return "ال" + rest
    return None
