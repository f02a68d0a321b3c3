"""Answers from tool results, written by rule. Used as the whole answer when no model is
configured, and to hold a model to the verdict: a model's answer that contradicts the rule's
verdict (符合 where the check failed) is replaced by this one."""

from __future__ import annotations

from agents.tools.toolbox import ToolResult

_INDICATOR_NAMES = {"far": "容积率", "building_density": "建筑密度",
                    "green_space_ratio": "绿地率", "building_height": "住宅建筑高度"}


def verdict_of(result: ToolResult) -> bool | None:
    """True/False for a check that ran with at least one applicable rule, else None."""
    if result.name != "check_indicator" or result.error:
        return None
    verdicts = result.content.get("verdicts") or []
    return all(v["passed"] for v in verdicts) if verdicts else None


def render(result: ToolResult, arguments: dict) -> str:
    if result.error:
        return f"无法回答：工具 {result.name} 未能执行（{result.error}）。"
    content = result.content
    if result.name == "check_indicator":
        verdicts = content.get("verdicts") or []
        name = _INDICATOR_NAMES.get(arguments.get("indicator", ""), arguments.get("indicator"))
        value = arguments.get("value")
        if not verdicts:
            return (f"无法回答：规则包中没有适用于用地 {arguments.get('land_use')} 的{name}规则"
                    "（可补充建筑气候区划、住宅平均层数后再查）。")
        failed = [v for v in verdicts if not v["passed"]]
        if failed:
            v = failed[0]
            return f"不符合。{name}{value:g}不满足{v['source']}的控制要求（应{v['limit']}），依据规则 {v['rule_id']}。"
        v = verdicts[0]
        more = f"等 {len(verdicts)} 条规则" if len(verdicts) > 1 else ""
        return f"符合。{name}{value:g}满足{v['source']}的控制要求（{v['limit']}），依据规则 {v['rule_id']}{more}。"
    if result.name == "land_use_class":
        if not content.get("found", True):
            return f"无法回答：用地用海分类中没有“{content.get('query')}”。"
        chain = "，上级类别为" + "、".join(content["parents"]) if content.get("parents") else "，为一级类"
        return (f"{content['code']} 为“{content['name']}”{chain}"
                "（《国土空间调查、规划、用途管制用地用海分类指南》）。")
    if result.name == "get_clause":
        return f"{content['title']}原文如下：{content['text']} [{content['id']}]"
    if result.name == "search_clauses":
        hits = content.get("hits") or []
        if not hits:
            return "无法回答：没有检索到相关条文。"
        return "\n".join(f"{h['title']}：{h['text']} [{h['id']}]" for h in hits[:2])
    return f"查询结果：{result.to_message()}"


def contradicts(answer: str, result: ToolResult) -> bool:
    """Whether the model's answer states the opposite of the rule's verdict."""
    verdict = verdict_of(result)
    if verdict is None:
        return False
    says_fails = answer.lstrip().startswith(("不符合", "不合规", "不满足", "超标"))
    says_passes = answer.lstrip().startswith(("符合", "合规", "满足"))
    return (verdict and says_fails) or (not verdict and not says_fails) or (
        not verdict and says_passes)
