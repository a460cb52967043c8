"""The web app: a chat page over :class:`qa.Assistant`. No retrieval or answer logic lives here."""
from __future__ import annotations

import gradio as gr

from qa import Answer, Assistant


def render_answer(answer: Answer) -> str:
    """Answer text followed by its numbered sources, as Markdown."""
    if not answer.citations:
        return answer.text
    lines = [answer.text, "", "---"]
    for c in answer.citations:
        page = f" · page {c.page}" if c.page else ""
        lines.append(f"**[{c.n}] {c.title}**{page} · score {c.score:.2f}")
        lines.append(f"> {c.text}")
        lines.append("")
    return "\n".join(lines)


def history_pairs(history: list) -> list[tuple[str, str]]:
    """Gradio's message list as (question, answer) pairs for :meth:`Assistant.ask`."""
    pairs, question = [], None
    for message in history or []:
        role, content = message.get("role"), message.get("content")
        text = content if isinstance(content, str) else ""
        if role == "user":
            question = text
        elif role == "assistant" and question is not None:
            pairs.append((question, text))
            question = None
    return pairs


def build_chat(bot: Assistant) -> gr.Blocks:
    def respond(message: str, history: list) -> str:
        try:
            return render_answer(bot.ask(message, history=history_pairs(history)))
        except ValueError as err:
            return str(err)

    return gr.ChatInterface(
        respond,
        title="isnad · إسناد",
        description="Ask about the articles in the store; every answer quotes its sources.",
        examples=["من ترأس الحوار الإستراتيجي بين المغرب ومكتب الأمم المتحدة؟", "Who chaired the dialogue?"],
        api_name="chat",
    )


def offline_theme() -> gr.themes.Base:
    """Gradio's default theme pulls its fonts from the internet; the page must render offline."""
    fonts = [gr.themes.Font(name) for name in ("system-ui", "Segoe UI", "Noto Sans Arabic", "sans-serif")]
    return gr.themes.Default(font=fonts, font_mono=[gr.themes.Font("monospace")])


def serve(bot: Assistant, host: str, port: int) -> None:
    bot.store  # noqa: B018 - open (and seed) the store before the first visitor, not during
    build_chat(bot).launch(server_name=host, server_port=port, show_error=True, theme=offline_theme())
