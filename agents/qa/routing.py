"""Which questions go to the tools, and — for the extractive backend, which has no model to
decide — the tool call a question asks for, read from its wording.

A question goes to the tools when it gives a planned value of an indicator to check (容积率
2.5、绿地率30%), asks what a land-use code or class is, or asks for a clause's text by number
(…第六十二条原文). Everything else is answered from retrieved clauses."""

from __future__ import annotations

import re

from agents.llm.base import ToolCall
from corpus.references import find_references

_INDICATORS = (("far", r"容积率"), ("building_density", r"建筑密度"),
               ("green_space_ratio", r"绿地率"), ("building_height", r"(?:住宅)?建筑高度|限高"))
_VALUE_AFTER = r"[^0-9，。？?；;]{0,8}?(\d+(?:\.\d+)?)\s*(%|％|米|m)?"
_CODE = re.compile(r"(?<!\d)(\d{2}(?:\d{2}){0,2})(?!\d)")
_CODE_QUESTION = re.compile(r"(?:用地)?代码|哪一类用地|什么用地|属于哪")
_QUOTED_CLASS = re.compile(r"[“\"]([^”\"]{2,20}用地)[”\"]")
_CLIMATE = re.compile(r"(VII|VI|IV|V|III|II|I|[ⅠⅡⅢⅣⅤⅥⅦ])\s*区")
_STOREYS = re.compile(r"(\d{1,2})\s*层")
_ROMAN = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V", "Ⅵ": "VI", "Ⅶ": "VII"}
_TEXT_REQUEST = re.compile(r"原文|全文|条文内容|调出")


def indicator_call(question: str) -> ToolCall | None:
    for indicator, words in _INDICATORS:
        match = re.search(f"(?:{words}){_VALUE_AFTER}", question)
        if not match:
            continue
        arguments: dict = {"indicator": indicator, "value": float(match.group(1))}
        code = _CODE.search(question.replace(match.group(1), " "))
        if code and len(code.group(1)) in (4, 6):
            arguments["land_use"] = code.group(1)
        elif re.search(r"居住|住宅|小区", question):
            arguments["land_use"] = "0701"
        else:
            return None  # the rule packs are by land use: without one there is nothing to check
        climate = _CLIMATE.search(question)
        if climate:
            arguments["climate_zone"] = _ROMAN.get(climate.group(1), climate.group(1))
        storeys = _STOREYS.search(question)
        if storeys:
            arguments["average_storeys"] = int(storeys.group(1))
        return ToolCall("check_indicator", arguments)
    return None


def land_use_call(question: str) -> ToolCall | None:
    if not _CODE_QUESTION.search(question):
        return None
    quoted = _QUOTED_CLASS.search(question)
    if quoted:
        return ToolCall("land_use_class", {"query": quoted.group(1)})
    code = _CODE.search(question)
    return ToolCall("land_use_class", {"query": code.group(1)}) if code else None


def clause_call(question: str, as_of: str | None = None) -> ToolCall | None:
    if not _TEXT_REQUEST.search(question):
        return None
    ref = next((r for r in find_references(question) if r.law and r.article), None)
    if ref is None:
        return None
    arguments = {"law": ref.law, "article": ref.article}
    if as_of:
        arguments["as_of"] = as_of
    return ToolCall("get_clause", arguments)


def tool_call_for(question: str, as_of: str | None = None) -> ToolCall | None:
    """The tool call a question asks for, if its wording says so plainly."""
    return indicator_call(question) or land_use_call(question) or clause_call(question, as_of)


def wants_tool(question: str) -> bool:
    return tool_call_for(question) is not None
