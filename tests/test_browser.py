"""The chat page and the widget in a real browser (Debian's Chromium, driven by Playwright)
against a live `isnad serve` on loopback, with host pages served from other loopback ports."""
from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES, clean_env, running_app
from test_news_archive import DUMP, QUESTION, write_dump
from test_chain_of_sources import DUMP as WIRE_DUMP, QUESTION as WIRE_QUESTION
from test_readme import code_blocks
from qa import Assistant, Settings

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
DOCS = Path(__file__).resolve().parents[1] / "docs"
XSS_ARTICLE = ('مقال اختبار الأمان عن حديقة الرباط النباتية. '
               'افتتحت حديقة الرباط النباتية <img src=x onerror="window.__pwned=1"> '
               '<script>window.__pwned=1</script> أمام الزوار يوم السبت مع دليل \u202efdp.exe للزوار.')
# Three papers' articles (and one to remove from the articles tab).
NEWS_DUMP = DUMP[:3] + [{"source": "tmp-wire", "date_extracted": "2015-07-30", "title": "مقال للحذف",
                         "content": "مقال قصير يحذف من صفحة المقالات في الاختبار. وجملة ثانية فيه."}]
HOST_CSS = "* { color: red !important; font-size: 3px !important; } button { display: none !important; }"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _static_server(folder: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def host_pages(tmp_path_factory):
    """Two static sites on their own loopback ports: one allowed to embed the widget, one not."""
    folder = tmp_path_factory.mktemp("host")
    allowed, other = _static_server(folder), _static_server(folder)
    yield folder, f"http://127.0.0.1:{allowed.server_address[1]}", f"http://127.0.0.1:{other.server_address[1]}"
    allowed.shutdown()
    other.shutdown()


SERVE_LOGS: dict[str, Path] = {}


@pytest.fixture(scope="module")
def live(tmp_path_factory, host_pages, e5):
    """`isnad serve` on a free port: the seed article, the fixtures, and an article full of markup."""
    _, allowed_origin, _ = host_pages
    data = tmp_path_factory.mktemp("live-data")
    env = clean_env()
    env.update(ISNAD_DATA_DIR=str(data), ISNAD_ALLOWED_ORIGINS=allowed_origin)
    setup = Assistant(Settings.from_env(env), embedder=e5)
    assert setup.ingest([FIXTURES]).ok
    setup.ingest_text(XSS_ARTICLE, title='حديقة <b onmouseover="window.__pwned=1">الرباط</b>')
    assert setup.ingest([write_dump(data / "dump", NEWS_DUMP)]).ok
    assert setup.ingest([write_dump(data / "wire", WIRE_DUMP[:3], "wire.json")]).ok  # one story, three papers
    setup.close()  # one process at a time on an embedded store: let the server have it
    with running_app(env, data / "serve.log") as url:
        SERVE_LOGS[url] = data / "serve.log"
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (make test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking",
                                                               "--disable-gpu", "--disable-component-update"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    p = context.new_page()
    p.set_default_timeout(60_000)
    yield p
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    if os.environ.get("ISNAD_UPDATE_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(ARTIFACTS / name, DOCS / name)


def ask_on_page(page, question: str) -> None:
    page.fill("#isnad-question textarea", question)
    page.click("#isnad-send")


def test_chat_page_cited_answer_and_highlighted_span(page, live):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live)
    ask_on_page(page, "كم تبلغ القدرة الإجمالية لمحطة نور في ورزازات؟")
    answer = page.locator("#isnad-chat .isnad-answer").last
    answer.locator("a.isnad-cite").first.wait_for()
    assert "٥٨٠ ميغاواط" in answer.inner_text()
    # The answer reads right to left, following its own text.
    assert answer.evaluate("e => getComputedStyle(e).direction") == "rtl"

    page_scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    answer.locator("a.isnad-cite").first.click()
    opened = page.locator("#isnad-sources details[open]")
    opened.wait_for()
    quotes = opened.locator("mark.isnad-quote")
    assert quotes.first.is_visible()
    assert any("٥٨٠ ميغاواط" in q for q in quotes.all_inner_texts())
    summary = opened.locator("summary").inner_text()
    assert "محطة نور" in summary and not re.search(r"·\s*0\.\d", summary)  # no bare score in the title
    # Only the sources panel moves to the quote: the page (and the chat with it) stays put.
    assert page.evaluate("() => [window.scrollX, window.scrollY]") == page_scroll
    assert contrast(quotes.first) >= 4.5
    screenshot(page, "chat-page.png")

    # Nothing the page needs comes from outside this machine.
    outside = [u for u in requests if not u.startswith((live, "data:", "blob:"))]
    assert outside == []


CONTRAST = """e => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                   .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  // the background the text sits on: its own, or the nearest ancestor's that is not transparent
  let b = e;
  while (b && /rgba\\(.*,\\s*0\\)$|transparent/.test(getComputedStyle(b).backgroundColor)) b = b.parentElement;
  const fg = lum(rgb(getComputedStyle(e).color)), bg = lum(rgb(getComputedStyle(b || document.body).backgroundColor));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


def contrast(locator) -> float:
    """WCAG contrast ratio of an element's text colour against its own background."""
    return locator.evaluate(CONTRAST)


def test_dark_mode_keeps_the_quote_readable(page, live):
    page.goto(live + "?__theme=dark")
    ask_on_page(page, "How long does the Fes festival last?")
    answer = page.locator("#isnad-chat .isnad-answer").last
    answer.locator("a.isnad-cite").first.wait_for()
    answer.locator("a.isnad-cite").first.click()
    quote = page.locator("#isnad-sources details[open] mark.isnad-quote").first
    quote.wait_for()
    assert page.evaluate("() => document.body.classList.contains('dark')")
    # Every highlighted piece, the bold clause inside it too: it was the theme's light text on pale yellow.
    pieces = page.locator("#isnad-sources details[open] mark.isnad-quote, #isnad-sources details[open] mark.isnad-quote strong")
    assert pieces.count() >= 2 and all(contrast(pieces.nth(i)) >= 4.5 for i in range(pieces.count()))
    # One notice a paragraph: the quotes' language is said apart from anything else.
    notices = answer.locator(".isnad-notice").all_inner_texts()
    assert notices and all(n.count("; the answer quotes") <= 1 for n in notices)
    screenshot(page, "chat-page-dark.png")


def test_start_says_what_it_does_and_where_the_page_is(page, live):
    """What `make run` prints while the app starts (the model is converted once per machine;
    tests/test_e5_convert.py hears those lines), shown in docs/start.png."""
    log = SERVE_LOGS[live].read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if not line.startswith("INFO:     127.0.0.1")]
    said = [line for line in lines if line.startswith("isnad: ")]
    assert said[0].startswith("isnad: opening the store (embedded Chroma")
    assert f"isnad: ready: open {live} in a browser (Ctrl+C stops the app)" in said
    page.set_content('<pre style="background:#1e1e1e;color:#ddd;padding:16px;font:14px monospace;white-space:pre-wrap">'
                     + html.escape("$ isnad serve\n" + "\n".join(lines))
                     + "</pre>")
    page.set_viewport_size({"width": 1000, "height": 260})
    screenshot(page, "start.png")


def test_english_message_reads_left_to_right(page, live):
    page.goto(live)
    ask_on_page(page, "What did Morocco launch in 2022 with the UN counter-terrorism office?")
    page.locator("#isnad-chat .isnad-answer").last.wait_for()
    page.wait_for_function("() => !document.querySelector('#isnad-send').disabled")
    question = page.locator("#isnad-chat [dir=auto]", has_text="What did Morocco launch").first
    assert question.evaluate("e => getComputedStyle(e).direction") == "ltr"


def test_gradios_own_words_are_bilingual_in_an_english_browser(browser, live):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(live)
    page.get_by_role("tab", name="إضافة مقالات · Add articles").click()
    drop = page.locator("#isnad-files")
    drop.wait_for()
    assert "أسقط الملف هنا · Drop File Here" in drop.inner_text()
    context.close()


def test_sessions_never_mix(browser, live):
    contexts = [browser.new_context() for _ in range(2)]
    pages = [c.new_page() for c in contexts]
    questions = ["كم يوما يستمر مهرجان فاس؟", "ما هي نسبة ملء السدود؟"]
    for p in pages:
        p.set_default_timeout(60_000)
        p.goto(live)
        p.wait_for_selector("#isnad-question textarea")
    for p, q in zip(pages, questions):  # both in flight at once
        ask_on_page(p, q)
    for p, q in zip(pages, questions):
        p.locator("#isnad-chat .isnad-answer").first.wait_for()
        text = p.locator("#isnad-chat").inner_text()
        assert q in text
        assert all(other not in text for other in questions if other != q)
    for c in contexts:
        c.close()


def test_new_conversation_clears_the_chat(page, live):
    page.goto(live)
    ask_on_page(page, "كم يوما يستمر مهرجان فاس؟")
    page.locator("#isnad-chat .isnad-answer").first.wait_for()
    page.click("#isnad-new")
    page.wait_for_function("() => document.querySelectorAll('#isnad-chat .isnad-answer').length === 0")
    assert page.locator("#isnad-sources .isnad-sources-empty").is_visible()


def test_upload_tab_ingests_and_reports_errors(page, live, tmp_path):
    good = tmp_path / "marrakech-books.txt"
    good.write_text("معرض مراكش للكتاب\nافتتح في مراكش معرض دولي للكتاب يضم ثلاثمئة وخمسين دار نشر من أربعين بلدا.",
                    encoding="utf-8")
    bad = tmp_path / "broken.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    page.goto(live)
    page.get_by_role("tab", name="إضافة مقالات · Add articles").click()
    page.locator("#isnad-files input[type=file]").set_input_files([str(good), str(bad)])
    page.click("#isnad-add")
    status = page.locator("#isnad-ingest-status")
    # Files are ingested in the background, in order; the page follows them until both are done.
    status.locator("li", has_text="✗ broken.txt").wait_for()
    assert "✓ marrakech-books.txt" in status.inner_text()
    assert "✗ broken.txt" in status.inner_text() and "binary" in status.inner_text()
    page.get_by_role("tab", name="المحادثة · Chat").click()
    ask_on_page(page, "كم دار نشر يضم معرض مراكش للكتاب؟")
    answer = page.locator("#isnad-chat .isnad-answer").last
    answer.locator("a.isnad-cite").first.wait_for()
    assert "ثلاثمئة وخمسين دار نشر" in answer.inner_text()


def _host_page(folder: Path, live: str, name: str) -> str:
    """An intranet page with hostile CSS, embedding the widget with the README's snippet as written
    (only its host replaced by the live server)."""
    (snippet,) = [b for b in code_blocks("html") if "widget.js" in b]
    tag = re.sub(r'src="https://[^/"]+/', f'src="{live}/', snippet)
    (folder / name).write_text(
        f"""<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>Intranet</title>
<style>{HOST_CSS}</style></head><body><h1 id="host-title">بوابة الموظفين</h1>
{tag}</body></html>""",
        encoding="utf-8")
    return name


def widget_ask(page, question: str):
    page.click("#isnad-widget >> .launcher")
    page.fill("#isnad-widget >> input", question)
    page.press("#isnad-widget >> input", "Enter")


def test_widget_answers_with_citations_on_an_intranet_page(page, live, host_pages):
    folder, allowed, _ = host_pages
    name = _host_page(folder, live, "intranet.html")
    page.goto(f"{allowed}/{name}")
    launcher = page.locator("#isnad-widget >> .launcher")
    launcher.wait_for()
    # The host page's CSS (tiny red text, hidden buttons) cannot reach into the widget...
    assert launcher.is_visible()
    assert launcher.evaluate("e => getComputedStyle(e).fontSize") == "16px"
    widget_ask(page, "كم يوما يستمر مهرجان فاس؟")
    cite = page.locator("#isnad-widget >> .msg.bot .cite").first
    cite.wait_for()
    assert page.locator("#isnad-widget >> .panel").evaluate("e => e.dir") == "rtl"
    assert "تسعة أيام" in page.locator("#isnad-widget >> .msg.bot").last.inner_text()
    cite.click()
    marks = page.locator("#isnad-widget >> .source mark")
    marks.first.wait_for()
    assert any("تسعة أيام" in m for m in marks.all_inner_texts())
    # ...and the widget's CSS does not leak out onto the host page.
    assert page.locator("#host-title").evaluate("e => getComputedStyle(e).color") == "rgb(255, 0, 0)"
    screenshot(page, "widget.png")


def test_widget_refused_on_a_page_of_another_origin(page, live, host_pages):
    folder, _, other = host_pages
    name = _host_page(folder, live, "elsewhere.html")
    page.goto(f"{other}/{name}")
    widget_ask(page, "كم يوما يستمر مهرجان فاس؟")
    error = page.locator("#isnad-widget >> .msg.error")
    error.wait_for()
    assert page.locator("#isnad-widget >> .cite").count() == 0
    # The server refuses the origin itself, not only the browser.
    r = httpx.post(f"{live}/api/ask", json={"question": "x"}, headers={"Origin": other})
    assert r.status_code == 403


def test_markup_in_articles_never_runs(page, live, host_pages):
    folder, allowed, _ = host_pages
    question = "متى افتتحت حديقة الرباط النباتية أمام الزوار؟"
    name = _host_page(folder, live, "xss.html")
    page.goto(f"{allowed}/{name}")
    widget_ask(page, question)
    page.locator("#isnad-widget >> .msg.bot .cite").first.click()
    source = page.locator("#isnad-widget >> .source").first
    source.wait_for()
    assert "<img" in source.inner_text() or "<script>" in source.inner_text()  # shown as text
    page.locator("#isnad-widget >> .source b").first.hover()
    assert page.evaluate("() => window.__pwned") is None
    assert "fdp.exe" in source.inner_text() and "\u202e" not in source.inner_text()  # shown, not reversed

    page.goto(live)
    ask_on_page(page, question)
    answer = page.locator("#isnad-chat .isnad-answer").last
    answer.locator("a.isnad-cite").first.wait_for()
    answer.locator("a.isnad-cite").first.click()
    page.locator("#isnad-sources details[open]").first.wait_for()
    page.locator("#isnad-sources summary").first.hover()
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#isnad-sources img").count() == 0


def test_thumbs_up_is_stored_with_the_answer(browser, live):
    # Gradio translates its button labels; an English browser keeps them findable as "Like".
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(live)
    ask_on_page(page, "كم يوما يستمر مهرجان فاس؟")
    page.locator("#isnad-chat .isnad-answer a.isnad-cite").first.wait_for()
    page.locator("#isnad-chat button[aria-label='Like']").last.click()
    page.wait_for_function(
        "async (url) => (await (await fetch(url)).text()).includes('كم يوما يستمر مهرجان فاس')",
        arg=f"{live}/api/feedback/export")
    records = [json.loads(x) for x in httpx.get(f"{live}/api/feedback/export").text.splitlines()]
    mine = [r for r in records if r["question"] == "كم يوما يستمر مهرجان فاس؟"]
    assert mine[-1]["rating"] == "up" and "تسعة أيام" in mine[-1]["answer"] and mine[-1]["citations"]
    # The Feedback tab's export downloads on the first click, with what was just given.
    page.get_by_role("tab", name="Feedback").click()
    with page.expect_download() as download:
        page.locator("#isnad-export a").click()
    assert download.value.suggested_filename == "isnad-feedback.jsonl"
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "كم يوما يستمر مهرجان فاس؟" in exported
    context.close()


def test_scroll_arrow_leaves_the_bubbles_visible(page, live):
    """Gradio's "to the latest message" arrow, shown while the reader is scrolled up as an
    answer arrives, sits in a gutter: it covers no question or answer bubble."""
    page.goto(live)
    questions = ("كم يوما يستمر مهرجان فاس؟", "ما هي العناصر الأربعة التي يركز عليها المغرب لتعزيز القدرات المؤسسية؟",
                 "كم تبلغ القدرة الإجمالية لمحطة نور في ورزازات؟", "Which regional programme did Morocco launch in 2022?")
    for asked, question in enumerate(questions, start=1):
        ask_on_page(page, question)
        page.wait_for_function("n => [...document.querySelectorAll('#isnad-chat .isnad-answer')]"
                               ".filter(a => a.querySelector('a.isnad-cite')).length >= n"
                               " && !document.querySelector('#isnad-send').disabled", arg=asked)
    # The reader scrolls back to the first question once the last answer is in (and Gradio's
    # own scroll to it, 300 ms after a change, is done: it would hide the arrow again).
    page.wait_for_timeout(1000)
    found = page.wait_for_function("""() => {
        const log = document.querySelector('#isnad-chat [role=log]');
        const arrow = document.querySelector('#isnad-chat .scroll-down-button-container button');
        if (!arrow) {
            log.scrollTop = 0;
            log.dispatchEvent(new Event('scroll'));
            return null;
        }
        const r = arrow.getBoundingClientRect();
        const bubbles = [...document.querySelectorAll('#isnad-chat .message')].map(m => m.getBoundingClientRect());
        return {covered: bubbles.filter(m => m.right > r.left && m.left < r.right && m.bottom > r.top && m.top < r.bottom).length,
                bubbles: bubbles.length};
    }""", timeout=15_000)
    seen = found.json_value()
    assert seen["bubbles"] >= 8 and seen["covered"] == 0, seen


def test_readme_curl_examples_work(live, tmp_path):
    from builders import make_pdf

    (tmp_path / "report.pdf").write_bytes(make_pdf([["Agadir hosts a sea festival in July."]], title="Festival"))
    (tmp_path / "dump.json").write_text(json.dumps([{"content": "Agadir opened a marine museum with 40 aquariums.",
                                                     "source": "Agadir Daily", "url": "https://agadir.example/1"}]),
                                        encoding="utf-8")
    commands = [line.split("#")[0].strip() for b in code_blocks("bash") for line in b.replace("\\\n", " ").splitlines()
                if line.strip().startswith("curl ") and "localhost:7860" in line]
    assert len(commands) >= 4
    port = live.rsplit(":", 1)[1]
    for command in commands:
        proc = subprocess.run(command.replace("localhost:7860", f"127.0.0.1:{port}"), shell=True, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and proc.stdout, command
        if "--data-binary" in command and "wait=" in command:
            assert json.loads(proc.stdout)["written"] == 1
        elif "--data-binary" in command:  # queued: its job says where it is
            job = json.loads(proc.stdout)
            assert job["state"] in ("queued", "running", "done") and httpx.get(f"{live}/api/jobs/{job['id']}").status_code == 200
        if "/api/ask/stream" in command:
            assert "event: sources" in proc.stdout and "event: answer" in proc.stdout
        elif "/api/ask" in command:
            assert json.loads(proc.stdout)["citations"]


@pytest.fixture(scope="module")
def live_login(tmp_path_factory, host_pages):
    """`isnad serve` behind ISNAD_AUTH, with the first host page's origin allowed to embed the widget."""
    _, allowed_origin, _ = host_pages
    data = tmp_path_factory.mktemp("live-login")
    env = clean_env()
    env.update(ISNAD_DATA_DIR=str(data), ISNAD_ALLOWED_ORIGINS=allowed_origin, ISNAD_AUTH="amal:s3cret")
    with running_app(env, data / "serve.log") as url:
        SERVE_LOGS[url] = data / "serve.log"
        yield url


def test_widget_behind_a_login_works_for_signed_in_staff(page, live_login, host_pages):
    folder, allowed, other = host_pages
    name = _host_page(folder, live_login, "intranet-login.html")
    question = "من ترأس الحوار الإستراتيجي؟"
    # Not signed in yet: the widget says so and links to the login form; it does not hang.
    page.goto(f"{allowed}/{name}")
    widget_ask(page, question)
    error = page.locator("#isnad-widget >> .msg.error")
    error.wait_for()
    assert error.locator("a").get_attribute("href") == f"{live_login}/login"
    # Signed in on the assistant's own login form (the chat page opens)...
    page.goto(f"{live_login}/")
    page.fill("input[name=username]", "amal")
    page.fill("input[name=password]", "s3cret")
    page.click("button[type=submit]")
    page.locator("#isnad-question textarea").wait_for()
    ask_on_page(page, question)
    page.locator("#isnad-chat .isnad-answer a.isnad-cite").first.wait_for()
    # ...the widget on the intranet page answers with the same session.
    page.goto(f"{allowed}/{name}")
    widget_ask(page, question)
    page.locator("#isnad-widget >> .msg.bot .cite").first.wait_for()
    assert "ناصر بوريطة" in page.locator("#isnad-widget >> .msg.bot").last.inner_text()
    # A page of an origin that is not allowed is told which setting lets it in.
    page.goto(f"{other}/{_host_page(folder, live_login, 'elsewhere-login.html')}")
    widget_ask(page, question)
    refused = page.locator("#isnad-widget >> .msg.error")
    refused.wait_for()
    assert "ISNAD_ALLOWED_ORIGINS" in refused.inner_text()


def test_api_docs_render_offline(page, live):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live}/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui").inner_text().count("/api/ask") >= 1
    assert [u for u in requests if not u.startswith((live, "data:", "blob:"))] == []


def test_sources_show_outlet_and_date_and_the_filter_keeps_to_an_outlet(page, live):
    page.goto(live)
    page.get_by_text("تصفية المصادر · Filter the sources").click()
    page.click("#isnad-outlets input")
    page.fill("#isnad-outlets input", "okaz")
    page.get_by_role("option", name="okaz", exact=True).click()
    page.keyboard.press("Escape")
    page.fill("#isnad-since textarea, #isnad-since input", "2015-08-01")
    ask_on_page(page, QUESTION)
    answer = page.locator("#isnad-chat .isnad-answer").last
    answer.locator("a.isnad-cite").first.wait_for()
    assert "ثلاثمئة" in answer.inner_text()
    answer.locator("a.isnad-cite").first.click()
    opened = page.locator("#isnad-sources details[open]")
    opened.wait_for()
    assert "okaz · 11 أغسطس 2015" in opened.locator(".isnad-provenance").inner_text()
    assert "alriyadh" not in page.locator("#isnad-sources section:not([hidden])").inner_text()
    link = opened.locator("a.isnad-url")
    assert link.get_attribute("href") == "https://okaz.example/1" and "noopener" in link.get_attribute("rel")
    screenshot(page, "chat-page-filtered.png")


def test_articles_tab_lists_searches_and_removes(page, live):
    page.goto(live)
    page.get_by_role("tab", name="المقالات · Articles").click()
    table = page.locator("#isnad-articles")
    table.locator(".body-cell", has_text="مقال للحذف").first.wait_for()
    assert "okaz" in table.inner_text() and "2015-08-11" in table.inner_text()
    page.fill("#isnad-articles-search input, #isnad-articles-search textarea", "tmp-wire")
    page.wait_for_function("() => !document.querySelector('#isnad-articles').innerText.includes('okaz')")
    assert "1 article(s)" in page.locator("#isnad-articles-count").inner_text()
    table.locator(".body-cell", has_text="مقال للحذف").first.click()
    page.wait_for_function("() => document.querySelector('#isnad-remove-id textarea, #isnad-remove-id input').value")
    page.click("#isnad-remove")
    page.locator("#isnad-articles-count", has_text="removed").wait_for()
    assert "0 article(s)" in page.locator("#isnad-articles-count").inner_text()
    remaining = httpx.get(f"{live}/api/articles", timeout=30).json()
    assert "tmp-wire" not in {a["provenance"]["outlet"] for a in remaining} and len(remaining) > 3


def test_widget_keeps_to_the_outlets_its_page_names(page, live, host_pages):
    folder, allowed, _ = host_pages
    (folder / "paper.html").write_text(
        f"""<!doctype html><html lang="ar"><head><meta charset="utf-8"></head><body>
<script src="{live}/widget.js" data-lang="ar" data-outlets="alriyadh" defer></script></body></html>""",
        encoding="utf-8")
    sent = []
    page.on("request", lambda r: sent.append(r.post_data) if r.url.endswith("/api/ask/stream") else None)
    page.goto(f"{allowed}/paper.html")
    widget_ask(page, QUESTION)
    cite = page.locator("#isnad-widget >> .msg.bot .cite").first
    cite.wait_for()
    assert json.loads(sent[0])["outlets"] == ["alriyadh"]
    assert "مئة وعشرون" in page.locator("#isnad-widget >> .msg.bot").last.inner_text()
    cite.click()
    assert "alriyadh · 1 أغسطس 2015" in page.locator("#isnad-widget >> .source .provenance").first.inner_text()


def test_the_page_shows_who_else_reported_it_and_the_figures_that_differ(page, live):
    page.goto(live)
    ask_on_page(page, WIRE_QUESTION)
    answer = page.locator("#isnad-chat .isnad-answer").last
    answer.locator(".isnad-reports").wait_for()
    reports = answer.locator(".isnad-report").all_inner_texts()
    assert "okaz" in reports[0] and "15" in reports[0], "newest first"
    assert any("was" in r and "12" in r for r in reports[1:])
    assert "نشرته أيضا" in answer.locator(".isnad-also").inner_text()
    answer.locator("a.isnad-cite").first.click()
    opened = page.locator("#isnad-sources details.isnad-source[open]")
    opened.wait_for()
    copies = opened.locator("details.isnad-copy")
    assert copies.count() == 2
    copies.first.locator("summary").click()
    shown_copy = opened.locator("details.isnad-copy[open] .isnad-article")
    shown_copy.wait_for()
    assert "إصابة جديدة بفيروس كورونا" in shown_copy.inner_text()
    screenshot(page, "chat-page-chain-of-sources.png")


def test_the_widget_switches_between_the_copies_of_a_story(page, live, host_pages):
    folder, allowed, _ = host_pages
    (folder / "wire.html").write_text(
        f"""<!doctype html><html lang="ar"><head><meta charset="utf-8"></head><body>
<script src="{live}/widget.js" data-lang="ar" defer></script></body></html>""", encoding="utf-8")
    page.goto(f"{allowed}/wire.html")
    widget_ask(page, WIRE_QUESTION)
    page.locator("#isnad-widget >> .msg.bot .reports").wait_for()
    assert "okaz" in page.locator("#isnad-widget >> .msg.bot .reports").inner_text()
    page.locator("#isnad-widget >> .msg.bot .cite").first.click()
    source = page.locator("#isnad-widget >> .source").first
    first_outlet = source.locator(".provenance bdi").first.inner_text()
    buttons = page.locator("#isnad-widget >> .source .also button")
    assert buttons.count() == 2
    buttons.first.click()
    switched = page.locator("#isnad-widget >> .source .provenance bdi").first.inner_text()
    assert switched != first_outlet and switched in {"was", "alriyadh", "okaz"}
