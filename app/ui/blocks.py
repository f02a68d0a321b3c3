"""The UI's layout: sign-in row, then the 问答 / 审查 / 知识库 / 管理 tabs."""

from __future__ import annotations

import gradio as gr

from app.api.services import Services
from app.security.access import ANONYMOUS, Principal
from app.ui.admin_tab import build_admin_tab
from app.ui.assessment_tab import build_assessment_tab
from app.ui.chat_tab import build_chat_tab
from app.ui.knowledge_tab import build_knowledge_tab
from app.ui.review_tab import build_review_tab
from app.ui.session import audit, describe, sign_in

CSS = """
.gh-citation { border-left: 3px solid #2f6fde; margin: 6px 0; padding: 2px 8px; }
.gh-citation summary { cursor: pointer; color: #1d4fb0; }
.gh-clause { white-space: normal; padding: 4px 0; }
.gh-meta, .gh-note { color: #666; font-size: 0.9em; }
.gh-sources { margin-top: 8px; }
.gh-legend span { margin-right: 12px; }
"""


def build_ui(services: Services) -> gr.Blocks:
    with gr.Blocks(title="guihua 国土空间规划智能助手", analytics_enabled=False) as blocks:
        principal = gr.State(ANONYMOUS)
        gr.Markdown("## guihua 国土空间规划智能助手\n法律法规、标准规范与规划审查，"
                    "每一条结论都给出现行有效的条文依据。")
        with gr.Row():
            identity = gr.Markdown(describe(ANONYMOUS), elem_id="gh-identity")
            user = gr.Textbox(label="用户名", scale=1, elem_id="gh-user")
            password = gr.Textbox(label="密码", type="password", scale=1, elem_id="gh-password")
            login = gr.Button("登录", scale=0, elem_id="gh-login")
            logout = gr.Button("退出", scale=0)

        def do_login(name: str, secret: str) -> tuple[Principal, str, str]:
            who = sign_in(services, name or "", secret or "")
            if who is None:
                audit(services, ANONYMOUS, "login", name, ok=False)
                raise gr.Error("用户名或密码不正确，或账号已停用")
            audit(services, who, "login", name)
            return who, describe(who), ""

        login.click(do_login, [user, password], [principal, identity, password])
        logout.click(lambda: (ANONYMOUS, describe(ANONYMOUS)), None, [principal, identity])
        with gr.Tabs():
            build_chat_tab(services, principal)
            build_review_tab(services, principal)
            build_assessment_tab(services, principal)
            build_knowledge_tab(services, principal)
            build_admin_tab(services, principal)
    blocks.queue(default_concurrency_limit=8)
    return blocks
