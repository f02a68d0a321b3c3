"""`guihua serve` (API + UI in one server) and `guihua users` (accounts and API keys)."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import JsonFlag, emit, out, settings, user_errors
from app.cli.corpus_commands import app
from app.security.access import Role
from corpus.access import CLASSIFICATIONS, PUBLIC

users_app = typer.Typer(help="用户与 API 密钥 / users and API keys", no_args_is_help=True)


@app.command()
def serve(host: Annotated[str, typer.Option(help="监听地址 / address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="端口 / port")] = 7860,
          ui: Annotated[bool, typer.Option(help="同时提供网页界面 / also serve the web UI")] = True
          ) -> None:
    """启动服务：HTTP API（/docs）与网页界面（/ui）/ start the API and the web UI."""
    import uvicorn

    from app.api.server import create_app
    from app.api.services import Services

    config = settings()
    with user_errors(False):
        services = Services(config)
    api = create_app(services)
    if ui:
        from app.ui.mount import mount_ui

        api = mount_ui(api)
    where = f"http://{host}:{port}"
    out.print(f"guihua 已启动 / serving: 网页界面 UI {where}/ui · API 文档 docs {where}/docs",
              highlight=False)
    uvicorn.run(api, host=host, port=port, log_level="warning")


def _accounts():  # type: ignore[no-untyped-def]
    from app.security.accounts import AccountStore
    from app.security.database import app_database_url, open_database

    config = settings()
    return AccountStore(open_database(app_database_url(config.data_dir, config.database_url)))


@users_app.command("add")
def add(name: Annotated[str, typer.Argument(help="用户名 / user name")],
        role: Annotated[Role, typer.Option(help="角色 / role")] = Role.STAFF,
        region: Annotated[str | None, typer.Option(
            help="管辖行政区（名称或代码；不填为全国）/ region scope")] = None,
        clearance: Annotated[str, typer.Option(
            help=f"可阅密级 / clearance: {'/'.join(CLASSIFICATIONS)}")] = PUBLIC,
        password: Annotated[str | None, typer.Option(
            help="网页登录密码（至少 8 位）/ UI password", hide_input=True)] = None,
        as_json: JsonFlag = False) -> None:
    """新建用户并签发 API 密钥（密钥只显示一次）/ add a user and issue an API key."""
    if password is not None and len(password) < 8:
        from app.cli.common import fail

        fail("密码至少 8 位 / passwords have at least 8 characters", as_json)
    with user_errors(as_json):
        accounts = _accounts()
        user = accounts.add_user(name, role, region, clearance, password)
        key = accounts.issue_key(name)
    if as_json:
        emit({"user": user.to_dict(), "api_key": key})
        return
    out.print(f"已创建 / created {user.name}（{user.role.value}，{user.region or '全国'}，"
              f"{user.clearance}）", highlight=False)
    out.print(f"API 密钥（只显示这一次）/ API key (shown once): {key}", highlight=False)


@users_app.command("key")
def key(name: Annotated[str, typer.Argument(help="用户名 / user name")],
        as_json: JsonFlag = False) -> None:
    """为用户签发新的 API 密钥 / issue another API key."""
    with user_errors(as_json):
        issued = _accounts().issue_key(name)
    if as_json:
        emit({"user": name, "api_key": issued})
    else:
        out.print(issued, highlight=False)


@users_app.command("list")
def list_users(as_json: JsonFlag = False) -> None:
    """用户列表 / list users."""
    users = [u.to_dict() for u in _accounts().users()]
    if as_json:
        emit(users)
        return
    for user in users:
        fields = [user["name"], user["role"], user["region"] or "全国", user["clearance"]]
        if user["disabled"]:
            fields.append("已停用")
        out.print("\t".join(fields), highlight=False)
