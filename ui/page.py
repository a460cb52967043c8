"""The chat page (Gradio): a thin client of :class:`qa.Assistant`, like the HTTP API.

Callbacks only translate between Gradio values and the Assistant's calls; per-visitor state
(the conversation, the answers behind it) lives in ``gr.State``, so sessions never mix.
"""
from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from ingest import supported_extensions
from qa import Assistant

from .feedback import FeedbackStore
from .render import answer_html, question_html, sources_html

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


def build_page(bot: Assistant, feedback: FeedbackStore) -> gr.Blocks:
    def article_text(article_id: str) -> str | None:
        found = bot.get_article(article_id)
        return found[1] if found else None

    def respond(message: str, chat: list, turns: list):
        message = (message or "").strip()
        if not message:
            yield chat, turns, gr.skip(), gr.skip()
            return
        history = [(t["question"], t["answer"]) for t in turns]
        turn = len(turns)
        chat = chat + [{"role": "user", "content": question_html(message)}, {"role": "assistant", "content": ""}]
        yield chat, turns, gr.skip(), ""
        text, sources = "", []
        try:
            for event in bot.stream(message, history=history):
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
                    shown = final["answer"]
                    if final.get("notice"):
                        shown = f"{final['notice']}\n\n{shown}"
                    chat[-1] = {"role": "assistant", "content": answer_html(shown, turn)}
                    yield chat, turns, sources_html(turns, article_text), gr.skip()
        except ValueError as err:
            chat[-1] = {"role": "assistant", "content": question_html(str(err))}
            yield chat, turns, gr.skip(), gr.skip()

    def new_conversation():
        return [], [], sources_html([], article_text), ""

    def on_like(turns: list, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(index) // 2
        if 0 <= turn < len(turns) and data.liked in (True, False):
            t = turns[turn]
            feedback.add(rating="up" if data.liked else "down", question=t["question"], answer=t["answer"],
                         citations=t["citations"])

    def add_articles(files: list | None, title: str, text: str, progress=gr.Progress()):
        lines, ok = [], True
        paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
        steps = len(paths) + (1 if (text or "").strip() else 0)
        for i, src in enumerate(paths):
            progress(i / max(steps, 1), desc=src.name)
            try:
                report = bot.ingest_upload(src.name, _read_in_blocks(src))
            except ValueError as err:
                ok = False
                lines.append(f"✗ {src.name}: {err}")
                continue
            for err in report.errors:
                ok = False
                lines.append(f"✗ {src.name}: {err.cause}")
            if report.ok:
                lines.append(f"✓ {src.name}: {report.articles} article(s), {report.chunks} new chunks")
        if (text or "").strip():
            progress(len(paths) / max(steps, 1), desc=title or "text")
            try:
                report = bot.ingest_text(text, title=title or "untitled")
                lines.append(f"✓ {title or 'untitled'}: {report.chunks} new chunks")
            except ValueError as err:
                ok = False
                lines.append(f"✗ {title or 'text'}: {err}")
        if not lines:
            return '<p dir="auto">اختر ملفات أو الصق نصا · Choose files or paste a text.</p>', gr.skip(), gr.skip()
        items = "".join(f'<li dir="auto">{html.escape(x)}</li>' for x in lines)
        css = "isnad-ok" if ok else "isnad-failed"
        return f'<ul class="{css}">{items}</ul>', None, ""

    def export_feedback() -> str:
        path = bot.settings.data_dir / "feedback-export.jsonl"
        path.write_text(feedback.export(), encoding="utf-8")
        return str(path)

    # No usage analytics: nothing leaves the machine.
    with gr.Blocks(title="isnad · إسناد", analytics_enabled=False) as page:
        turns = gr.State([])
        gr.HTML('<h2 dir="auto" style="margin:0">إسناد · isnad</h2>'
                '<p dir="auto" style="margin:0">أسئلة عن المقالات، وكل إجابة بمصادرها. '
                "Questions about the articles; every answer shows its sources.</p>")
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
                add = gr.Button("أضف · Add", variant="primary", elem_id="isnad-add")
                status = gr.HTML(elem_id="isnad-ingest-status")
            with gr.Tab("الملاحظات · Feedback", id="feedback"):
                gr.Markdown("Thumbs up/down given on answers, as JSON lines.")
                export = gr.DownloadButton("Export feedback (JSONL)", elem_id="isnad-export")

        outputs = [chat, turns, sources, box]
        send.click(respond, [box, chat, turns], outputs, concurrency_limit=4, api_name="ask_chat")
        box.submit(respond, [box, chat, turns], outputs, concurrency_limit=4, api_visibility="private")
        new.click(new_conversation, None, outputs, api_visibility="private")
        chat.like(on_like, [turns], None, api_visibility="private")
        add.click(add_articles, [files, title, text], [status, files, text], api_name="add_articles")
        export.click(export_feedback, None, export, api_visibility="private")
    return page

