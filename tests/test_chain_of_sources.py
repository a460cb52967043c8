"""The chain of sources: one story printed by several papers is one story (retrieval returns it
once, with who else printed it), figures that differ between the reports are shown report by
report, and the days a question names ("yesterday", "في أغسطس") become its date filter. The
dumps are written here: invented articles in the shape of a newsroom's export."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import LOCAL
from qa.answering.periods import asked_period, asks_for_latest
from qa.answering.reports import differing_reports, figures, same_statement
from ui.app import create_app
from ingest import Provenance
from ui.render import final_answer_html, sources_html
from vectorstore.stories import resemblance, triples

WIRE = ("أعلنت وزارة الصحة اليوم تسجيل {n} إصابة جديدة بفيروس كورونا في منطقة الرياض، وقالت الوزارة في بيان إن "
        "الفرق الطبية تتابع حالة المصابين في المستشفيات وإن الوضع تحت السيطرة. وأضاف البيان أن الوزارة رفعت "
        "درجة الاستعداد في جميع المستشفيات وأطلقت حملة توعية في المدارس والأسواق لتعريف السكان بطرق الوقاية من العدوى.")
HOSPITAL = ("افتتح وزير الصحة اليوم مستشفى جديدا في جدة بسعة ثلاثمئة سرير، وقال إن المستشفى سيخدم سكان الأحياء "
            "الجنوبية من المدينة ويخفف الضغط على المستشفيات الأخرى في المنطقة.")
# The same market report's words on two days a week apart, with the day's figures: two stories.
MARKET = ("أغلق مؤشر سوق الأسهم السعودية تداولات اليوم عند مستوى {n} نقطة، وبلغت قيمة التداولات أربعة مليارات ريال "
          "توزعت على أكثر من مئة ألف صفقة، وارتفعت أسهم قطاع المصارف بينما تراجعت أسهم قطاع البتروكيماويات.")
DUMP = [
    {"source": "was", "date_extracted": "2015-08-05 09:00:00", "title": "الصحة: إصابات جديدة بكورونا",
     "url": "https://spa.example/wire-1", "content": "الرياض - واس: " + WIRE.format(n=12)},
    {"source": "alriyadh", "date_extracted": "2015-08-05 12:00:00", "title": "إصابات جديدة بكورونا في الرياض",
     "url": "https://alriyadh.example/wire-1", "content": WIRE.format(n=12)},
    {"source": "okaz", "date_extracted": "2015-08-06 08:00:00", "title": "كورونا: إصابات جديدة",
     "url": "https://okaz.example/wire-1", "content": "جدة - عكاظ: " + WIRE.format(n=15)},
    {"source": "okaz", "date_extracted": "2015-08-06 10:00:00", "title": "افتتاح مستشفى جديد",
     "url": "https://okaz.example/hospital-2", "content": HOSPITAL},
    {"source": "alriyadh", "date_extracted": "2015-08-01 16:00:00", "title": "السوق تغلق على ارتفاع",
     "url": "https://alriyadh.example/m1", "content": MARKET.format(n="9200")},
    {"source": "alriyadh", "date_extracted": "2015-08-08 16:00:00", "title": "السوق تغلق على ارتفاع",
     "url": "https://alriyadh.example/m2", "content": MARKET.format(n="8900")},
]
QUESTION = "كم عدد الإصابات الجديدة بكورونا في منطقة الرياض؟"


def write_dump(folder: Path, records=DUMP) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dump.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def by_outlet_and_day(bot) -> dict[tuple[str, str], object]:
    return {(a.provenance.outlet, a.provenance.published[:10]): a for a in bot.list_articles()}


# -- one story, many papers ---------------------------------------------------------------------------
def test_copies_of_one_wire_story_are_one_story_and_other_stories_stay_apart(bot, tmp_path):
    bot.ingest([write_dump(tmp_path)])
    listed = by_outlet_and_day(bot)
    wire = {listed[k].story for k in [("was", "2015-08-05"), ("alriyadh", "2015-08-05"), ("okaz", "2015-08-06")]}
    assert len(wire) == 1, "three papers' copies of the wire story, one with its own dateline and figure"
    hospital = [a for a in bot.list_articles() if a.title == "افتتاح مستشفى جديد"][0]
    assert hospital.story == hospital.id and hospital.story not in wire, "same paper, same day, same ministry"
    market = [listed[("alriyadh", "2015-08-01")].story, listed[("alriyadh", "2015-08-08")].story]
    assert market[0] != market[1], "a daily report's words a week apart are two stories"


def test_retrieval_returns_a_story_once_with_who_else_printed_it(bot, tmp_path):
    bot.ingest([write_dump(tmp_path)])
    passages = bot.retrieve(QUESTION, k=5)
    stories = [p.story_id for p in passages]
    assert len(stories) == len(set(stories)), "no story twice among the passages"
    first = passages[0]
    outlets = {first.provenance.outlet} | {c.provenance.outlet for c in first.copies}
    assert outlets == {"was", "alriyadh", "okaz"}
    assert [c.provenance.published for c in first.copies] == sorted(c.provenance.published for c in first.copies)
    for copy in first.copies:  # each copy is its own passage, in its own article
        assert copy.article_id != first.article_id and "إصابة جديدة بفيروس كورونا" in copy.text

    answer = bot.ask(QUESTION)
    lead = answer.citations[0]
    assert {c.provenance.outlet for c in lead.copies} | {lead.provenance.outlet} == {"was", "alriyadh", "okaz"}
    # asked for the latest, the story is the newest paper's report, the others its copies
    latest = bot.retrieve("ما آخر أخبار الإصابات الجديدة بكورونا في منطقة الرياض؟", k=5)
    assert latest[0].provenance.outlet == "okaz" and {c.provenance.outlet for c in latest[0].copies} == {"was", "alriyadh"}
    # a filter keeps the copies to it too
    within = bot.retrieve(QUESTION, k=5, filters={"outlets": ["was", "alriyadh"]})
    assert {c.provenance.outlet for p in within for c in p.copies} <= {"was", "alriyadh"}


def test_removing_one_copy_leaves_the_others_whole(bot, tmp_path):
    bot.ingest([write_dump(tmp_path)])
    listed = by_outlet_and_day(bot)
    first = listed[("was", "2015-08-05")]  # the copy whose id names the story
    assert bot.remove(first.id)
    rest = by_outlet_and_day(bot)
    assert rest[("alriyadh", "2015-08-05")].story == rest[("okaz", "2015-08-06")].story == first.story
    assert all(a.chunks > 0 for a in bot.list_articles())
    (top, *_) = bot.retrieve(QUESTION, k=5)
    assert {top.provenance.outlet} | {c.provenance.outlet for c in top.copies} == {"alriyadh", "okaz"}
    # a copy ingested later still joins the story its label names
    bot.ingest_text("تبوك - الوطن: " + WIRE.format(n=12), title="كورونا في الرياض", article_id="alwatan-1")
    assert {a.id: a for a in bot.list_articles()}["alwatan-1"].story == first.story


def test_lead_resemblance_counts_the_shorter_sides_share():
    whole = triples(WIRE.format(n=12))
    half = triples(WIRE.format(n=12)[: len(WIRE) // 2])
    assert resemblance(half, whole) > 0.95  # (the cut ends inside a word)
    assert resemblance(triples(HOSPITAL), whole) < 0.2
    assert resemblance(triples("خبر قصير"), whole) == 0.0  # too short to be anyone's copy


# -- figures that differ ----------------------------------------------------------------------------------
def test_reports_that_give_other_figures_are_shown_each_with_its_paper_and_day(bot, tmp_path):
    bot.ingest([write_dump(tmp_path)])
    answer = bot.ask(QUESTION)
    reports = [(r.provenance.outlet, r.provenance.published[:10], r.figures) for r in answer.reports]
    assert reports[0] == ("okaz", "2015-08-06", ["15"]), "newest first"
    assert sorted(reports[1:]) == [("alriyadh", "2015-08-05", ["12"]), ("was", "2015-08-05", ["12"])]
    data = answer.to_dict()
    assert [r["figures"] for r in data["reports"]][0] == ["15"] and data["reports"][0]["provenance"]["outlet"] == "okaz"

    html = final_answer_html({**data, "question_used": QUESTION}, 0)
    assert "تختلف الأرقام بين المصادر" in html and "عكاظ" not in html and "okaz" in html
    assert "نشرته أيضا" in html
    panel = sources_html([{"question": QUESTION, "sources": [c.to_dict() for c in answer.citations],
                           "citations": [c.to_dict() for c in answer.citations]}], lambda _id: None)
    assert panel.count('class="isnad-copy"') == len(answer.citations[0].copies) > 0

    # reports that agree are not shown as differing
    agreeing = [r for r in DUMP if r["source"] != "okaz"]
    for a in bot.list_articles():
        bot.remove(a.id)
    bot.ingest([write_dump(tmp_path / "agree", agreeing)])
    assert bot.ask(QUESTION).reports == []


@pytest.mark.parametrize("a, b, differ", [
    ("قتل 12 شخصا في حادث مروري على طريق الرياض الدمام السريع مساء أمس.",
     "لقي ١٥ شخصا مصرعهم في حادث مروري على طريق الرياض الدمام السريع مساء أمس.", True),
    ("The ministry said 1,200 pilgrims arrived at Jeddah airport on Monday.",
     "The ministry said 1200 pilgrims arrived at Jeddah airport on Monday morning.", False),
    ("Le ministère a annoncé que 3,5 millions de visiteurs sont venus cette année au festival.",
     "Le ministère a annoncé que 3.5 millions de visiteurs sont venus au festival cette année.", False),
])
def test_figures_are_compared_in_any_digits(a, b, differ):
    assert same_statement(a, b)
    assert (sorted(figures(a)) != sorted(figures(b))) is differ


def test_reports_naming_someone_else_differ_for_a_who_question_and_a_dateline_is_no_difference():
    from ingest import Passage

    def passage(aid, text, published):
        return Passage(f"{aid}:0", aid, "t", text, 0, len(text), None, 0, 1.0, {},
                       provenance=Provenance(outlet=aid, published=published))

    a = passage("okaz", "جدة - عكاظ: فاز الروائي عبده خال بجائزة الإبداع الثقافي في دورتها العاشرة.", "2015-08-05")
    b = passage("alriyadh", "الرياض - الرياض: فاز الروائي يوسف المحيميد بجائزة الإبداع الثقافي في دورتها العاشرة.",
                "2015-08-06")
    reports = differing_reports(a.text, a, [b], asks_who=True)
    assert [(r.provenance.outlet, r.names) for r in reports] == [("alriyadh", ["يوسف", "المحيميد"]),
                                                                   ("okaz", ["عبده", "خال"])]
    assert differing_reports(a.text, a, [b]) == [], "not asked who: names are not compared"
    longer = passage("was", "الرياض - واس: فاز الروائي عبده خال الزهراني بجائزة الإبداع الثقافي في دورتها العاشرة.",
                     "2015-08-06")
    assert differing_reports(a.text, a, [longer], asks_who=True) == [], "a name spelled out longer is the same name"
    dated = passage("spa", "RIYADH, Aug. 5 — The summer festival in Taif will end on 20 August, organisers said.",
                    "2015-08-05")
    redated = passage("sg", "TAIF, Aug. 6 — The summer festival in Taif will end on 20 August, organisers said.",
                      "2015-08-06")
    assert differing_reports(dated.text, dated, [redated]) == [], "each paper's own dateline"


def test_a_different_statement_is_not_a_differing_report():
    assert not same_statement("افتتح الوزير مستشفى جديدا في جدة بسعة 300 سرير اليوم.",
                              "أعلنت وزارة الصحة تسجيل 12 إصابة جديدة بفيروس كورونا في الرياض.")
    assert figures("بلغ عدد الحجاج ١٬٢٠٠٬٠٠٠ حاج و3,5 مليون زائر") == ["1200000", "3500000"]
    assert figures("شارك ثلاثة آلاف عداء، أي ثلاث مرات أكثر") == figures("شارك 3000 عداء") == ["3000"]
    from ingest import Passage

    cited = Passage("c1", "a1", "t", "قتل 12 شخصا في حادث مروري على طريق الرياض الدمام السريع مساء أمس.", 0, 70,
                    None, 0, 1.0, {})
    assert differing_reports(cited.text, cited, []) == []


# -- time in questions --------------------------------------------------------------------------------------
AS_OF = date(2015, 8, 11)  # a Tuesday


@pytest.mark.parametrize("question, since, until", [
    ("ماذا قال وزير الصحة أمس؟", "2015-08-10", "2015-08-10"),
    ("ما أخبار الطقس بالأمس؟", "2015-08-10", "2015-08-10"),
    ("ماذا حدث أول أمس؟", "2015-08-09", "2015-08-09"),
    ("ما الذي أعلنته الهيئة منذ يومين؟", "2015-08-09", "2015-08-09"),
    ("ماذا نشرت الصحف الأسبوع الماضي؟", "2015-08-03", "2015-08-09"),
    ("ما حصيلة الشهر الفائت؟", "2015-07-01", "2015-07-31"),
    ("ماذا حدث في ٧ أغسطس ٢٠١٥؟", "2015-08-07", "2015-08-07"),
    ("ما الذي جرى بين 1 و 5 أغسطس؟", "2015-08-01", "2015-08-05"),
    ("ما الأحداث منذ 1 أغسطس؟", "2015-08-01", "2015-08-11"),
    ("ماذا قررت الحكومة في حزيران؟", "2015-06-01", "2015-06-30"),
    ("What happened yesterday?", "2015-08-10", "2015-08-10"),
    ("What was decided last week?", "2015-08-03", "2015-08-09"),
    ("What happened on August 5, 2015?", "2015-08-05", "2015-08-05"),
    ("What did the ministry announce in the past 3 days?", "2015-08-08", "2015-08-11"),
    ("What happened last Friday?", "2015-08-07", "2015-08-07"),
    ("Qu'a décidé le gouvernement la semaine dernière ?", "2015-08-03", "2015-08-09"),
    ("Que s'est-il passé il y a deux jours ?", "2015-08-09", "2015-08-09"),
    ("Que s'est-il passé du 1er au 5 août ?", "2015-08-01", "2015-08-05"),
    ("Qu'a-t-on publié ces trois derniers jours ?", "2015-08-08", "2015-08-11"),
])
def test_the_days_a_question_names_are_read_against_a_reference_day(question, since, until):
    found = asked_period(question, AS_OF)
    assert found is not None and (found.since.isoformat(), found.until.isoformat()) == (since, until)
    assert found.expression in question


@pytest.mark.parametrize("question", [
    "ما فعاليات اليوم الوطني؟", "هل مارس اللاعب التدريب مع الفريق؟", "May I ask who won the award?",
    "كم عدد الضحايا في حادث الطائرة؟", "Quelle est la longueur du pont ?", "ما آخر تطورات قضية التأشيرات؟",
])
def test_words_that_only_look_like_time_are_not_read_as_days(question):
    assert asked_period(question, AS_OF) is None


def test_questions_for_the_latest_report_are_told_from_periods_and_others():
    assert asks_for_latest("ما آخر تطورات قضية التأشيرات؟")
    assert asks_for_latest("What is the latest on the visa case?")
    assert asks_for_latest("Quelle est la dernière décision sur les visas ?")
    assert not asks_for_latest("قال مسؤول آخر إن الاجتماع تأجل")
    assert not asks_for_latest("Que s'est-il passé la semaine dernière ?")
    assert not asks_for_latest("vendredi dernier")


def test_a_question_about_yesterday_searches_that_day_and_says_so(bot, tmp_path):
    bot.ingest([write_dump(tmp_path)])
    answer = bot.ask("كم عدد الإصابات الجديدة بكورونا أمس؟", as_of="2015-08-07")
    assert {c.provenance.published[:10] for c in answer.citations} == {"2015-08-06"}
    assert answer.period == {"since": "2015-08-06", "until": "2015-08-06", "expression": "أمس",
                             "as_of": "2015-08-07", "found": True}
    assert "6 أغسطس 2015" in answer.notice
    # no article from those days: searched without them, and the answer says so
    empty = bot.ask("How many new corona cases were there yesterday?", as_of="2015-08-20")
    assert empty.period["found"] is False and empty.citations and "No stored article was published" in empty.notice
    # a filter given by the caller and the days named meet
    both = bot.ask("كم عدد الإصابات الجديدة بكورونا الأسبوع الماضي؟", as_of="2015-08-11", filters={"outlets": ["okaz"]})
    assert {c.provenance.outlet for c in both.citations} == {"okaz"}
    assert both.period["since"] == "2015-08-03" and both.period["until"] == "2015-08-09"


def test_the_http_api_takes_as_of_and_returns_the_period_and_reports(bot, tmp_path):
    bot.ingest([write_dump(tmp_path)])
    with TestClient(create_app(bot), base_url=LOCAL) as client:
        got = client.post("/api/ask", json={"question": "كم عدد الإصابات الجديدة بكورونا أمس؟", "as_of": "2015-08-06"})
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["period"]["since"] == "2015-08-05" and body["period"]["found"] is True
        assert {c["provenance"]["published"][:10] for c in body["citations"]} == {"2015-08-05"}
        assert body["citations"][0]["copies"], "the other paper's copy that day"
        bad = client.post("/api/ask", json={"question": "ماذا حدث أمس؟", "as_of": "yesterday"})
        assert bad.status_code == 400 and "as_of" in bad.text
