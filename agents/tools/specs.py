"""The tools' arguments as pydantic models: one source for the JSON schema shown to the model,
the validation of a call it makes, and the traces `training` writes. A call is valid when its
name is known and its arguments validate here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.llm.base import ToolCall, ToolSpec

Indicator = Literal["far", "building_density", "green_space_ratio", "building_height"]
ClimateZone = Literal["I", "II", "III", "IV", "V", "VI", "VII"]


class _Arguments(BaseModel):
    # Strict: a model that writes "2.5" for a number or 62 for an article string made an
    # invalid call, whichever way round.
    model_config = ConfigDict(extra="forbid", strict=True)


class CheckIndicatorArgs(_Arguments):
    """检查一个地块或居住街坊的控制指标是否符合规则包（如 GB 50180-2018 表4.0.2）。"""

    indicator: Indicator = Field(description="far 容积率 | building_density 建筑密度(%) | "
                                             "green_space_ratio 绿地率(%) | building_height 住宅建筑高度(m)")
    value: float = Field(description="规划值，百分比指标写百分数（如 30 表示 30%）")
    land_use: str = Field(pattern=r"^\d{2}(\d{2}(\d{2})?)?$",
                          description="用地用海分类代码，如 0701 城镇住宅用地")
    climate_zone: ClimateZone | None = Field(None, description="建筑气候区划")
    average_storeys: int | None = Field(None, ge=1, le=100, description="住宅建筑平均层数")


class LandUseClassArgs(_Arguments):
    """查询用地用海分类（代码或名称）及其上级类别。"""

    query: str = Field(min_length=1, description="代码如 0701，或名称如 城镇住宅用地")


class GetClauseArgs(_Arguments):
    """取某部法律法规或标准的一条原文（按日期取当时有效的版本）。"""

    law: str = Field(min_length=1, description="法规简称，如 土地管理法")
    article: str = Field(min_length=1, description="条号，如 62 或 4.0.2")
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="日期 YYYY-MM-DD")


class SearchClausesArgs(_Arguments):
    """按问题或关键词检索法规、标准条文（只返回查询日期有效的条文）。"""

    query: str = Field(min_length=1, description="问题或关键词")
    k: int = Field(5, ge=1, le=10, description="返回条数")
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="日期 YYYY-MM-DD")


class KgQueryArgs(_Arguments):
    """在知识图谱上执行只读 Cypher 查询（如条文之间的引用关系、用地分类层级）。"""

    cypher: str = Field(min_length=1, description="只读 Cypher 语句，如 MATCH … RETURN …")


TOOL_ARGUMENTS: dict[str, type[_Arguments]] = {
    "check_indicator": CheckIndicatorArgs,
    "land_use_class": LandUseClassArgs,
    "get_clause": GetClauseArgs,
    "search_clauses": SearchClausesArgs,
    "kg_query": KgQueryArgs,
}
# The tools the fine-tuned model was trained to call; the others are for capable served models
# and API clients.
TRAINED_TOOLS = ("check_indicator", "land_use_class", "get_clause")


def _without_titles(schema: object) -> object:
    """pydantic's schema titles repeat the property names; dropping them saves prompt tokens."""
    if isinstance(schema, dict):
        return {k: _without_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_without_titles(v) for v in schema]
    return schema


def tool_specs(names: tuple[str, ...] = TRAINED_TOOLS) -> tuple[ToolSpec, ...]:
    specs = []
    for name in names:
        model = TOOL_ARGUMENTS[name]
        schema = _without_titles(model.model_json_schema())
        schema.pop("description", None)  # type: ignore[union-attr]  # already the tool's
        specs.append(ToolSpec(name, (model.__doc__ or "").strip(), schema))  # type: ignore[arg-type]
    return tuple(specs)


def validate_call(call: ToolCall) -> str | None:
    """None when the call is valid, else why not (for metrics and for telling the model)."""
    model = TOOL_ARGUMENTS.get(call.name)
    if model is None:
        return f"unknown tool {call.name!r}"
    try:
        model.model_validate(call.arguments)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return None
