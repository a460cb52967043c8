"""Every format, every encoding, every bad input: real files on disk."""
import json
import os

import pytest

from builders import make_encrypted_pdf, make_pdf
from conftest import FIXTURES
from ingest import IngestError, load_file, seed_path
from ingest.pipeline import IngestReport, iter_files

WATER = (FIXTURES / "rabat-water.ar.txt").read_text(encoding="utf-8")
WATER_TITLE = "الرباط تطلق خطة جديدة لترشيد استهلاك المياه"


def test_seed_article_title_is_first_line():
    (article,) = load_file(seed_path()).articles
    assert article.title == "المغرب شريك موثوق للأمم المتحدة في مكافحة الإرهاب وتحقيق الأمن والاستقرار"
    assert article.text.startswith("تم إطلاق أول حوار إستراتيجي")
    assert article.title not in article.text


@pytest.mark.parametrize(
    "encoding,prefix",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("cp1256", b"")],
)
def test_text_encodings_detected_from_bytes(tmp_path, encoding, prefix):
    # Windows line ends too: the loader must give the same text whatever the bytes.
    path = tmp_path / "article.txt"
    path.write_bytes(prefix + WATER.replace("\n", "\r\n").encode(encoding))
    (article,) = load_file(path).articles
    assert article.title == WATER_TITLE
    assert article.text == WATER.split("\n", 1)[1].strip()


