"""`isnad eval` and `isnad calibrate` on small slices of the shared sets (real files, real stores)."""
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA
from qa.calibrate import calibrate, threshold_for, write
from qa.answer_models import SENTENCE_FEATURES, Calibration, LinearModel
from qa.eval import evaluate, format_report
from qa.squad import Question, answer_contains, answer_holds_gold, contains_answer, exact_match, load_squad, token_f1


@pytest.fixture(scope="module")
def xquad_slice(tmp_path_factory):
    """The first three XQuAD articles (Arabic and the parallel English), as separate files."""
    out = tmp_path_factory.mktemp("xquad")
    paths = {}
    for lang in ("ar", "en"):
        data = json.loads((DATA / f"xquad/xquad.{lang}.json").read_text(encoding="utf-8"))
        data["data"] = data["data"][:3]
        paths[lang] = out / f"xquad.{lang}.json"
        paths[lang].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return paths


def test_matching_rules():
    q = Question("1", "?", ["308"], "p0-0", "t")
    assert contains_answer("... 308 نقطة", "p0-0", q)
    assert not contains_answer("... 308 نقطة", "p0-1", q), "short answers must come from the gold paragraph"
    long_q = Question("2", "?", ["ناصر  بوريطة"], "p0-0", "t")
    assert contains_answer("ترأس ناصر\u00a0بوريطة الحوار", "p9-9", long_q), "whitespace and NBSP are normalised"
    assert exact_match("ناصر بوريطة [1].", ["ناصر بوريطة"]) == 1.0
    assert token_f1("ترأس ناصر بوريطة", ["ناصر بوريطة"]) == pytest.approx(0.8)
    assert answer_contains("قال إن ناصر بوريطة [2] ترأس", ["ناصر بوريطة"])


def test_parallel_questions_replace_the_text(xquad_slice):
    ar = load_squad(xquad_slice["ar"])
    en = load_squad(xquad_slice["ar"], questions_from=xquad_slice["en"])
    assert [q.id for q in ar.questions] == [q.id for q in en.questions]
    assert en.questions[0].text.startswith("How many points")
    assert [p.text for p in ar.paragraphs] == [p.text for p in en.paragraphs]


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_eval_reports_every_metric_for_isnad_and_baselines(xquad_slice, e5, settings):
    result = evaluate(xquad_slice["ar"], limit=25, settings=settings, embedder=e5)
    assert result["questions"] == 25 and result["paragraphs"] == 15
    assert set(result["retrieval"]) == {"isnad", "bm25", "dense", "langchain-tutorial"}
    isnad = result["retrieval"]["isnad"]
    assert isnad["recall@1"] <= isnad["recall@5"] <= isnad["recall@10"]
    assert isnad["recall@5"] >= 0.8
    answers = result["answers"]
    assert 0 <= answers["abstain_rate"] <= 1 and answers["ask_p50_ms"] > 0
    assert answers["answer_contains_gold"] >= 0.5
    report = format_report(result)
    assert "langchain-tutorial" in report and "MRR@10" in report


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_calibration_is_reproducible_from_a_command(xquad_slice, e5, settings, tmp_path):
    spec_dense = f"{xquad_slice['ar']}:{xquad_slice['en']}"
    result = calibrate([str(xquad_slice["ar"])], [spec_dense], settings=settings, embedder=e5, limit=12)
    for relation in ("same", "cross"):
        point = result["evidence"][relation]
        assert point["answerable"] > 0 and 0 < point["wrong_articles"] <= 12
        assert point["answered_wrong"] <= 0.2, "the wrong-answer cap holds"
        assert point["without_baseline"]["answered_wrong"] <= 0.2
        assert point["floor"] <= point["threshold"], "below the floor: not found; between: tentative"
    assert result["evidence"]["same"]["wrong_articles"] + result["skipped_wrong_articles_holding_answer"] >= 12
    assert 0 < result["ranker"]["holding_answer"] < result["ranker"]["sentences"]
    assert 0 < result["clause"]["holding_answer"] < result["clause"]["clauses"]
    path = write(result, tmp_path / "calibration.json")
    loaded = Calibration.load(path)
    assert loaded.thresholds["same"] == result["evidence"]["same"]["threshold"]
    assert loaded.floors["cross/no-baseline"] == result["evidence"]["cross"]["without_baseline"]["floor"]
    assert loaded.ranker.features == SENTENCE_FEATURES


def test_threshold_answers_the_asked_share_within_the_wrong_answer_cap():
    pos, neg = [0.6, 0.7, 0.8, 0.9], [0.1, 0.2, 0.65]
    got = threshold_for(pos, neg, answer_rate=0.75, max_wrong=0.5)
    assert got["threshold"] == 0.7 and got["answered_right"] == 0.75 and got["answered_wrong"] == 0
    got = threshold_for(pos, neg, answer_rate=1.0, max_wrong=0.5)
    assert got["threshold"] == 0.6 and got["answered_wrong"] == pytest.approx(1 / 3)
    capped = threshold_for(pos, neg, answer_rate=1.0, max_wrong=0.0)
    assert capped["answered_wrong"] == 0 and capped["answered_right"] == 0.75
    assert capped["youden"]["threshold"] == 0.7
    with pytest.raises(ValueError, match="both"):
        threshold_for(pos, [])


