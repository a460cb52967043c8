from ingest import normalize_arabic, normalize_for_matching
from ingest.analysis import terms


def test_strips_tashkeel_and_tatweel():
    assert normalize_arabic("مُحَمَّدٌ") == "محمد"
    assert normalize_arabic("الـــمغرب") == "المغرب"
    assert normalize_arabic("قُرْآنٌ") == "قران"


def test_unifies_alef_forms_and_final_ya():
    assert normalize_arabic("أإآٱا") == "ااااا"
    assert normalize_arabic("مستشفى على") == "مستشفي علي"


def test_digits_to_ascii():
    assert normalize_arabic("عام ٢٠٢٤") == "عام 2024"
    assert normalize_arabic("۱۲۳۴۵۶۷۸۹۰") == "1234567890"


def test_presentation_forms_to_base_letters():
    # ﻻ (lam-alef ligature) and isolated/final presentation forms of ب ا
    assert normalize_arabic("\ufefb") == "لا"
    assert normalize_arabic("\ufe8f\ufe8e") == "با"


def test_latin_is_casefolded_and_whitespace_collapsed():
    assert normalize_for_matching("  Rabat\t\nIS   Capital ") == "rabat is capital"


def test_terms_match_across_orthographic_variants():
    assert terms("الإرهاب") == terms("الارهاب") == terms("الإِرْهَاب")
    assert terms("والمغرب")[0] == terms("المغرب")[0]
    assert terms("في من على") == []
