"""What a question asks for, and what a sentence states: the answer's kind.

"How much did the plant cost?" wants an amount of money, not the plant's capacity, though the
capacity sentence shares more of the question's words; "كم يبلغ طول الجسر؟" wants a length,
"متى" a date, "who" a person. Questions and sentences are read into the same small vocabulary,
in Arabic, English and French alike (so an Arabic question about a French article still asks
for *mètres*):

- a question's :class:`Asked`: its kind (``quantity``, ``time``, ``person``, ``place`` or
  none) and the attributes it names (``cost``, ``weight``, ``length``, ...);
- a sentence's :class:`Stated`: whether it holds a number, a date or time, a name, a place,
  and which attributes it names (by word, "يزن", "weighs", "pèse", or by unit, "كيلوغرامات",
  "kg").

Words are matched as tokens (``ingest.analysis``: normalised, stemmed; Arabic clitics و ب ل ف ك
tried off), never by patterns that scan back and forth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.analysis import is_arabic, stem, terms, tokens

QUANTITY, TIME, PERSON, PLACE = "quantity", "time", "person", "place"
# Attributes whose quantities are always stated with their unit (an amount of money, a weight);
# a length, a share or a capacity is often a bare number ("يتسع لـ 54,074 متفرج").
UNIT_SURE = frozenset({"cost", "weight"})
# Attributes whose units are stated everywhere ("في السنة", "a day", "35 ans"): a sentence with
# one states no particular quantity, and a question naming one asks no particular unit.
EVERYWHERE = frozenset({"duration", "age"})

# Per attribute: the words that name it, and the units a quantity of it is stated in.
_ATTRIBUTE_WORDS = {
    "weight": "وزن يزن تزن وزنه الوزن weigh weighs weighed weight pèse pesé pesant poids",
    "cost": "تكلفة كلفة تكلف كلف كلفت تكلفت ميزانية ميزانيات استثمار استثمارات سعر أسعار ثمن قيمة تمويل تمويلات "
            "عائدات مداخيل إيرادات cost costs costed budget price prices priced investment invested worth "
            "funding revenue revenues turnover coût coûts coûte coûté coûtent coûtera budget prix investissement "
            "financement montant recettes",
    "length": "طول طوله طولها ارتفاع ارتفاعه علو مسافة عمق long length longest height high tall far "
              "distance altitude deep depth wide width longueur hauteur haut altitude largeur profondeur mesure mesure "
              "mesurent",
    "capacity": "قدرة قدرتها الإنتاجية سعة capacity power output produce produces production "
                "capacité puissance",
    "duration": "مدة وقت الوقت دام دامت استمر استمرت يستمر تستمر durée dure duré durera dureront last lasted lasts duration time temps",
    "area": "مساحة مساحتها area surface superficie",
    "share": "نسبة percent percentage share pourcentage taux",
    "age": "عمر عمره سن age âge",
}
_UNITS = {
    "weight": "كيلوغرام كيلوغرامات كيلوغراما كلغ كغ كجم رطل أرطال pound pounds lb lbs livre livres طن أطنان طنا غرام غرامات kg kilogram kilograms kilogramme "
              "kilogrammes tonne tonnes ton tons gram grams gramme grammes",
    "cost": "درهم دراهم دولار دولارات يورو أورو ريال ريالات دينار جنيه dirham dirhams dollar dollars euro euros usd "
            "mad $ € £",
    "length": "متر مترا أمتار كيلومتر كيلومترا كيلومترات كلم ميل أميال m km meter meters metre metres kilometre "
              "kilometres kilometer kilometers mile miles mètre mètres kilomètre kilomètres feet foot قدم أقدام",
    "capacity": "ميغاواط ميجاوات غيغاواط كيلوواط مكعب لتر megawatt megawatts mw gw gigawatt gigawatts kw kilowatt "
                "mégawatt mégawatts cubic litre litres liter liters m3",
    "duration": "يوم أيام يوما سنة سنوات عام أعوام شهر أشهر شهرا ساعة ساعات دقيقة دقائق أسبوع أسابيع day days year "
                "years month months hour hours minute minutes week weeks jour jours an ans année années mois heure "
                "heures semaine semaines",
    "area": "هكتار هكتارات مربع مربعا مربعة hectare hectares km2 square carré carrés",
    "share": "% ٪ بالمئة بالمائة percent pourcent نصف ثلث ثلثي ثلثين ربع أرباع half third thirds quarter "
             "quarters moitié tiers quart",
    "age": "عاما سنة years ans",
}
# A cubic metre is a volume (a plant's output), a square kilometre an area: neither a length.
_NOT_LENGTH = "cubic cubes مكعب m3 مربع مربعا مربعة square carré carrés km2"

_NUMBER_WORDS = ("واحد واحدة اثنان اثنين اثنتان ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثماني ثمانية تسع "
                 "تسعة عشر عشرة عشرون عشرين ثلاثون أربعون خمسون مئة مائة مئات ألف آلاف ألفا مليون ملايين مليار "
                 "مليارات one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
                 "hundred hundreds thousand thousands million millions billion billions dozen dozens deux trois quatre "
                 "cinq six sept huit neuf dix onze douze vingt trente quarante cinquante cent cents mille millions "
                 "milliard milliards douzaine نصف ثلث ربع half third quarter moitié tiers quart")
_TIME_WORDS = ("يناير فبراير مارس أبريل ابريل ماي مايو يونيو يوليو يوليوز غشت أغسطس شتنبر سبتمبر أكتوبر نونبر نوفمبر "
               "دجنبر ديسمبر كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأحد الاثنين الإثنين الثلاثاء "
               "الأربعاء الخميس الجمعة السبت أمس غدا اليوم القرن قرن سنة فجر صباح مساء ليلة "
               "january february march april may june july august september october november december monday "
               "tuesday wednesday thursday friday saturday sunday yesterday today tomorrow century year decade "
               "janvier février mars avril mai juin juillet août septembre octobre novembre décembre lundi mardi "
               "mercredi jeudi vendredi samedi dimanche hier aujourd demain siècle année an")
_PERSON_WORDS = ("الوزير وزير الرئيس رئيس رئيسة المدير مدير مديرة السيد السيدة الملك الأمير الأمين نائب الأستاذ "
                 "الدكتور الكاتب المتحدث الناطق قال قالت أكد أكدت صرح صرحت أوضح minister president chairman chairwoman "
                 "director chief mr mrs ms dr said says ministre président présidente directeur directrice mme "
                 "déclaré")
_PLACE_WORDS = ("مدينة مدن عاصمة منطقة إقليم جهة قرية ميناء قاعدة شمال جنوب شرق غرب ساحة city capital region "
                "province village port north south east west square ville capitale région nord sud est ouest place")


def _normal(word: str) -> str:
    found = tokens(word)
    return found[0] if found else word.lower()


_CLITICS = ("و", "ب", "ل", "ف", "ك")


def _forms(token: str) -> tuple[str, ...]:
    """A Latin token and its stem; an Arabic one as written and without its leading clitics
    (و ف ب ل ك, then ال: "وبالطاقة" → "طاقة"). Arabic stems are not used here: the stemmer
    makes "الماء" (water) and "المائة" (hundred) one word."""
    if not is_arabic(token):
        return token, stem(token)
    forms = [token]
    rest = token[1:] if len(token) > 3 and token.startswith(_CLITICS) else token
    if rest != token:
        forms.append(rest)
    for base in (token, rest):
        for article in ("ال", "لل"):
            if base.startswith(article) and len(base) > len(article) + 2:
                forms.append(base[len(article):])
    return tuple(forms)


def _lexicon(words: str) -> frozenset[str]:
    out = set()
    for w in words.split():
        out.update(_forms(_normal(w)))
    return frozenset(out)


ATTRIBUTE_WORDS = {a: _lexicon(w) for a, w in _ATTRIBUTE_WORDS.items()}
UNITS = {a: _lexicon(w) | frozenset(w.split()) for a, w in _UNITS.items()}
NOT_LENGTH = _lexicon(_NOT_LENGTH)
NUMBER_WORDS = _lexicon(_NUMBER_WORDS)
TIME_WORDS = _lexicon(_TIME_WORDS)
PERSON_WORDS = _lexicon(_PERSON_WORDS)
PLACE_WORDS = _lexicon(_PLACE_WORDS)
DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")  # Latin, Arabic-Indic and Persian digits
_YEAR = re.compile(r"(?<![0-9])(1[5-9][0-9]{2}|20[0-9]{2})(?![0-9])")
_SYMBOLS = re.compile(r"[%٪$€£]")
# Two capitalised words in a row, not the sentence's first: a name (Latin script).
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][\w'\u2019-]+ (?:(?:de|du|van|von|al|el|ben|bin|ibn|la|le) )?[A-Z][\w-]+")


def _word_forms(text: str) -> set[str]:
    out: set[str] = set()
    for t in tokens(text):
        out.update(_forms(t))
    out.update(_SYMBOLS.findall(text))
    return out


@dataclass(frozen=True)
class Asked:
    """What a question asks for: a kind (or ``None``) and the attributes it names."""

    kind: str | None
    attributes: frozenset[str] = frozenset()
    # What a "how many" question counts ("how many trucks", "كم عدد الشاحنات"), as matching terms.
    counted: frozenset[str] = frozenset()
    # It asks about what is still to come ("when will…", "متى سيعقد…", "quand aura lieu…").
    future: bool = False

    @property
    def strict(self) -> bool:
        """A quantity of a named attribute (a cost, a weight, a length...): a sentence that
        states none does not answer, and one is told by its unit in any language (dates, names
        and places have no such sure mark: "في عهد الخليفة" is a date)."""
        return self.kind == QUANTITY and bool(self.attributes - EVERYWHERE)

    @property
    def specific(self) -> bool:
        """Strict, or a count of something named: the questions whose lead must hold their kind."""
        return self.strict or (self.kind == QUANTITY and bool(self.counted))


@dataclass(frozen=True)
class Stated:
    """What a sentence states, in the vocabulary of :class:`Asked`."""

    number: bool
    time: bool
    person: bool
    place: bool
    attributes: frozenset[str]  # named by a word
    quantities: frozenset[str]  # stated as a number with its unit

    def answers(self, asked: Asked) -> bool:
        """Whether it may hold what the question asks for: a number for a quantity (for a cost
        or a weight, one in a currency or a unit of weight: those are always stated with one), a
        date, a name, a place."""
        if asked.kind == QUANTITY:
            if asked.attributes & UNIT_SURE:
                return self.matches(asked)
            return self.number and not self.other_quantity(asked)
        if asked.kind == TIME:
            return self.time
        if asked.kind == PERSON:
            return self.person
        if asked.kind == PLACE:
            return self.place
        return False

    def matches(self, asked: Asked) -> bool:
        """Whether it states a quantity of the very attribute asked (its unit, or a number
        beside the attribute's word and no other unit); for a quantity question naming no
        attribute, a number."""
        if asked.kind != QUANTITY:
            return self.answers(asked)
        if asked.attributes - EVERYWHERE and not asked.attributes & self.quantities:
            return self.number and bool(asked.attributes & self.attributes) and not self.quantities
        return self.number

    def names(self, asked: Asked) -> bool:
        """Whether it names an attribute the question asks about (by word or unit)."""
        return bool(asked.attributes & (self.attributes | self.quantities))

    def other_quantity(self, asked: Asked) -> bool:
        """A quantity of another attribute than the one asked (the capacity for a cost)."""
        others = self.quantities - EVERYWHERE
        return bool(asked.attributes) and bool(others) and not asked.attributes & self.quantities


def _normals(*words: str) -> set[str]:
    return {_normal(w) for w in words}


# Question openings, as normalised tokens: the first words that set the kind.
_QUANTITY_OPENERS = _normals("كم", "بكم", "لكم", "combien")
_QUANTITY_PAIRS = {("how", "many"), ("how", "much"), ("how", "long"), ("how", "far"), ("how", "high"), ("how", "tall"),
                   ("how", "big"), ("how", "old"), ("how", "large"), ("how", "deep"), ("what", "percentage"),
                   ("ما", "عدد"), ("quel", "nombre"), ("le", "nombre")}
_TIME_OPENERS = _normals("متى", "when", "quand", "lorsque")
_TIME_NOUNS = _normals("عام", "سنة", "يوم", "شهر", "تاريخ", "year", "date", "day", "month", "année", "an", "jour",
                       "mois", "decade", "century", "siècle")
_WHICH = _normals("أي", "which", "what", "quel", "quelle", "quels", "quelles")
_WHAT = _WHICH | _normals("ما", "ماهي", "ماهو")
_PERSON_OPENERS = _normals("who", "whom", "whose", "qui")
_PLACE_OPENERS = _normals("أين", "where", "où")
_PLACE_NOUNS = _normals("مدينة", "بلد", "دولة", "مكان", "منطقة", "city", "country", "town", "place", "region", "ville",
                        "pays", "endroit", "région")
_WHO_AR, _NOT_WHO_AR = _normal("من"), _normals("أين", "كم", "أي")
_OPENERS = _QUANTITY_OPENERS | _TIME_OPENERS | _PLACE_OPENERS | _WHAT | {_WHO_AR} | _normals("عدد")


# An attribute word asks for that attribute as the very thing asked about ("ما وزن", "what is the
# cost of", "quelle est la longueur"), or in a how-much question near its start or as its closing
# verb ("how much did it cost?"), not wherever it stands ("ما هي الطاقة الشمسية؟" asks what solar
# energy is; "ما المورد ... لتحديد قدرة الآلة" asks for a resource).
_ATTRIBUTE_REACH = 5
_LEADING = _normals("ما", "ماهي", "ماهو", "هي", "هو", "هما", "what", "which", "is", "was", "are", "were", "the",
                    "quel", "quelle", "quels", "quelles", "est", "sont", "était", "la", "le", "les", "l", "à", "a",
                    "en", "de", "du")


_HEADS = _normals("الطاقة", "طاقة", "مقدار", "حجم", "total", "average", "متوسط", "moyenne")


def _attributes_at(word: str) -> frozenset[str]:
    forms = set(_forms(word))
    return frozenset(a for a, lex in ATTRIBUTE_WORDS.items() if forms & lex)


def _asked_attributes(words: list[str], how_much: bool) -> frozenset[str]:
    """The attribute a question asks about (see above); ``how_much``: it opens with a quantity word."""
    if not how_much:
        rest = [w for w in words if w not in _LEADING]
        if "s" in rest[:4]:  # "what was Tanger Med's revenue": the possessed noun
            rest = rest[rest.index("s") + 1:]
        for word in rest[:2]:  # "ما الطاقة الإنتاجية": a head noun, then the attribute
            found = _attributes_at(word)
            if found or word not in _HEADS:
                return found
        return frozenset()
    positions = [*range(min(len(words), _ATTRIBUTE_REACH + 1)), *range(max(len(words) - 2, 0), len(words))]
    for i in dict.fromkeys(positions):
        found = _attributes_at(words[i])
        if found:
            return found
    return frozenset()


@lru_cache(maxsize=4096)
def asked_by(question: str) -> Asked:
    """What ``question`` asks for."""
    # "ومتى انطلق؟", "فكم عددهم؟": a follow-up's question word carries و or ف
    words = [w[1:] if w[:1] in ("و", "ف") and len(w) > 2 and w[1:] in _OPENERS else w for w in tokens(question)]
    forms = _word_forms(question)
    pairs = set(zip(words, [*words[1:], None]))
    how_much = bool(pairs & _QUANTITY_PAIRS or set(words) & _QUANTITY_OPENERS)
    attributes = _asked_attributes(words, how_much)
    if attributes & {"length"} and forms & NOT_LENGTH:
        attributes -= {"length"}
    if how_much:
        kind = QUANTITY
        if ("how", "long") in pairs:  # a bridge's length, or a festival's duration
            attributes = frozenset({"length", "duration"})
    elif set(words[:3]) & _TIME_OPENERS or any(a in _WHICH and b in _TIME_NOUNS for a, b in pairs):
        kind = TIME
    elif set(words[:2]) & _PLACE_OPENERS or any(a in _WHICH and b in _PLACE_NOUNS for a, b in pairs):
        kind = PLACE
    elif set(words[:2]) & _PERSON_OPENERS or (words[:1] == [_WHO_AR] and not set(words[1:2]) & _NOT_WHO_AR):
        kind = PERSON
    elif attributes - {"duration"} and set(words[:3]) & _WHAT:
        kind = QUANTITY  # "what is the weight of...", "ما تكلفة ...", "quelle est la longueur ..."
    else:
        kind = None
    counted = frozenset()
    # Latin script only: an Arabic count names its noun in a broken plural ("كم عدد النقاط") that
    # the sentence states in the singular ("11 نقطة"), and "كم مرة" counts times, not a thing.
    if kind == QUANTITY and not attributes and not is_arabic(question):
        counted = frozenset(terms(" ".join(_counted_words(words))))
    return Asked(kind, attributes if kind == QUANTITY else frozenset(), counted, future=_future(words, question=True))


# What is still to come, as tokens: English and French auxiliaries and words, Arabic particles and
# the future prefix س on the verb after the question word ("متى سيعقد"); in a sentence, anywhere.
_FUTURE_WORDS = _normals("will", "shall", "would", "expected", "planned", "scheduled", "next", "upcoming", "sera",
                         "seront", "aura", "auront", "doit", "doivent", "devrait", "prévu", "prévue", "prochain",
                         "prochaine", "سوف", "المقبل", "المقبلة", "القادم", "القادمة", "المنتظر", "المقرر", "مرتقب")
_FUTURE_PREFIXES = ("سي", "ست", "سن")


def _future(words: list[str], question: bool) -> bool:
    if set(words) & _FUTURE_WORDS:
        return True
    # In a question only the word right after its opener, where the verb stands ("متى سيعقد"):
    # "سيارة" or "ستة" elsewhere is a car or six.
    verbs = words[1:2] if question else words
    return any(w.startswith(_FUTURE_PREFIXES) and len(w) >= 5 for w in verbs)


def states_future(sentence: str) -> bool:
    """Whether a sentence speaks of what is still to come ("will open in 2028", "من المنتظر أن تبدأ")."""
    return _future(tokens(sentence), question=False)


_COUNT_OPENERS = _normals("كم", "عدد", "many", "combien", "de", "d", "nombre")


def _counted_words(words: list[str]) -> list[str]:
    """The word a count question counts: the first after "how many", "كم (عدد)", "combien de"."""
    for i, w in enumerate(words[:-1]):
        if w in _COUNT_OPENERS and words[i + 1] not in _COUNT_OPENERS:
            return [words[i + 1]]
    return []


def _measured(forms: set[str]) -> frozenset[str]:
    return frozenset(a for a, lex in UNITS.items() if forms & lex)


def units_in(text: str) -> frozenset[str]:
    """What the unit words of ``text`` measure ("megawatts": capacity; "people": nothing)."""
    return _measured(_word_forms(text))


@lru_cache(maxsize=65536)
def stated_in(sentence: str) -> Stated:
    """What ``sentence`` states."""
    forms = _word_forms(sentence)
    number = bool(DIGITS.search(sentence)) or bool(forms & NUMBER_WORDS)
    quantities = _measured(forms) if number else frozenset()
    if "length" in quantities and forms & NOT_LENGTH:
        quantities -= {"length"}
    return Stated(
        number=number,
        time=bool(_YEAR.search(sentence)) or bool(forms & TIME_WORDS),
        person=bool(_NAME.search(sentence)) or bool(forms & PERSON_WORDS),
        place=bool(forms & PLACE_WORDS) or bool(_NAME.search(sentence)),
        attributes=frozenset(a for a, lex in ATTRIBUTE_WORDS.items() if forms & lex),
        quantities=quantities,
    )


def names_someone_new(sentence: str, question: str) -> bool:
    """Whether a Latin-script sentence names someone the question does not: a run of capitalised
    words that are not the question's own ("Noor Midelt" in "who runs Noor Midelt?" is the
    subject, not the answer), or a title or verb of saying ("chairman", "a déclaré")."""
    asked = set(tokens(question))
    if any(not set(tokens(m.group())) <= asked for m in _NAME.finditer(sentence)):
        return True
    return bool((_word_forms(sentence) & PERSON_WORDS) - _word_forms(question))