def test_the_threshold_holds_the_cap_on_every_set_and_the_floor_keeps_each_sets_answers():
    """Two sets: one whose wrong articles are far off (easy), one whose wrong articles are on the
    same subject (hard). Pooled, the cap would hold on average but not on the hard set."""
    easy_pos, easy_neg = np.linspace(1, 2, 100), np.linspace(-3, -2, 100)
    hard_pos, hard_neg = np.linspace(0, 2, 100), np.linspace(-1, 1.5, 100)
    pos, neg = np.r_[easy_pos, hard_pos], np.r_[easy_neg, hard_neg]
    sets = [(0, 100, 0, 100), (100, 200, 100, 200)]
    pooled = threshold_for(pos, neg, answer_rate=0.93, max_wrong=0.2)
    per_set = threshold_for(pos, neg, answer_rate=0.93, max_wrong=0.2, floor_rate=0.99, sets=sets)
    assert (hard_neg >= pooled["threshold"]).mean() > 0.2
    assert (hard_neg >= per_set["threshold"]).mean() <= 0.2
    assert (easy_pos >= per_set["floor"]).mean() >= 0.99 and (hard_pos >= per_set["floor"]).mean() >= 0.99


def test_listwise_ranker_puts_the_labelled_row_first():
    rng = np.random.default_rng(1)
    x, y, groups = [], [], []
    for g in range(200):  # in each group, the row with the largest a - b is the answer; groups differ in level
        rows = rng.normal(size=(6, 2)) + rng.normal(scale=5)
        x.append(rows)
        y.append(np.arange(6) == np.argmax(rows[:, 0] - rows[:, 1]))
        groups += [g] * 6
    model = LinearModel.fit_listwise(("a", "b"), np.vstack(x), np.concatenate(y).astype(float), groups)
    firsts = [np.argmax(model.logit(rows)) == np.argmax(labels) for rows, labels in zip(x, y)]
    assert np.mean(firsts) > 0.95 and model.weights[0] > 0 > model.weights[1]


def test_linear_model_learns_and_imputes_missing_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0).astype(float)
    model = LinearModel.fit(("a", "b"), x, y)
    assert ((model.logit(x) > 0) == (y > 0)).mean() > 0.95
    assert model.logit(np.array([[np.nan, np.nan]]))[0] == pytest.approx(model.bias)
    again = LinearModel.from_dict(model.to_dict(), ("a", "b"))
    assert np.allclose(again.logit(x), model.logit(x), atol=1e-4)
    with pytest.raises(ValueError, match="isnad calibrate"):
        LinearModel.from_dict(model.to_dict(), ("a", "c"))


def test_answer_holds_gold_needs_the_gold_paragraph_for_short_answers():
    q = Question("1", "?", ["5"], "p0-0", "t")
    assert answer_holds_gold("خمسة 5 [1]", ["p0-0"], q)
    assert not answer_holds_gold("خمسة 5 [1]", ["p3-1"], q)
    assert answer_holds_gold("ناصر بوريطة [2]", ["p9-9"], Question("2", "?", ["ناصر بوريطة"], "p0-0", "t"))


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
def test_a_users_own_calibration_is_used_and_a_bad_one_named(settings, e5, tmp_path):
    import dataclasses

    from qa import Assistant
    from qa.settings import Settings, SettingsError

    bundled = json.loads((Path(__file__).parents[1] / "qa/calibration.json").read_text(encoding="utf-8"))
    strict = json.loads(json.dumps(bundled))
    for relation in ("same", "cross"):  # a calibration that never has enough evidence to answer outright
        for entry in (strict["evidence"][relation], strict["evidence"][relation]["without_baseline"]):
            entry["threshold"] = 1e9
    own = tmp_path / "mine.json"
    own.write_text(json.dumps(strict), encoding="utf-8")
    assert Settings.from_env({"ISNAD_CALIBRATION": str(own)}).calibration == own

    settings = dataclasses.replace(settings, seed=True)
    question = "من ترأس الحوار الإستراتيجي؟"
    assert Assistant(settings, embedder=e5).ask(question).status == "answered"
    mine = Assistant(dataclasses.replace(settings, calibration=own), embedder=e5)
    tentative = mine.ask(question)
    assert tentative.status == "tentative" and not tentative.abstained, "the user's calibration decides"
    assert tentative.notice == "قد لا تجيب المقالات عن هذا السؤال مباشرة؛ أقرب ما ورد فيها:" and tentative.citations
    for relation in ("same", "cross"):  # ... nor to offer the closest passage
        for entry in (strict["evidence"][relation], strict["evidence"][relation]["without_baseline"]):
            entry["floor"] = 1e9
    own.write_text(json.dumps(strict), encoding="utf-8")
    assert Assistant(dataclasses.replace(settings, calibration=own), embedder=e5).ask(question).status == "not_found"

    own.write_text("{}", encoding="utf-8")
    with pytest.raises(SettingsError, match="ISNAD_CALIBRATION=.*isnad calibrate"):
        Assistant(dataclasses.replace(settings, calibration=own), embedder=e5).ask(question)
    missing = tmp_path / "nope.json"
    with pytest.raises(SettingsError, match="nope.json"):
        Assistant(dataclasses.replace(settings, calibration=missing), embedder=e5).ask(question)