def test_cp1256_detected_even_with_a_misleading_extension(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes("# عنوان قصير\nالمغرب بلد جميل.".encode("cp1256"))
    (article,) = load_file(path).articles
    assert (article.title, article.text) == ("عنوان قصير", "المغرب بلد جميل.")


def test_stored_text_keeps_tashkeel(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("عنوان\nقَالَ الوَزِيرُ إِنَّ الخُطَّةَ جَاهِزَةٌ.", encoding="utf-8")
    (article,) = load_file(path).articles
    assert article.text == "قَالَ الوَزِيرُ إِنَّ الخُطَّةَ جَاهِزَةٌ."


def test_markdown_markup_removed():
    (article,) = load_file(FIXTURES / "desert-solar.ar.md").articles
    assert article.title == "محطة نور ورزازات تزود مليون منزل بالكهرباء"
    assert "**" not in article.text and "](" not in article.text and "#" not in article.text
    assert "بنك التنمية الأفريقي" in article.text
    assert "تعد محطة نور في ورزازات" in article.text
    # List items keep their text, not their bullets.
    assert "\nتقلص المحطة انبعاثات الكربون" in article.text and "- " not in article.text


def test_html_keeps_article_drops_menus_and_footer():
    (article,) = load_file(FIXTURES / "festival.ar.html").articles
    assert "مهرجان فاس للموسيقى الروحية يحتفي بدورته الثلاثين" in article.title
    assert "انطلقت مساء الجمعة في مدينة فاس" in article.text
    assert "جوق فاس للموسيقى الأندلسية" in article.text
    for boilerplate in ("الرئيسية", "جميع الحقوق محفوظة", "أسعار الذهب اليوم", "سياسة الخصوصية"):
        assert boilerplate not in article.text


def test_pdf_pages_are_kept(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf([["Rabat hosts the summit.", "Leaders met on Monday."], ["The second page has the budget."]], title="Summit report"))
    (article,) = load_file(path).articles
    assert article.title == "Summit report"
    assert [p.page for p in article.pages] == [1, 2]
    first, second = (article.text[p.start:p.end] for p in article.pages)
    assert "Rabat hosts the summit." in first and "budget" in second


def test_pdf_with_empty_password_encryption_is_read(tmp_path):
    path = tmp_path / "open.pdf"
    path.write_bytes(make_encrypted_pdf([["Readable without a password."]], password=""))
    (article,) = load_file(path).articles
    assert "Readable without a password." in article.text


def test_json_and_jsonl_records():
    a, b = load_file(FIXTURES / "wire.json").articles
    assert (a.id, a.provenance.url, a.provenance.published) == ("wire-001", "https://news.example/wire-001", "2018-11-15")
    assert b.title == "Morocco reaches World Cup semi-final"
    c, d = load_file(FIXTURES / "wire.jsonl").articles
    assert (c.id, d.id) == ("wire-101", "wire-102")


def test_json_bad_record_reported_good_ones_kept(tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps({"id": "ok-1", "text": "نص سليم."}), "{not json", json.dumps({"id": "no-text"}), json.dumps({"id": "ok-2", "text": "نص آخر."})]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = load_file(path)
    assert [a.id for a in result.articles] == ["ok-1", "ok-2"]
    messages = [str(e) for e in result.errors]
    assert any("line 2" in m and "invalid JSON" in m for m in messages)
    assert any("line 3" in m and "'text'" in m for m in messages)


def test_article_id_is_content_hash_when_not_given(tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("عنوان\nقال الوزير إن الخطة جاهزة.", encoding="utf-8")
    two.write_text("عنوان\nقَالَ الوزير إنّ الخطة جاهزة.  ", encoding="utf-8")  # diacritics and spacing only
    assert load_file(one).articles[0].id == load_file(two).articles[0].id


def _error(path) -> str:
    with pytest.raises(IngestError) as info:
        load_file(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_bad_inputs_each_get_a_clear_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert "empty" in _error(empty)

    blank = tmp_path / "blank.md"
    blank.write_text("   \n\n ", encoding="utf-8")
    assert "empty" in _error(blank)

    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    assert "binary" in _error(binary)

    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage garbage\n")
    assert "unreadable PDF" in _error(corrupt)

    not_pdf = tmp_path / "fake.pdf"
    not_pdf.write_bytes(b"PK\x03\x04" + os.urandom(500))
    assert "not a PDF" in _error(not_pdf)

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(make_encrypted_pdf([["Secret text."]], password="s3cret"))
    assert "encrypted PDF" in _error(locked)

    scanned = tmp_path / "scanned.pdf"
    scanned.write_bytes(make_pdf([[]]))
    assert "no extractable text" in _error(scanned)

    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as f:
        f.truncate(50 * 1024 * 1024)
    assert "too large" in _error(huge)

    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{oops", encoding="utf-8")
    assert "invalid JSON" in _error(bad_json)


def test_unknown_extension_and_missing_path_are_errors(tmp_path):
    odd = tmp_path / "article.docx"
    odd.write_bytes(b"whatever")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("عنوان\nنص.", encoding="utf-8")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8")
    (folder / ".hidden.txt").write_text("x\ny", encoding="utf-8")
    report = IngestReport()
    files = list(iter_files([odd, tmp_path / "missing.txt", folder], report))
    assert files == [folder / "notes.txt"]
    messages = [str(e) for e in report.errors]
    assert any("article.docx" in m and "unsupported file type '.docx'" in m for m in messages)
    assert any("missing.txt" in m and "no such file" in m for m in messages)
    assert report.skipped == [str(folder / "photo.jpg")]


def test_html_keeps_the_byline_as_written(tmp_path):
    page = tmp_path / "fes.html"
    page.write_text(
        '<html><head><title>Fes festival opens</title><meta name="author" content="Sara El Idrissi"></head><body>'
        "<nav>Home | World | Sport</nav><article><h1>Fes festival opens</h1>"
        '<p class="byline">By Sara El Idrissi, Fes — 24 May</p>'
        "<p>The thirtieth Fes Festival of World Sacred Music opened on Friday evening with ensembles from more "
        "than twenty countries.</p><p>The festival lasts nine days and closes with a concert in the Kasbah "
        "square.</p></article><footer>© News</footer></body></html>", encoding="utf-8")
    (article,) = load_file(page).articles
    assert article.title == "Fes festival opens"
    assert article.text.startswith("By Sara El Idrissi, Fes — 24 May\nThe thirtieth Fes Festival")
    assert "Home | World" not in article.text and "© News" not in article.text
