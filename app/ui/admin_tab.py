"""管理: documents (ingest, remove), users (add, with an API key shown once) and the audit log.
Only administrators may act here."""

from __future__ import annotations

import time
from pathlib import Path

import gradio as gr

from app.api.library import ingest_upload, remove_from_library
from app.api.services import Services
from app.security.access import ROLE_LABELS, Principal, Role
from app.ui.session import audit
from corpus.access import CLASSIFICATIONS, PUBLIC, DocumentAccess, classification_of
from corpus.errors import GuihuaError

DOC_COLUMNS = ["文档 id", "标题", "层级", "状态", "施行", "地区", "密级", "条文数"]
USER_COLUMNS = ["用户", "角色", "管辖地区", "可阅密级", "停用"]
AUDIT_COLUMNS = ["时间", "用户", "角色", "操作", "路径", "对象", "状态"]


def _require_admin(who: Principal) -> None:
    if not who.may("documents"):
        raise gr.Error("需要管理员账号，请先登录")


def build_admin_tab(services: Services, principal: gr.State) -> None:
    with gr.Tab("管理", id="admin"):
        refresh = gr.Button("刷新", elem_id="gh-admin-refresh")
        with gr.Accordion("文档与版本", open=True):
            docs = gr.Dataframe(headers=DOC_COLUMNS, interactive=False, wrap=True)
            with gr.Row():
                upload = gr.File(label="导入文件（PDF、DOCX、Markdown、TXT、HTML、CSV、XLSX）")
                classification = gr.Dropdown(list(CLASSIFICATIONS), value=PUBLIC, label="密级")
                region = gr.Textbox(label="所属地区（可选）", placeholder="如 杭州市")
            ingest = gr.Button("导入", variant="primary")
            with gr.Row():
                remove_id = gr.Textbox(label="删除文档（文档 id）", placeholder="名称@版本")
                remove = gr.Button("删除", variant="stop")
            status = gr.Markdown()
        with gr.Accordion("用户", open=False):
            users = gr.Dataframe(headers=USER_COLUMNS, interactive=False)
            with gr.Row():
                name = gr.Textbox(label="用户名")
                role = gr.Dropdown([(ROLE_LABELS[r], r.value) for r in Role], value=Role.STAFF.value,
                                   label="角色")
                user_region = gr.Textbox(label="管辖地区（空为全国）")
                clearance = gr.Dropdown(list(CLASSIFICATIONS), value=PUBLIC, label="可阅密级")
                password = gr.Textbox(label="登录密码（至少 8 位）", type="password")
            add = gr.Button("新建用户")
            new_key = gr.Markdown()
        with gr.Accordion("审计日志", open=False):
            log = gr.Dataframe(headers=AUDIT_COLUMNS, interactive=False, wrap=True)

        def tables(who: Principal) -> tuple:
            _require_admin(who)
            records = services.store.documents()
            doc_rows = [[r.doc_id, r.title, r.level, r.status, r.valid_from or "", r.region or "",
                         classification_of(r), r.n_clauses] for r in records]
            user_rows = [[u.name, ROLE_LABELS[u.role], u.region or "全国", u.clearance,
                          "是" if u.disabled else ""] for u in services.accounts.users()]
            audit_rows = [[e["at"][:19], e["user_name"], e["role"], e["action"], e["path"],
                           e["target"] or "", e["status"]] for e in services.audit.recent(200)]
            return doc_rows, user_rows, audit_rows

        def do_ingest(path: str | None, label: str, where: str, who: Principal) -> str:
            _require_admin(who)
            if not path:
                raise gr.Error("请选择文件")
            try:
                access = DocumentAccess(label, where.strip() or None)
            except GuihuaError as exc:
                raise gr.Error(str(exc)) from None
            job = services.jobs.new("ingest", who.name)
            services.jobs.start(job, lambda _job, progress: ingest_upload(
                services, Path(path), access, progress=progress))
            while job.status in ("queued", "running"):  # a worker thread: other users go on
                time.sleep(0.2)
            audit(services, who, "ingest", Path(path).name, job.status == "done")
            if job.status == "failed":
                raise gr.Error(job.error or "导入失败")
            outcome = job.result.outcomes[0]
            return f"已导入 {outcome.doc_id}（{outcome.action}，{outcome.clauses} 个条文节点）"

        def do_remove(doc_id: str, who: Principal) -> str:
            _require_admin(who)
            try:
                remove_from_library(services, doc_id.strip())
            except GuihuaError as exc:
                raise gr.Error(str(exc)) from None
            audit(services, who, "remove", doc_id)
            return f"已删除 {doc_id}"

        def do_add(user: str, role_value: str, where: str, level: str, secret: str,
                   who: Principal) -> str:
            if not who.may("users"):
                raise gr.Error("需要管理员账号")
            if secret and len(secret) < 8:
                raise gr.Error("密码至少 8 位")
            try:
                made = services.accounts.add_user(user.strip(), Role(role_value),
                                                  where.strip() or None, level, secret or None)
                key = services.accounts.issue_key(made.name)
            except GuihuaError as exc:
                raise gr.Error(str(exc)) from None
            audit(services, who, "add_user", made.name)
            return f"已创建用户 **{made.name}**。API 密钥（只显示这一次）：`{key}`"

        outputs = [docs, users, log]
        refresh.click(tables, principal, outputs)
        ingest.click(do_ingest, [upload, classification, region, principal], status) \
            .then(tables, principal, outputs)
        remove.click(do_remove, [remove_id, principal], status).then(tables, principal, outputs)
        add.click(do_add, [name, role, user_region, clearance, password, principal], new_key) \
            .then(tables, principal, outputs)
