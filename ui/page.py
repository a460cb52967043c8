"""The chat page (Gradio): a thin client of :class:`qa.Assistant`, like the HTTP API.

Callbacks only translate between Gradio values and the Assistant's calls; per-visitor state
(the conversation, the answers behind it) lives in ``gr.State``, so sessions never mix.
"""
from __future__ import annotations

import html
import time
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from ingest import supported_extensions
from qa import Assistant
from ingest.errors import InvalidInput, IsnadError
from qa.jobs import UploadJob, UploadJobs
from qa.uploads import discard_upload

from .feedback import FeedbackStore
from .render import answer_html, final_answer_html, question_html, sources_html

ARTICLE_COLUMNS = ["id", "المصدر · outlet", "التاريخ · date", "العنوان · title", "مقاطع · chunks"]
MAX_LISTED = 500  # rows the articles table shows at once; the search narrows the rest

EXAMPLES = [
    "من ترأس الحوار الإستراتيجي بين المغرب ومكتب الأمم المتحدة لمكافحة الإرهاب؟",
    "ما هي العناصر الأربعة التي يركز عليها المغرب لتعزيز القدرات المؤسسية؟",
    "Which regional programme did Morocco launch in 2022 with the UN counter-terrorism office?",
]


def offline_theme() -> gr.themes.Base:
    """Gradio's default theme pulls its fonts from the internet; the page must render offline."""
    fonts = [gr.themes.Font(name) for name in ("system-ui", "Segoe UI", "Noto Sans Arabic", "sans-serif")]
    return gr.themes.Default(font=fonts, font_mono=[gr.themes.Font("monospace")])


def _read_in_blocks(path: Path, size: int = 1 << 20):
    with open(path, "rb") as f:
        while block := f.read(size):
            yield block


class GradioUploads:
    """Which files the page's upload handler may read: only those Gradio's own upload route
    stored in the upload folder for a visitor. A client of Gradio's call API can name any path
    in a file value (and Gradio does not check it for a mounted app), so everything else is
    refused without saying whether it exists. Each file is taken once: read, then deleted."""

    def __init__(self, page: gr.Blocks):
        self.page = page

    def take(self, value) -> Path | None:
        raw = value if isinstance(value, str) else getattr(value, "path", None) or getattr(value, "name", None)
        if not raw:
            return None
        folder = Path(get_upload_folder()).resolve()
        path = Path(raw).resolve()
        stored = [p for p in self.page.upload_file_set if Path(p).resolve() == path]
        if folder not in path.parents or not stored or not path.is_file():
            return None
        self.page.upload_file_set.difference_update(stored)
        return path


def _client(request: gr.Request | None) -> str:
    user = getattr(request, "username", None) if request is not None else None
    host = getattr(getattr(request, "client", None), "host", None) if request is not None else None
    return f"user:{user}" if user else f"addr:{host or 'unknown'}"


def _job_line(job: UploadJob) -> tuple[bool, str]:
    """(ok, line) for the status list: a finished job's outcome, or where a running one is."""
    if job.finished is None:
        where = (f"تضمين {job.chunks_to_embed} مقطعا · embedding {job.chunks_to_embed} chunks"
                 if job.stage == "embedding" else job.stage)
        return True, f"… {job.file}: {where}"
    body = job.to_dict()
    errors = body.get("errors") or []
    if job.state == "failed":
        return False, f"✗ {job.file}: {'; '.join(errors) or 'تعذر حفظ أي شيء · nothing could be stored'}"
    if body.get("written", 0) == 0:
        return True, f"✓ {job.file}: موجود من قبل، دون تغيير · already in the store, unchanged"
    line = (f"✓ {job.file}: أضيفت مقالات: {body['written']}، مقاطع: {body['chunks']} · "
            f"{body['written']} article(s) added, {body['chunks']} chunk(s)")
    return (not errors), line + "".join(f"; ✗ {e}" for e in errors)


