"""The days a question asks about: "أمس", "الأسبوع الماضي", "in August", "il y a deux jours",
"on 5 August", read in Arabic, English and French and resolved against a reference day
(today, or the ``as_of`` of an archive), so that retrieval keeps to those days.

Conventions (what ``benchmarks/data/time-questions.tsv`` was written to):

- a week runs Monday to Sunday ("last week" on a Tuesday is the Monday to Sunday before);
- "this week / month / year" runs from its first day to the reference day;
- "the last/past N days" and "the past week" end on the reference day and start N (7) days before;
- "N days ago", "منذ يومين", "il y a une semaine" name that one day;
- a month, a day of a month or a weekday without a year is its latest one begun by the reference
  day ("in August" asked in January is last August; "on Monday" asked on a Monday is today);
- "since X" runs from X to the reference day, "until X" has no first day;
- two dates in one question ("between 1 and 5 August", "from 25 July to 2 August") span both;
- every period ends by the reference day: nothing is published later.

dateparser (which reads the archive's dates, :mod:`ingest.dates`) was tried here first: its
``search_dates`` returns one instant, not a period ("last week" becomes a day a week ago, "in
August" today's date in August), reads no French relative expression ("la semaine dernière",
"il y a deux jours" as 11 January) and takes bare numbers for dates. Reading a question is a
matter of a few hundred words in three languages, matched here token by token (no regex that
could backtrack).

A month name that is also a word ("May", "March", "مارس" the verb, "mars") counts only next to a
day number, a year or a word that introduces a time ("in", "في", "en", "شهر", "since"...).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .time_words import (
    AGO_BEFORE, AMBIGUOUS_MONTHS, ARABIC_DIGITS, DAY_PARTS, DAY_UNITS, ORDINALS, DMY, DUAL, ISO, JOINED, LAST, MONTH,
    MONTHS, NUMBER_WORDS, SINCE, THIS, TIME_INTRO, TODAY, TOKEN, UNTIL, WEEK, WEEKDAYS, WEEK_UNITS,
    YEAR, YESTERDAY, in_table, normalise, normalised,
)


@dataclass(frozen=True)
class AskedPeriod:
    """The days a question asks about (``since``/``until`` included; None: open), the words
    that said so as the question wrote them, and the day they were read against."""

    since: date | None
    until: date | None
    expression: str
    as_of: date

    def to_dict(self) -> dict:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "expression": self.expression, "as_of": self.as_of.isoformat()}


@dataclass(frozen=True)
class _Token:
    word: str  # normalised: lower case, no diacritics, Arabic letters folded, Western digits
    start: int  # offsets in the question
    end: int


@dataclass(frozen=True)
class _Found:
    first: int  # token indices, ``last`` included
    last: int
    since: date | None
    until: date | None


def asked_period(question: str, as_of: date) -> AskedPeriod | None:
    """The period ``question`` names, resolved against ``as_of``; None when it names none."""
    text = question.translate(ARABIC_DIGITS)
    tokens = _tokens(text)
    found = _absolute_forms(text, tokens) + _scan(tokens, as_of)
    if not found:
        return None
    found.sort(key=lambda f: f.first)
    since_values = [f.since for f in found]
    until_values = [f.until for f in found]
    since = None if any(s is None for s in since_values) else min(since_values)
    until = None if any(u is None for u in until_values) else max(until_values)
    if until is not None and until > as_of:
        until = as_of
    if since is not None and since > as_of:
        since = as_of
    expression = question[tokens[found[0].first].start : tokens[max(f.last for f in found)].end]
    return AskedPeriod(since, until, expression, as_of)


def asks_for_latest(question: str) -> bool:
    """Whether the question asks for the newest report ("آخر التطورات", "the latest",
    "la dernière décision"): "آخر" opening the question or before a definite noun ("آخر
    الأخبار"), not "another" after one ("مسؤول آخر"); "dernier" not of a period ("la semaine
    dernière", "vendredi dernier", "ces trois derniers jours")."""
    words = [t.word for t in _tokens(question.translate(ARABIC_DIGITS))]
    for i, word in enumerate(words):
        before, after = _at(words, i - 1), _at(words, i + 1)
        if word in {"latest", "newest", "احدث"} or (word == "most" and after in {"recent", "recently"}):
            return True
        if word == "اخر" and (after.startswith("ال") or i == 0 or before in {"ما", "ماذا", "هي", "هو"}):
            return True
        if word in _FRENCH_LATEST and after and not after.isdigit() and after not in DAY_UNITS | WEEK_UNITS \
                and not (_unit(before) or in_table(before, WEEKDAYS) or before in {"mois", "jours", "semaines"}):
            return True
    return False


_FRENCH_LATEST = normalised({"dernier", "derniere", "derniers", "dernieres", "recent", "recente", "recents", "recentes"})


# -- reading --------------------------------------------------------------------------------------
def _tokens(text: str) -> list[_Token]:
    found = list(TOKEN.finditer(text))
    tokens = []
    for i, m in enumerate(found):
        word = normalise(m.group())
        # "the Sunday Times", "the March 23 Movement": a capitalised name, not a day
        after = found[i + 1].group() if i + 1 < len(found) else ""
        if (i and m.group()[:1].isupper() and after[:1].isupper() and (word in WEEKDAYS or word in MONTHS)
                and normalise(after) not in MONTHS):
            word = f"{word}_name"
        tokens.append(_Token(word, m.start(), m.end()))
    joined: list[_Token] = []
    for token in tokens:
        if joined and (joined[-1].word, token.word) in JOINED:
            joined[-1] = _Token(f"{joined[-1].word}_{token.word}", joined[-1].start, token.end)
        else:
            joined.append(token)
    return joined


def _number(word: str) -> int | None:
    """A count or a day of the month: digits ("5", "1er", "3rd") or a number word."""
    digits = word
    for suffix in ("st", "nd", "rd", "th", "er", "ere", "e"):
        if word.endswith(suffix) and word[: -len(suffix)].isdigit():
            digits = word[: -len(suffix)]
            break
    if digits.isdigit() and len(digits) <= 2:
        return int(digits)
    return NUMBER_WORDS.get(word) or (NUMBER_WORDS.get(word[2:]) if word.startswith("ال") else None)


def _year(word: str) -> int | None:
    return int(word) if word.isdigit() and len(word) == 4 and 1900 <= int(word) <= 2099 else None


def _absolute_forms(text: str, tokens: list[_Token]) -> list[_Found]:
    """``2015-08-04`` and ``4/8/2015`` (day first, as the region writes it)."""
    found = []
    for pattern, order in ((ISO, (0, 1, 2)), (DMY, (2, 1, 0))):
        for m in pattern.finditer(text):
            parts = [int(g) for g in m.groups()]
            year, month, day = (parts[i] for i in order)
            try:
                day_found = date(year, month, day)
            except ValueError:
                continue
            first = next(i for i, t in enumerate(tokens) if t.end > m.start())
            last = max(i for i, t in enumerate(tokens) if t.start < m.end())
            found.append(_Found(first, last, day_found, day_found))
    return found


def _scan(tokens: list[_Token], as_of: date) -> list[_Found]:
    words = [t.word for t in tokens]
    found: list[_Found] = []
    i = 0
    while i < len(words):
        hit = _match(words, i, as_of)
        if hit is None:
            i += 1
            continue
        found.append(hit)
        i = hit.last + 1
    return _with_since_until(words, found, as_of)


def _with_since_until(words: list[str], found: list[_Found], as_of: date) -> list[_Found]:
    """"since X" runs from X to the reference day; "until X" has no first day."""
    out = []
    for f in found:
        before = words[f.first - 1] if f.first > 0 else ""
        before2 = words[f.first - 2] if f.first > 1 else ""
        if (in_table(before, SINCE) or (before in {"le", "l"} and before2 in SINCE)) and f.since is not None:
            out.append(_Found(f.first - 1, f.last, f.since, as_of))
        elif in_table(before, UNTIL) or (before in {"au", "le"} and before2 in UNTIL):
            out.append(_Found(f.first - 1, f.last, None, f.until))
        else:
            out.append(f)
    return out


def _match(words: list[str], i: int, as_of: date) -> _Found | None:
    for matcher in (_days_ago, _recent_days, _day_words, _named_period, _day_of_month, _month, _weekday):
        hit = matcher(words, i, as_of)
        if hit is not None:
            return hit
    return None


def _at(words: list[str], i: int) -> str:
    return words[i] if 0 <= i < len(words) else ""


def _day(found_day: date, first: int, last: int) -> _Found:
    return _Found(first, last, found_day, found_day)


def _days_ago(words, i, as_of):
    """"3 days ago", "a week ago", "il y a deux jours", "منذ يومين", "قبل ثلاثة أيام": that day."""
    word = words[i]
    if in_table(word, AGO_BEFORE):  # منذ / قبل + count + unit, or the dual alone
        unit = DUAL.get(_at(words, i + 1))
        if unit:
            return _day(as_of - timedelta(days=unit[1] * (7 if unit[0] == "week" else 1)), i, i + 1)
        if _at(words, i + 1) in WEEK_UNITS:  # منذ أسبوع
            return _day(as_of - timedelta(days=7), i, i + 1)
        count = _number(_at(words, i + 1))
        if count and _at(words, i + 2) in DAY_UNITS | WEEK_UNITS:
            return _day(as_of - timedelta(days=count * (7 if _at(words, i + 2) in WEEK_UNITS else 1)), i, i + 2)
        return None
    if word == "il" and _at(words, i + 1) == "y" and _at(words, i + 2) == "a":
        count = _number(_at(words, i + 3))
        unit = _at(words, i + 4)
        if count and unit in DAY_UNITS | WEEK_UNITS:
            return _day(as_of - timedelta(days=count * (7 if unit in WEEK_UNITS else 1)), i, i + 4)
        return None
    count = _number(word)
    if count and _at(words, i + 1) in DAY_UNITS | WEEK_UNITS and _at(words, i + 2) == "ago":
        return _day(as_of - timedelta(days=count * (7 if _at(words, i + 1) in WEEK_UNITS else 1)), i, i + 2)
    return None


def _recent_days(words, i, as_of):
    """"the last 3 days", "past two days", "the past week", "ces trois derniers jours",
    "الأيام الثلاثة الماضية", "اليومين الماضيين": from N days before to the reference day."""
    word = words[i]
    if word in {"last", "past"}:
        count = _number(_at(words, i + 1))
        if count and _at(words, i + 2) in DAY_UNITS | WEEK_UNITS:
            days = count * (7 if _at(words, i + 2) in WEEK_UNITS else 1)
            return _Found(i, i + 2, as_of - timedelta(days=days), as_of)
        if word == "past" and _at(words, i + 1) in WEEK:
            return _Found(i, i + 1, as_of - timedelta(days=7), as_of)
        return None
    if word in {"ces", "les", "des"}:
        count = _number(_at(words, i + 1))
        if count and _at(words, i + 2) in LAST and _at(words, i + 3) in DAY_UNITS:
            return _Found(i, i + 3, as_of - timedelta(days=count), as_of)
        return None
    if in_table(word, {"الايام"}):
        count = _number(_at(words, i + 1))
        if count and _at(words, i + 2) in LAST:
            return _Found(i, i + 2, as_of - timedelta(days=count), as_of)
        return None
    if in_table(word, {"اليومين"}) and _at(words, i + 1) in LAST:
        return _Found(i, i + 1, as_of - timedelta(days=2), as_of)
    return None


def _day_words(words, i, as_of):
    """today, yesterday, the day before yesterday, in the three languages."""
    word = words[i]
    if word in {"avant"} and _at(words, i + 1) == "hier":
        return _day(as_of - timedelta(days=2), i, i + 1)
    if word == "aujourd" and _at(words, i + 1) == "hui":
        return _day(as_of, i, i + 1)
    if word == "امس" and _at(words, i + 1) == "الاول":  # Gulf usage: the day before yesterday
        return _day(as_of - timedelta(days=2), i, i + 1)
    if word in {"this", "ce", "cet"} and _at(words, i + 1) in DAY_PARTS:  # this morning, ce soir
        last = i + 2 if _at(words, i + 2) == "midi" else i + 1  # cet après-midi
        return _day(as_of, i, last)
    if word == "tonight":
        return _day(as_of, i, i)
    if word == "اول" and _at(words, i + 1) in {"امس", "من"}:
        last = i + 1 if _at(words, i + 1) == "امس" else i + 2
        if _at(words, last) == "امس":
            return _day(as_of - timedelta(days=2), i, last)
    if word == "the" and _at(words, i + 1) == "day" and _at(words, i + 2) == "before" and _at(words, i + 3) == "yesterday":
        return _day(as_of - timedelta(days=2), i, i + 3)
    if in_table(word, YESTERDAY):
        return _day(as_of - timedelta(days=1), i, i)
    if in_table(word, TODAY):
        if word.endswith("اليوم") and _at(words, i + 1).startswith("ال"):
            return None  # "اليوم الوطني": the national day, not today
        return _day(as_of, i, i)
    return None


def _named_period(words, i, as_of):
    """last / this week, month, year ("الأسبوع الماضي", "la semaine dernière", "this year")."""
    word = words[i]
    # The unit first: "الأسبوع الماضي", "le mois dernier", "la semaine passée", "l'année dernière",
    # "الأسبوع الحالي", "ce mois-ci" (with "ce" before it, below).
    unit = _unit(word)
    if unit and _at(words, i + 1) in LAST:
        return _Found(i, i + 1, *_previous(unit, as_of))
    if unit and _at(words, i + 1) in THIS:
        return _Found(i, i + 1, _start_of(unit, as_of), as_of)
    if word in LAST and word not in {"past"} and _unit(_at(words, i + 1)):
        return _Found(i, i + 1, *_previous(_unit(_at(words, i + 1)), as_of))
    if word in THIS and _unit(_at(words, i + 1)):
        last = i + 2 if _at(words, i + 2) == "ci" else i + 1
        return _Found(i, last, _start_of(_unit(_at(words, i + 1)), as_of), as_of)
    return None


def _unit(word: str) -> str | None:
    word = in_table(word, WEEK | MONTH | YEAR) or ""
    if word in WEEK:
        return "week"
    if word in MONTH:
        return "month"
    if word in YEAR and word != "an":
        return "year"
    return None


def _start_of(unit: str, day: date) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _previous(unit: str, as_of: date) -> tuple[date, date]:
    this = _start_of(unit, as_of)
    last_day = this - timedelta(days=1)
    return _start_of(unit, last_day), last_day


def _month_name(word: str) -> int | None:
    name = in_table(word, MONTHS)
    return MONTHS[name] if name else None


def _latest(month: int, day: int | None, as_of: date) -> date | None:
    """The latest ``day`` of ``month`` (its first day when None) begun by ``as_of``."""
    for year in (as_of.year, as_of.year - 1):
        try:
            found = date(year, month, day or 1)
        except ValueError:
            return None
        if found <= as_of:
            return found
    return None


def _day_of_month(words, i, as_of):
    """"5 August [2015]", "August 5[, 2015]", "le 1er août", "the 3rd of August", "5 أغسطس",
    "من 25 يوليو" and "between 1 and 5 August" / "du 1er au 5 août" / "بين 1 و 5 أغسطس"."""
    day, after = _digit_day(words[i]), i
    if day is None:
        day, after = _ordinal_day(words, i)
    if day is not None:
        j = after + 1 + (_at(words, after + 1) in {"of", "de", "من"})
        month = _month_name(_at(words, j))
        if month:
            return _dated(month, day, j, i, words, as_of)
        # "1 and 5 August", "1er au 5 août", "1 و 5 أغسطس": the first day takes the second's month.
        if _at(words, i + 1) in {"and", "to", "au", "et", "و", "الى"}:
            second = _digit_day(_at(words, i + 2))
            month = _month_name(_at(words, i + 3))
            if second is not None and month:
                end = _dated(month, second, i + 3, i + 2, words, as_of)
                if end is not None and end.until is not None and day <= second:
                    return _Found(i, end.last, end.until.replace(day=day), end.until)
        return None
    month = _month_name(words[i])
    if month and _digit_day(_at(words, i + 1)) is not None and _at(words, i + 1).isdigit():
        return _dated(month, _digit_day(_at(words, i + 1)), i + 1, i, words, as_of)
    return None


def _ordinal_day(words, i) -> tuple[int | None, int]:
    """A day written as an ordinal ("العاشر", "الحادي والعشرين", "الخامس عشر", "the tenth"):
    the day and the index of its last word, or (None, i)."""
    unit = ORDINALS.get(words[i])
    if unit is None:
        return None, i
    if _at(words, i + 1) == "عشر" and unit < 10:
        return unit + 10, i + 1
    tens = {"والعشرين": 20, "والثلاثين": 30}.get(_at(words, i + 1))
    if tens and unit < 10 and unit + tens <= 31:
        return unit + tens, i + 1
    return unit, i


def _digit_day(word: str) -> int | None:
    value = _number(word) if word[:1].isdigit() else None
    return value if value is not None and 1 <= value <= 31 else None


def _dated(month: int, day: int, j: int, first: int, words, as_of) -> _Found | None:
    """The day ``day`` of ``month`` whose last token is ``j``, with a year after it if there is one."""
    year = _year(_at(words, j + 1))
    if year:
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        return _day(found, first, j + 1)
    found = _latest(month, day, as_of)
    return _day(found, first, j) if found else None


def _month(words, i, as_of):
    """"in August", "في أغسطس", "en juillet", "شهر آب", "July 2015": the whole month."""
    word = words[i]
    month = _month_name(word)
    if not month:
        return None
    year = _year(_at(words, i + 1))
    base = in_table(word, MONTHS) or word
    # An unambiguous name alone ("أغسطس", "juillet") is the month; "May", "مارس", "بمارس" need
    # a year after them or a word of time before.
    if not year and (base in AMBIGUOUS_MONTHS or base != word) and _at(words, i - 1) not in TIME_INTRO:
        return None
    if year:
        first = date(year, month, 1)
        return _Found(i, i + 1, first, first.replace(day=calendar.monthrange(year, month)[1]))
    first = _latest(month, None, as_of)
    if first is None:
        return None
    return _Found(i, i, first, first.replace(day=calendar.monthrange(first.year, month)[1]))


def _weekday(words, i, as_of):
    """"on Monday", "يوم الاثنين", "lundi", "last Friday", "الأحد الماضي", "vendredi dernier":
    the latest such day (before today with "last")."""
    word = words[i]
    name = in_table(word, WEEKDAYS)
    if name is None:
        if word in {"last"} and in_table(_at(words, i + 1), WEEKDAYS):
            back = (as_of.weekday() - WEEKDAYS[in_table(_at(words, i + 1), WEEKDAYS)]) % 7 or 7
            return _day(as_of - timedelta(days=back), i, i + 1)
        return None
    if name == "الجمعه" and _at(words, i - 1) != "يوم":
        return None  # "صلاة الجمعة": the Friday prayer
    first = i - 1 if _at(words, i - 1) in {"يوم", "on"} else i
    back = (as_of.weekday() - WEEKDAYS[name]) % 7
    last = i
    if _at(words, i + 1) in LAST:
        back, last = back or 7, i + 1
    return _day(as_of - timedelta(days=back), first, last)
