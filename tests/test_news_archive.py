"""News archives as news: dumps with other people's field names, zip archives, every article's
outlet and date, and filters applied inside the search. The dumps are written here, in the
shape of a newsroom's export (its field names: source, date_extracted, content, ...), with
invented articles."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import LOCAL, cli_env
from ingest import Provenance, ReadOptions, load_file
from ingest.dates import dateline_date, normalise_date
from ingest.analysis import terms
from ingest.errors import InvalidInput
from qa.language import MESSAGES
from ui.app import create_app
from vectorstore.filters import Filters
from vectorstore.hybrid import _within
from vectorstore.lexical import LexicalIndex

# Three papers, three days; the question below is answered by the dates plant in each, with
# another figure: which paper said what is what a filter must keep apart.
DUMP = [
    {"source": "okaz", "url": "https://okaz.example/1", "date_extracted": "2015-08-11 13:44:43",
     "title": "افتتاح مصنع للتمور في القصيم", "author": "محمد العتيبي",
     "content": "افتتح أمير منطقة القصيم مصنعا جديدا للتمور في بريدة. ويعمل في المصنع ثلاثمئة موظف من أبناء المنطقة."},
    {"source": "alriyadh", "url": "https://alriyadh.example/2", "date_extracted": "2015-08-01 10:00:00",
     "title": "مصنع تمور جديد في الأحساء", "author": "",
     "content": "أعلنت شركة في الأحساء افتتاح مصنع للتمور. ويعمل في المصنع مئة وعشرون موظفا."},
    {"source": "was", "url": "https://spa.example/3", "date_extracted": "2015-07-21 09:00:00",
     "title": "حملة وطنية للتطعيم", "author": "",
     "content": "أطلقت وزارة الصحة حملة وطنية للتطعيم ضد الإنفلونزا تستهدف مليوني طفل. وتستمر الحملة شهرا كاملا."},
    {"source": "okaz", "url": "https://okaz.example/4", "date_extracted": "2015-08-02 08:00:00",
     "title": "خبر بلا نص", "author": "", "content": "  "},
]
QUESTION = "كم موظفا يعمل في مصنع التمور؟"


def write_dump(folder: Path, records=DUMP, name: str = "2015-08-11.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


# -- reading ------------------------------------------------------------------------------------------
def test_a_dump_with_common_field_names_loads_with_its_metadata(tmp_path):
    loaded = load_file(write_dump(tmp_path))
    assert len(loaded.articles) == 3
    first = loaded.articles[0]
    assert first.provenance == Provenance(outlet="okaz", published="2015-08-11T13:44:43", author="محمد العتيبي",
                                          url="https://okaz.example/1")
    assert first.provenance.day is not None
    # the record without text is reported with its position; the others load
    (error,) = loaded.errors
    assert error.where == "record 4" and "missing or empty 'text'" in error.cause and "--fields" in error.cause


def test_a_field_mapping_reads_names_no_one_would_guess(tmp_path):
    records = [{"nass": "نص الخبر الأول عن افتتاح المصنع في بريدة.", "unwan": "خبر", "jarida": "Okaz",
                "tarikh": "11 أغسطس 2015", "katib": ["سارة", "علي"]}]
    path = write_dump(tmp_path, records, "odd.json")
    plain = load_file(path)
    assert not plain.articles and "missing or empty 'text'" in plain.errors[0].cause
    reading = ReadOptions.of("text=nass,title=unwan,outlet=jarida,published=tarikh,author=katib")
    (article,) = load_file(path, reading=reading).articles
    assert (article.title, article.text[:8]) == ("خبر", "نص الخبر")
    assert article.provenance == Provenance(outlet="Okaz", published="2015-08-11", author="سارة, علي")


@pytest.mark.parametrize("spec, problem", [("text", "is not OURS=THEIRS"), ("body=content", "unknown field 'body'"),
                                           ("text=a,text=b", "mapped twice")])
def test_a_bad_field_mapping_is_named(spec, problem):
    with pytest.raises(InvalidInput, match=problem):
        ReadOptions.of(spec)


@pytest.mark.parametrize("written, iso", [
    ("2015-08-11 13:44:43", "2015-08-11T13:44:43"), ("2015-08-11", "2015-08-11"), ("11 أغسطس 2015", "2015-08-11"),
    ("١١ أغسطس ٢٠١٥", "2015-08-11"), ("Tue, 11 Aug 2015 10:00:00 GMT", "2015-08-11T10:00:00"),
    ("le 11 août 2015", "2015-08-11"), ("D:20150811120000", "2015-08-11T12:00:00"),
    ("yesterday", None), ("Monday", None), ("2015", None), ("", None)])
def test_dates_in_every_format_are_stored_as_iso_8601_and_relative_ones_not_at_all(written, iso):
    assert normalise_date(written) == iso


def test_a_dateline_gives_a_text_its_date_and_the_outlet_comes_from_the_ingest(tmp_path):
    assert dateline_date("الرياض - 11 أغسطس 2015 - أعلنت الوزارة") == "2015-08-11"
    assert dateline_date("RABAT, Aug. 11, 2015 — The port said") == "2015-08-11"
    assert dateline_date("The 2015 plan - a review of it") is None
    path = tmp_path / "wire.txt"
    path.write_text("عنوان الخبر\nالرياض - 11 أغسطس 2015 - أعلنت الوزارة خطة جديدة للنقل.", encoding="utf-8")
    (article,) = load_file(path, reading=ReadOptions.of(outlet="Al Watan")).articles
    assert article.provenance == Provenance(outlet="Al Watan", published="2015-08-11")


def test_a_zip_archive_loads_member_by_member_and_refuses_what_leaves_it(tmp_path):
    inner = zipped({"inner.json": json.dumps(DUMP[1:2], ensure_ascii=False).encode()})
    deeper = zipped({"deeper.zip": zipped({"x.json": json.dumps(DUMP[2:3], ensure_ascii=False).encode()})})
    archive = tmp_path / "export.zip"
    archive.write_bytes(zipped({
        "day/2015-08-11.json": json.dumps(DUMP[:1] + DUMP[3:], ensure_ascii=False).encode(),
        "../escape.json": json.dumps(DUMP[2:3], ensure_ascii=False).encode(),
        "nested.zip": inner, "twice.zip": deeper,
        "README.pdf.png": b"\x89PNG", "__MACOSX/._day": b"junk",
    }))
    loaded = load_file(archive)
    assert sorted(a.provenance.outlet for a in loaded.articles) == ["alriyadh", "okaz"]
    assert all(a.source == str(archive) for a in loaded.articles)  # what the upload is kept for
    causes = {e.where: e.cause for e in loaded.errors}
    assert "leaves the archive" in causes["../escape.json"]
    assert "nested more than one level" in causes["twice.zip, deeper.zip"]
    assert "missing or empty 'text'" in causes["day/2015-08-11.json, record 2"]
    assert loaded.skipped == [f"{archive}:README.pdf.png"]


def test_a_zip_bomb_is_refused_whole(tmp_path):
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zipped({"a.json": json.dumps(DUMP[:1]).encode(), "b.txt": b"title\n" + b"0" * 30_000_000}))
    with pytest.raises(Exception) as caught:
        load_file(bomb)
    assert "more than 100 times its compressed size" in str(caught.value) and "b.txt" in str(caught.value)


# -- the store, filters inside the search -------------------------------------------------------------
def test_every_source_carries_its_outlet_and_date_and_filters_keep_to_them(bot, tmp_path):
    report = bot.ingest([write_dump(tmp_path)])
    assert report.written == 3 and report.failed == 1
    listed = {a.provenance.outlet: a for a in bot.list_articles()}
    assert listed["okaz"].provenance.published == "2015-08-11T13:44:43"
    assert bot.outlets() == ["alriyadh", "okaz", "was"]

    answer = bot.ask(QUESTION, filters={"outlets": ["ALRIYADH"]})  # spelled as the store spells it, case aside
    assert answer.citations and {c.provenance.outlet for c in answer.citations} == {"alriyadh"}
    assert "مئة وعشرون" in answer.text
    answer = bot.ask(QUESTION, filters=Filters.of(since="2015-08-05"))
    assert {c.provenance.outlet for c in answer.citations} == {"okaz"} and "ثلاثمئة" in answer.text
    assert all(c.provenance.published >= "2015-08-05" for c in answer.citations)
    only = listed["was"].id
    assert {p.article_id for p in bot.retrieve(QUESTION, filters={"article_ids": [only]})} == {only}
    nothing = bot.ask(QUESTION, filters={"until": "2015-07-01"})
    assert nothing.status == "not_found" and not nothing.citations
    assert nothing.text == MESSAGES["nothing_in_filter"]["ar"]

    with pytest.raises(InvalidInput, match="unknown outlet 'nope'.*alriyadh, okaz, was"):
        bot.ask(QUESTION, filters={"outlets": ["nope"]})
    with pytest.raises(InvalidInput, match="since .2015-08-05. is after until .2015-08-01."):
        bot.ask(QUESTION, filters={"since": "2015-08-05", "until": "2015-08-01"})
    with pytest.raises(InvalidInput, match="not a date"):
        bot.ask(QUESTION, filters={"since": "last week"})


def test_a_filtered_question_finds_its_outlet_among_many_closer_passages(bot):
    # Sixty passages of one paper closer to the question than the one of the other: a filter
    # applied to the first fifty candidates afterwards would find nothing of the second paper.
    for i in range(60):
        bot.ingest_text(f"ويعمل في مصنع التمور رقم {i} في بريدة عدد من الموظفين.", title=f"مصنع {i}",
                        provenance=Provenance(outlet="okaz", published="2015-08-0" + str(1 + i % 9)))
    bot.ingest_text("قال تقرير عن الاقتصاد إن قطاع الزراعة نما هذا العام في الجوف.", title="الزراعة",
                    provenance=Provenance(outlet="sabq", published="11 أغسطس 2015"))
    assert "sabq" not in {p.provenance.outlet for p in bot.retrieve(QUESTION, k=10)}
    found = bot.retrieve(QUESTION, k=10, filters={"outlets": ["sabq"]})
    assert [p.provenance for p in found] == [Provenance(outlet="sabq", published="2015-08-11")]
    dated = bot.retrieve(QUESTION, k=50, filters={"since": "2015-08-03", "until": "2015-08-04"})
    assert len(dated) == 14 and {p.provenance.published for p in dated} == {"2015-08-03", "2015-08-04"}
    broad = bot.retrieve(QUESTION, k=10, filters={"outlets": ["okaz"], "until": "2015-08-31"})  # most of the store
    assert len(broad) == 10 and {p.provenance.outlet for p in broad} == {"okaz"}


def test_a_broad_filter_takes_the_best_of_a_wider_search_or_falls_back_to_where():
    ranked = list(range(100))  # a store's results, best first; the filter admits the even ones
    calls = []

    def search(m, where):
        calls.append(where)
        return [x for x in ranked if where is None or x % 2 == 0][:m]

    filters = Filters.of(outlets=["okaz"])
    assert _within(search, 10, filters, 0.5, lambda x: x % 2 == 0) == list(range(0, 20, 2))
    assert calls == [None]  # one unfiltered search was enough, and exact
    calls.clear()
    assert _within(search, 10, filters, 0.5, lambda x: x % 7 == 0) == list(range(0, 20, 2))
    assert calls == [None, filters.where()]  # too few passed the filter: searched with where
    calls.clear()
    _within(search, 10, filters, 0.1, lambda x: True)
    assert calls == [filters.where()]  # a narrow filter goes to where at once


# -- the interfaces -----------------------------------------------------------------------------------
def test_the_http_api_filters_lists_outlets_and_reads_a_mapped_upload(bot, tmp_path):
    bot.ingest([write_dump(tmp_path)])
    with TestClient(create_app(bot), base_url=LOCAL) as client:
        assert client.get("/api/outlets").json() == ["alriyadh", "okaz", "was"]
        (okaz,) = [a for a in client.get("/api/articles").json() if a["provenance"]["outlet"] == "okaz"]
        assert okaz["provenance"] == {"outlet": "okaz", "published": "2015-08-11T13:44:43", "author": "محمد العتيبي",
                                      "url": "https://okaz.example/1"}
        body = client.post("/api/ask", json={"question": QUESTION, "outlets": ["was", "alriyadh"],
                                             "since": "2015-07-25"}).json()
        assert body["citations"] and {c["provenance"]["outlet"] for c in body["citations"]} == {"alriyadh"}
        streamed = client.post("/api/ask/stream", json={"question": QUESTION, "outlets": ["okaz"]}).text
        assert '"outlet": "okaz"' in streamed and '"outlet": "alriyadh"' not in streamed
        for bad, problem in [({"outlets": ["nope"]}, "unknown outlet 'nope'"),
                             ({"since": "2015-08-05", "until": "2015-08-01"}, "is after until"),
                             ({"until": "soon"}, "not a date")]:
            r = client.post("/api/ask", json={"question": QUESTION, **bad})
            assert r.status_code == 400 and problem in r.json()["detail"]
            r = client.post("/api/ask/stream", json={"question": QUESTION, **bad})
            assert r.status_code == 400 and problem in r.json()["detail"]
        records = [{"nass": "خبر عن افتتاح مكتبة عامة جديدة في تبوك تضم عشرين ألف كتاب.", "jarida": "Al Watan",
                    "tarikh": "2015-08-03"}]
        r = client.post("/api/articles", params={"filename": "feed.json", "wait": 60, "fields": "text=nass,outlet=jarida,published=tarikh"},
                        content=json.dumps(records, ensure_ascii=False).encode())
        assert r.status_code == 201, r.text
        assert "Al Watan" in client.get("/api/outlets").json()
        r = client.post("/api/articles", params={"filename": "feed.json", "fields": "words=nass"}, content=b"[]")
        assert r.status_code == 400 and "unknown field 'words'" in r.json()["detail"]


def test_the_command_line_ingests_a_zipped_dump_with_a_mapping_and_asks_within_an_outlet(settings, tmp_path):
    env = cli_env(settings)
    renamed = [{"body": r["content"], "headline": r["title"], "paper": r["source"], "when": r["date_extracted"]}
               for r in DUMP]
    archive = tmp_path / "2015-08-11.zip"
    archive.write_bytes(zipped({"2015-08-11.json": json.dumps(renamed, ensure_ascii=False).encode()}))

    def isnad(*args):
        return subprocess.run([sys.executable, "-m", "ui.cli", *args], env=env, capture_output=True, text=True, timeout=600)

    done = isnad("ingest", str(archive), "--fields", "outlet=paper,published=when", "--quiet")
    assert done.returncode == 1 and "3 articles (3 new" in done.stdout and "record 4" in done.stderr
    listed = isnad("list")
    assert "\tokaz · 2015-08-11\t" in listed.stdout and "\talriyadh · 2015-08-01\t" in listed.stdout
    asked = isnad("ask", QUESTION, "--outlet", "okaz", "--since", "2015-08-01", "--until", "2015-08-31")
    assert asked.returncode == 0 and "ثلاثمئة" in asked.stdout and "okaz · 11 أغسطس 2015" in asked.stdout
    assert "alriyadh" not in asked.stdout
    refused = isnad("ask", QUESTION, "--outlet", "nope")
    assert refused.returncode == 2 and "unknown outlet 'nope'" in refused.stderr
    refused = isnad("ask", QUESTION, "--since", "2015-08-05", "--until", "2015-08-01")
    assert refused.returncode == 2 and "is after until" in refused.stderr


def test_the_lexical_index_takes_changes_without_building_again(bot):
    """At tens of thousands of chunks building BM25 again costs seconds: a new, changed or
    removed article is taken in beside the built index, and searches find what a fresh build
    would find."""
    for i in range(20):
        bot.ingest_text(f"نشرة الطقس رقم {i}: أمطار خفيفة على مدينة الرقم {i} ورياح معتدلة.", title=f"طقس {i}",
                        article_id=f"w{i}")
    lexical = bot.retriever.lexical
    lexical.sync(bot.store)
    built = lexical._bm25
    bot.ingest_text("افتتح متحف الفنون الإسلامية أبوابه في الدوحة أمام الزوار.", title="متحف", article_id="museum")
    bot.ingest_text("ضرب زلزال خفيف مدينة الرقم 3 دون أضرار.", title="زلزال", article_id="w3")  # the same id, new text
    assert bot.remove("w5")
    lexical.sync(bot.store)
    assert lexical._bm25 is built and len(lexical) == bot.store.count_chunks()
    fresh = LexicalIndex()
    fresh.sync(bot.store)
    for question in ("متحف الفنون الإسلامية في الدوحة", "زلزال خفيف", "أمطار خفيفة على مدينة الرقم 3"):
        # The same first match (the built rows keep the term weights of their build: in a store
        # this small a word in every article weighs visibly less there than in a fresh build).
        ours, theirs = lexical.search(terms(question), 3), fresh.search(terms(question), 3)
        assert ours[0][3]["article_id"] == theirs[0][3]["article_id"], question
    assert all(meta["article_id"] != "w5" for *_, meta in lexical.search(terms("مدينة الرقم 5"), 25))
    assert lexical.search(terms("زلزال"), 3)[0][3]["article_id"] == "w3"
    # the changed article's old text is no longer found by its old words
    assert "w3" not in {meta["article_id"] for *_, meta in lexical.search(terms("نشرة الطقس أمطار رياح"), 25)}


def test_an_article_replaced_without_a_field_loses_it(bot):
    # Chroma merges an upsert's metadata into the record there: a field the new version lacks
    # must be written as absent, or the old author, date and outlet would stay.
    bot.ingest_text("افتتح أمير القصيم مصنعا للتمور في بريدة يعمل فيه ثلاثمئة موظف من أبناء المنطقة.", title="مصنع",
                    article_id="factory", provenance=Provenance(outlet="okaz", published="2015-08-01",
                                                                author="محمد العتيبي", url="https://okaz.example/f"))
    bot.ingest_text("افتتح أمير القصيم مصنعا للتمور في بريدة يعمل فيه أربعمئة موظف من أبناء المنطقة.", title="مصنع",
                    article_id="factory", provenance=Provenance(outlet="sabq"))
    (info,) = [a for a in bot.list_articles() if a.id == "factory"]
    assert info.provenance == Provenance(outlet="sabq")
    (passage,) = bot.retrieve(QUESTION, k=1, filters={"article_ids": ["factory"]})
    assert passage.provenance == Provenance(outlet="sabq")
    assert bot.retrieve(QUESTION, k=5, filters={"since": "2015-07-01"}) == []
