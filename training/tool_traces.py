"""Tool-use traces: a user question that needs a deterministic tool, the call the model should
make (valid JSON for `agents.tools.specs`), the tool's real result, and the answer built from
that result. Values are drawn from the rule packs and code tables, so every call is checkable."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from agents.llm.base import Message, ToolCall
from agents.llm.tool_calls import render_tool_calls
from agents.tools.indicator_check import check_indicator
from agents.tools.specs import CheckIndicatorArgs
from kg.domain.schemas import LandUseClass, Rule

INDICATOR_NAMES = {"far": ("容积率", ""), "building_density": ("建筑密度", "%"),
                   "green_space_ratio": ("绿地率", "%"), "building_height": ("住宅建筑高度", "米")}
PLACES = ("我们区", "某县城", "新城片区", "老城更新片区", "开发区", "一个镇区", "市中心")


@dataclass(frozen=True)
class ToolTrace:
    question: str
    call: ToolCall
    result: object  # what the tool returned (JSON-serialisable)
    answer: str

    def messages(self, system: str) -> list[Message]:
        return [Message(role="system", content=system),
                Message(role="user", content=self.question),
                Message(role="assistant", content=render_tool_calls([self.call])),
                Message(role="tool", content=json.dumps(self.result, ensure_ascii=False)),
                Message(role="assistant", content=self.answer)]


def _storeys(rule: Rule, rng: random.Random) -> int:
    span = rule.conditions.average_storeys
    return rng.randint(span.min, min(span.max, 33)) if span else rng.randint(2, 18)


def _value(rule: Rule, rng: random.Random) -> float:
    """A planned value near the limit, on either side, so both verdicts occur."""
    if rule.operator == "between":
        low, high = rule.min, rule.max
    else:
        low = high = rule.threshold
    step = max(0.1, (high or 1) * 0.15)
    value = rng.choice((low - step, (low + high) / 2, high + step))  # type: ignore[operator]
    return round(value, 1) if rule.unit == "1" else round(value)


def indicator_trace(rules: list[Rule], rule: Rule, rng: random.Random) -> ToolTrace | None:
    zones = rule.conditions.climate_zone
    if not zones or rule.indicator not in INDICATOR_NAMES:
        return None
    name, unit = INDICATOR_NAMES[rule.indicator]
    args = CheckIndicatorArgs(indicator=rule.indicator, value=_value(rule, rng), land_use="0701",
                              climate_zone=rng.choice(zones), average_storeys=_storeys(rule, rng))
    question = (f"{rng.choice(PLACES)}有一个居住街坊，建筑气候区划属于{args.climate_zone}区，住宅平均"
                f"{args.average_storeys}层，规划{name}{args.value:g}{unit}，这符合国家标准吗？")
    verdicts = check_indicator(rules, args)
    if not verdicts:
        return None
    result = {"verdicts": [v.to_dict() for v in verdicts]}
    first = verdicts[0]
    if all(v.passed for v in verdicts):
        answer = (f"符合。{name}{args.value:g}{unit}满足{first.source}的控制要求（{first.limit}），"
                  f"依据规则 {first.rule_id}。")
    else:
        failed = next(v for v in verdicts if not v.passed)
        answer = (f"不符合。{name}{args.value:g}{unit}不满足{failed.source}的控制要求"
                  f"（应{failed.limit}），依据规则 {failed.rule_id}。")
    return ToolTrace(question, ToolCall("check_indicator", args.model_dump(exclude_none=True)),
                     result, answer)


def land_use_trace(item: LandUseClass, by_code: dict[str, LandUseClass],
                   rng: random.Random) -> ToolTrace:
    by_name = rng.random() < 0.4
    query = item.name if by_name else item.code
    question = (f"“{item.name}”在用地用海分类里的代码是多少？" if by_name
                else rng.choice((f"用地代码{item.code}是什么用地？", f"{item.code}属于哪一类用地？")))
    parents = []
    code = item.parent
    while code:
        parents.append(f"{code} {by_code[code].name}")
        code = by_code[code].parent
    result = {"code": item.code, "name": item.name, "level": item.level, "parents": parents}
    chain = f"，上级类别为{'、'.join(parents)}" if parents else "，为一级类"
    answer = f"{item.code} 为“{item.name}”{chain}（《国土空间调查、规划、用途管制用地用海分类指南》）。"
    return ToolTrace(question, ToolCall("land_use_class", {"query": query}), result, answer)


def clause_trace(law: str, number: str, label: str, clause_id: str, text: str,
                 as_of: str | None, rng: random.Random) -> ToolTrace:
    when = f"{as_of[:4]}年{int(as_of[5:7])}月时" if as_of else ""
    question = rng.choice((f"帮我调出{when}《{law}》{label}的原文。",
                           f"{when}{law}{label}原文是什么？请给出条文。"))
    arguments = {"law": law, "article": number}
    if as_of:
        arguments["as_of"] = as_of
    result = {"id": clause_id, "text": text}
    answer = f"《{law}》{label}原文如下：{text} [{clause_id}]"
    return ToolTrace(question, ToolCall("get_clause", arguments), result, answer)
