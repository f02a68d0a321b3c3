"""政策问答: a chat whose answers stream in, each citation opening to its clause."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import gradio as gr

from agents.qa.agent import Turn
from app.api.routes.answers import answer_question
from app.api.services import Services
from app.security.access import Principal
from app.ui.render import answer_html
from app.ui.session import audit

_SENTENCE = re.compile(r"[^。；！？\n]*[。；！？\n]?")


def parse_day(text: str | None) -> date | None:
    text = (text or "").strip()[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise gr.Error(f"日期格式应为 YYYY-MM-DD：{text}") from None


def date_picker(label: str, elem_id: str | None = None) -> gr.DateTime:
    """A calendar date (no time) that hands its value over as YYYY-MM-DD."""
    return gr.DateTime(label=label, include_time=False, type="string", scale=1, elem_id=elem_id)


def build_chat_tab(services: Services, principal: gr.State) -> None:
    with gr.Tab("政策问答", id="chat"):
        gr.Markdown("依据所选日期有效的条文作答；每条依据可点开查看原文、文件、有效期与状态。"
                    "条文不足以回答时会明确说明“无法回答”。")
        chatbot = gr.Chatbot(label="问答", height=520, elem_id="gh-chat", sanitize_html=False)
        turns = gr.State([])
        with gr.Row():
            question = gr.Textbox(label="问题", placeholder="例如：农村村民一户能拥有几处宅基地？",
                                  scale=5, elem_id="gh-question")
            as_of = date_picker("依据日期（默认今天）", "gh-as-of")
        with gr.Row():
            send = gr.Button("提问", variant="primary", elem_id="gh-ask")
            clear = gr.Button("新对话")

        def respond(text: str, day_text: str, messages: list, history: list[Turn],
                    who: Principal) -> Iterator[tuple[list, list[Turn], str]]:
            text = (text or "").strip()
            if not text:
                raise gr.Error("请输入问题")
            day = parse_day(day_text)
            messages = [*messages, {"role": "user", "content": text},
                        {"role": "assistant", "content": "正在检索条文并核验回答……"}]
            yield messages, history, ""
            answer = answer_question(services, who, text, day, history)
            audit(services, who, "ask", text)
            shown = ""
            for piece in _SENTENCE.findall(answer.answer):  # verified text, streamed
                if piece:
                    shown += piece
                    messages[-1] = {"role": "assistant", "content": shown}
                    yield messages, history, ""
            messages[-1] = {"role": "assistant", "content": answer_html(answer)}
            yield messages, [*history, answer.turn()], ""

        for trigger in (send.click, question.submit):
            trigger(respond, [question, as_of, chatbot, turns, principal],
                    [chatbot, turns, question])
        clear.click(lambda: ([], []), None, [chatbot, turns])