def article_rows(bot: Assistant, query: str) -> tuple[list[list], str]:
    """The stored articles whose title, outlet, id or date holds ``query`` (newest first), at most
    ``MAX_LISTED``, and a line saying how many there are."""
    words = (query or "").casefold().split()
    found = []
    for a in sorted(bot.list_articles(), key=lambda a: (a.provenance.published or "", a.ingested_at), reverse=True):
        row = [a.id, a.provenance.outlet or "", (a.provenance.published or "")[:10], a.title, a.chunks]
        if all(w in " ".join(map(str, row[:4])).casefold() for w in words):
            found.append(row)
    shown_rows = found[:MAX_LISTED]
    line = (f"مقالات: {len(found)} · {len(found)} article(s)"
            + (f" — أول {MAX_LISTED} · the first {MAX_LISTED} shown" if len(found) > MAX_LISTED else ""))
    return shown_rows, f'<p dir="auto">{html.escape(line)}</p>'


def build_page(bot: Assistant, feedback: FeedbackStore, jobs: UploadJobs) -> gr.Blocks:
    def article_text(article_id: str) -> str | None:
        found = bot.get_article(article_id)
        return found[1] if found else None

    def respond(message: str, chat: list, turns: list, outlets: list | None, since: str, until: str):
        message = (message or "").strip()
        if not message:
            yield chat, turns, gr.skip(), gr.skip()
            return
        history = [(t["question"], t["answer"]) for t in turns]
        turn = len(turns)
        chat = chat + [{"role": "user", "content": question_html(message)}, {"role": "assistant", "content": ""}]
        yield chat, turns, gr.skip(), ""
        text, sources = "", []
        filters = {"outlets": outlets or None, "since": since or None, "until": until or None}
        try:
            for event in bot.stream(message, history=history, filters=filters):
                if event["type"] == "sources":
                    sources = event["sources"]
                elif event["type"] == "delta":
                    text += event["text"]
                    chat[-1] = {"role": "assistant", "content": answer_html(text, turn)}
                    yield chat, turns, gr.skip(), gr.skip()
                elif event["type"] == "answer":
                    final = event["answer"]
                    turns = turns + [{"question": message, "answer": final["answer"], "sources": sources,
                                      "citations": final["citations"], "abstained": final["abstained"]}]
                    chat[-1] = {"role": "assistant", "content": final_answer_html(final, turn)}
                    yield chat, turns, sources_html(turns, article_text), gr.skip()
        except IsnadError as err:
            chat[-1] = {"role": "assistant", "content": question_html(str(err))}
            yield chat, turns, gr.skip(), gr.skip()

    def ask(question: str, history: list[list[str]] | None = None, k: int | None = None,
            filters: dict | None = None) -> dict:
        """Answer ``question`` with the ``(question, answer)`` turns of ``history`` before it,
        from the articles ``filters`` admits (``{"outlets": [...], "since": ..., "until": ...,
        "article_ids": [...]}``); the same JSON as ``POST /api/ask``. Nothing is kept between
        calls: the history sent is the whole conversation."""
        try:
            if history is not None and not isinstance(history, list):
                raise InvalidInput("history must be a list of [question, answer] pairs")
            return bot.ask(question, history=[tuple(turn) if isinstance(turn, list) else turn for turn in history or []],
                           k=k, filters=filters).to_dict()
        except IsnadError as err:
            raise gr.Error(str(err), print_exception=False) from None

    def new_conversation():
        return [], [], sources_html([], article_text), ""

    def on_like(turns: list, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(index) // 2
        if 0 <= turn < len(turns) and data.liked in (True, False):
            t = turns[turn]
            feedback.add(rating="up" if data.liked else "down", question=t["question"], answer=t["answer"],
                         citations=t["citations"])

    def status_html(refused: list[str], queued: list[UploadJob]) -> str:
        lines = [(False, line) for line in refused] + [_job_line(job) for job in queued]
        items = "".join(f'<li dir="auto">{html.escape(line)}</li>' for _, line in lines)
        css = "isnad-ok" if all(ok for ok, _ in lines) else "isnad-failed"
        return f'<ul class="{css}">{items}</ul>'

    def outlet_choices():
        return gr.update(choices=bot.outlets())

    def list_articles(query: str):
        return article_rows(bot, query)

    def pick_article(data: gr.SelectData):
        row = data.row_value if isinstance(getattr(data, "row_value", None), list) else None
        return row[0] if row else gr.skip()

    def remove_article(article_id: str, query: str):
        article_id = (article_id or "").strip()
        if not article_id:
            note = "اختر مقالة من القائمة · Choose an article in the list."
        elif bot.remove(article_id):
            note = f"✓ حذفت · removed {article_id}"
        else:
            note = f"✗ لا توجد مقالة بهذا المعرف · no article with id {article_id}"
        rows, line = article_rows(bot, query)
        return rows, f'<p dir="auto">{html.escape(note)}</p>{line}', ""

    def add_articles(files: list | None, title: str, text: str, fields: str, outlet: str, request: gr.Request):
        """Queue every file (and the pasted text) as an upload job, then show each job's
        progress until all are finished. The work happens in the job queue, not here."""
        refused: list[str] = []
        queued: list[UploadJob] = []
        client = _client(request)
        for value in files or []:
            name = Path(str(getattr(value, "orig_name", None) or getattr(value, "name", None) or value)).name
            path = uploads.take(value)
            if path is None:
                refused.append(f"✗ {name[:120]}: this file was not uploaded through this page")
                continue
            try:
                queued.append(jobs.submit_file(name, _read_in_blocks(path), client=client, fields=fields or None,
                                               outlet=outlet or None))
            except IsnadError as err:
                refused.append(f"✗ {name[:120]}: {err}")
            finally:
                discard_upload(path)
        if (text or "").strip():
            try:
                queued.append(jobs.submit_text(text, title=title or "untitled", client=client))
            except IsnadError as err:
                refused.append(f"✗ {(title or 'text')[:120]}: {err}")
        if not refused and not queued:
            yield '<p dir="auto">اختر ملفات أو الصق نصا · Choose files or paste a text.</p>', gr.skip(), gr.skip()
            return
        yield status_html(refused, queued), None, ""
        while any(job.finished is None for job in queued):
            time.sleep(0.5)
            yield status_html(refused, queued), gr.skip(), gr.skip()

    # No usage analytics: nothing leaves the machine. Files Gradio stored for a visitor that
    # were never handed to add_articles are deleted after a day (checked hourly).
    with gr.Blocks(title="isnad · إسناد", analytics_enabled=False, delete_cache=(3600, 86400)) as page:
        turns = gr.State([])
        # One paragraph per language: in a single right-to-left paragraph the English sentence's
        # full stop would show on its left.
        gr.HTML('<h2 dir="auto" style="margin:0">إسناد · isnad</h2>'
                '<p dir="rtl" lang="ar" style="margin:0">أسئلة عن المقالات، وكل إجابة بمصادرها.</p>'
                '<p dir="ltr" lang="en" style="margin:0">Questions about the articles; every answer shows its sources.</p>',
                elem_id="isnad-subtitle")
        with gr.Tabs():
            with gr.Tab("المحادثة · Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(elem_id="isnad-chat", height=520, label="isnad",
                                          feedback_options=("Like", "Dislike"), buttons=["copy", "copy_all"])
                        with gr.Row():
                            box = gr.Textbox(show_label=False, elem_id="isnad-question", scale=8, autofocus=True,
                                             placeholder="اكتب سؤالك… · Ask a question…")
                            send = gr.Button("أرسل · Send", variant="primary", elem_id="isnad-send", scale=1)
                        with gr.Accordion("تصفية المصادر · Filter the sources", open=False, elem_id="isnad-filters"):
                            with gr.Row():
                                # (each with a value: callers of the page's API may leave them out)
                                outlets = gr.Dropdown([], value=[], multiselect=True, elem_id="isnad-outlets", scale=2,
                                                      label="المصادر · Outlets")
                                since = gr.Textbox("", label="من تاريخ · Since", placeholder="2015-08-01", elem_id="isnad-since")
                                until = gr.Textbox("", label="إلى تاريخ · Until", placeholder="2015-08-11", elem_id="isnad-until")
                        gr.Examples(EXAMPLES, inputs=box, label="أمثلة · Examples")
                        new = gr.Button("محادثة جديدة · New conversation", elem_id="isnad-new")
                    with gr.Column(scale=2):
                        gr.HTML('<h3 dir="auto" style="margin:0">المصادر · Sources</h3>')
                        sources = gr.HTML(sources_html([], article_text), elem_id="isnad-sources")
            with gr.Tab("إضافة مقالات · Add articles", id="ingest"):
                files = gr.File(file_count="multiple", file_types=supported_extensions(), elem_id="isnad-files",
                                label="ملفات · Files (" + " ".join(supported_extensions()) + ")")
                title = gr.Textbox(label="العنوان · Title (pasted text)", elem_id="isnad-title")
                text = gr.Textbox(label="النص · Text", lines=8, elem_id="isnad-text")
                with gr.Row():
                    outlet = gr.Textbox("", label="المصدر · Outlet (when the file names none)", elem_id="isnad-outlet")
                    fields = gr.Textbox("", label="حقول السجلات · Record fields (.json/.jsonl)", elem_id="isnad-fields",
                                        placeholder="text=content,published=date_extracted,outlet=source")
                add = gr.Button("أضف · Add", variant="primary", elem_id="isnad-add")
                status = gr.HTML(elem_id="isnad-ingest-status")
            with gr.Tab("المقالات · Articles", id="articles") as articles_tab:
                search = gr.Textbox(show_label=False, elem_id="isnad-articles-search",
                                    placeholder="ابحث في العناوين والمصادر والتواريخ… · Search titles, outlets, dates…")
                listed = gr.HTML(elem_id="isnad-articles-count")
                table = gr.Dataframe(headers=ARTICLE_COLUMNS, datatype=["str", "str", "str", "str", "number"],
                                     interactive=False, elem_id="isnad-articles", wrap=True, max_height=520)
                with gr.Row():
                    chosen = gr.Textbox(label="المقالة المختارة · Selected article (id)", elem_id="isnad-remove-id", scale=3)
                    remove = gr.Button("احذف · Remove", variant="stop", elem_id="isnad-remove", scale=1)
            with gr.Tab("الملاحظات · Feedback", id="feedback"):
                gr.HTML('<p dir="rtl" lang="ar">تقييمات الإجابات (إعجاب أو عدمه) بصيغة أسطر JSON.</p>'
                        '<p dir="ltr" lang="en">Thumbs up/down given on answers, as JSON lines.</p>')
                # A plain link to the API's export (behind the same login): fresh on every click,
                # downloaded on the first one (a DownloadButton only had the file from the second).
                gr.HTML('<a class="isnad-export" href="api/feedback/export" download="isnad-feedback.jsonl">'
                        'تصدير الملاحظات · Export feedback (JSONL)</a>', elem_id="isnad-export")

        outputs = [chat, turns, sources, box]
        asked = [box, chat, turns, outlets, since, until]
        send.click(respond, asked, outputs, concurrency_limit=4, api_name="ask_chat")
        box.submit(respond, asked, outputs, concurrency_limit=4, api_visibility="private")
        page.load(outlet_choices, None, outlets, api_visibility="private")
        articles_tab.select(list_articles, [search], [table, listed], api_visibility="private")
        search.submit(list_articles, [search], [table, listed], api_visibility="private")
        search.change(list_articles, [search], [table, listed], api_visibility="private", trigger_mode="always_last")
        table.select(pick_article, None, chosen, api_visibility="private")
        remove.click(remove_article, [chosen, search], [table, listed, chosen], api_name="remove_article")
        new.click(new_conversation, None, outputs, api_visibility="private")
        chat.like(on_like, [turns], None, api_visibility="private")
        add.click(add_articles, [files, title, text, fields, outlet], [status, files, text], api_name="add_articles",
                  show_progress="minimal").then(outlet_choices, None, outlets, api_visibility="private")
        gr.api(ask, api_name="ask", concurrency_limit=4)
    uploads = GradioUploads(page)
    return page

