"""What a question asks for and what a sentence states (qa/answering/kinds.py), which lines are
sentences (qa/answering/sentences.py), messages that ask nothing, notices per quoted language."""
from __future__ import annotations

import pytest

from ingest.analysis import text_language
from qa.answering.kinds import PERSON, PLACE, QUANTITY, TIME, asked_by, stated_in, states_future
from qa.answering.sentences import is_quotable
from qa.language import cross_language_notice
from qa.smalltalk import asks_nothing


@pytest.mark.parametrize(("question", "kind", "attributes"), [
    ("ما وزن القمر الصناعي محمد السادس-ب؟", QUANTITY, {"weight"}),
    ("كم يزن القمر الصناعي؟", QUANTITY, {"weight"}),  # the verb يزن, the noun وزن: one attribute
    ("How much does the satellite weigh?", QUANTITY, {"weight"}),
    ("Combien a coûté le pont ?", QUANTITY, {"cost"}),
    ("How much did the Noor Midelt plant cost?", QUANTITY, {"cost"}),
    ("ما هي ميزانية مهرجان فاس؟", QUANTITY, {"cost"}),
    ("What was Tanger Med's revenue in 2023?", QUANTITY, {"cost"}),
    ("Quelle est la longueur du pont ?", QUANTITY, {"length"}),
    ("ما الطاقة الإنتاجية للمحطة؟", QUANTITY, {"capacity"}),
    ("How long did the festival last?", QUANTITY, {"length", "duration"}),
    ("كم من الوقت يستغرق الإنتاج؟", QUANTITY, {"duration"}),
    ("متى تبدأ المحطة الإنتاج؟", TIME, set()),
    ("Quand le pont a-t-il été inauguré ?", TIME, set()),
    ("In which year was it built?", TIME, set()),
    ("من فاز بماراثون الرباط؟", PERSON, set()),
    ("Who is the chairman of Tanger Med?", PERSON, set()),
    ("من أين أطلق القمر؟", PLACE, set()),  # "from where", not "who"
    ("Where is the plant built?", PLACE, set()),
    ("ما هي الطاقة الشمسية؟", None, set()),  # what solar energy is: no capacity asked
    ("ما المورد الذي يقاس لتحديد قدرة الآلة؟", None, set()),  # a resource, though "capacity" is named
    ("ما شعار الدورة؟", None, set()),
])
def test_what_a_question_asks_for(question, kind, attributes):
    asked = asked_by(question)
    assert asked.kind == kind and asked.attributes == attributes


def test_a_count_names_what_it_counts_in_latin_script_only():
    assert asked_by("How many trucks passed through the port?").counted == {"truck"}
    assert asked_by("Combien de coureurs ont participé ?").counted  # "coureurs"
    # Arabic counts name a broken plural the sentence states in the singular: not matched.
    assert not asked_by("كم عدد النقاط التي سجلها الفريق؟").counted


def test_questions_about_what_is_still_to_come():
    assert asked_by("When will the satellite be launched?").future
    assert asked_by("متى سيعقد الحوار المقبل؟").future and asked_by("Quand le pont sera-t-il ouvert ?").future
    assert not asked_by("When was it launched?").future and not asked_by("متى أحدث المكتب؟").future
    assert not asked_by("متى اشترى سيارة جديدة؟").future  # سيارة is a car, not a future verb
    assert states_future("The extension is expected to open in 2028.")
    assert states_future("ومن المنتظر أن تبدأ المحطة الإنتاج سنة 2027.")
    assert not states_future("أُطلق القمر الصناعي بنجاح فجر الأربعاء.")


def test_a_sentence_states_quantities_by_their_units_in_any_language():
    weight = stated_in("ويزن القمر الصناعي نحو 1110 كيلوغرامات، وسيدور على ارتفاع 694 كيلومترا.")
    assert {"weight", "length"} <= weight.quantities
    assert weight.answers(asked_by("How much does the satellite weigh?"))
    capacity = stated_in("The first phase will have a capacity of 800 megawatts.")
    cost = asked_by("كم كلفت محطة نور ميدلت؟")
    assert capacity.quantities == {"capacity"} and not capacity.answers(cost) and capacity.other_quantity(cost)
    assert stated_in("The first phase cost about 750 million dollars.").answers(cost)
    # A cubic metre is a volume, not a length; "الماء" (water) is not "المائة" (a hundred).
    water = stated_in("وستبلغ الطاقة الإنتاجية 300 مليون متر مكعب من الماء.")
    assert "length" not in water.quantities and "share" not in water.quantities
    assert stated_in("وأسفرت الانتخابات عن 55.4 ٪ من الأصوات.").quantities >= {"share"}
    assert not stated_in("الأمين العام لمكتب الأمم المتحدة").time  # العام: general, not a year
    assert stated_in("Le pont a été inauguré mercredi.").time


@pytest.mark.parametrize(("line", "quotable"), [
    ("بقلم: هشام العلوي", False),
    ("الرباط - 21 نوفمبر 2018", False),
    ("RABAT, March 3 (Staff) -", False),
    ("Par Karim Benjelloun", False),
    ("صورة: القمر الصناعي في قاعة التجميع قبل نقله إلى منصة الإطلاق", False),
    ("Page 2", False),
    ("Noor Midelt solar complex: progress report", False),
    ("ويزن القمر الصناعي نحو 1110 كيلوغرامات.", True),
    ("Le pont a été inauguré mercredi.", True),
    # a long sentence left without its full stop at a paragraph's end is still a sentence
    ("ترأس ناصر بوريطة هذا الحوار يشكل تعزيزا لمكانة المملكة بصفتها فاعلا رئيسيا في النهوض بالسلام والأمن الإقليمي", True),
])
def test_titles_bylines_datelines_and_captions_are_not_sentences(line, quotable):
    assert is_quotable(line) is quotable


def test_the_title_repeated_is_not_a_sentence():
    title = "Tanger Med sets a new container record."
    assert not is_quotable("Tanger Med sets a new  container record.", title)
    assert is_quotable(title)


@pytest.mark.parametrize("message", ["ok", "?", "...", "نعم", "d'accord", " OK! ", "yes"])
def test_messages_that_ask_nothing(message):
    assert asks_nothing(message)


@pytest.mark.parametrize("message", ["who?", "ok, who chaired it?", "Tell me a joke", "نعم، من ترأس الحوار؟"])
def test_messages_that_ask_something(message):
    assert not asks_nothing(message)


def test_the_notice_names_the_quotes_language():
    assert cross_language_notice("How long does it last?", ["ويستمر المهرجان تسعة أيام."]).startswith(
        "The passages quoted are in Arabic")
    assert "الفرنسية" in cross_language_notice("كم يبلغ طول الجسر؟", ["L'ouvrage mesure 950 mètres de long."])
    assert "anglais" in cross_language_notice("Combien a coûté la centrale ?", ["The plant cost 750 million dollars."])
    assert cross_language_notice("كم يوما يستمر المهرجان؟", ["ويستمر المهرجان تسعة أيام."]) is None
    mixed = cross_language_notice("How long?", ["ويستمر المهرجان تسعة أيام.", "It lasts nine days."])
    assert mixed.startswith("Some passages quoted")


def test_the_language_of_running_text():
    assert text_language("ويستمر المهرجان تسعة أيام") == "ar"
    assert text_language("Le pont fait partie de l'autoroute de contournement de Rabat") == "fr"
    assert text_language("The line already carries about 110,000 passengers a day.") == "en"
