"""The report's narrative: drafted by the model strictly from the computed figures, or written
from them by template when no model is configured. Every number in the text must be one the
computation produced (or a year of the assessment): a sentence with any other number is dropped,
and the template stands in when the model's draft loses too much."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.assessment.assessment import AssessmentResult
from agents.assessment.basis import Basis
from agents.grounded_prompt import CITATION_PATTERN
from agents.llm.base import ChatBackend, GenerationOptions, Message

_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
_SENTENCE = re.compile(r"[^。！？\n]+[。！？]?")
LEVEL_WORDS = {"red": "红色预警", "yellow": "黄色预警", "green": "正常", "none": "未设目标"}
MAX_DROPPED_SHARE = 0.3


@dataclass
class Narrative:
    paragraphs: list[str]
    drafted_by: str  # the backend's name, or "template"
    dropped: list[str] = field(default_factory=list)  # sentences with numbers not computed
    basis: list[Basis] = field(default_factory=list)  # the clauses it cites


def _fmt(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def allowed_numbers(result: AssessmentResult) -> set[float]:
    """Every figure the computation produced, at the precisions a text may round it to."""
    raw: list[float] = [result.year] + ([result.base_year] if result.base_year else [])
    for value in result.values:
        raw += [v for v in (value.value,) if v is not None] + list(value.inputs.values())
    raw += [v.value for v in result.base_values.values() if v.value is not None]
    for warning in result.warnings:
        raw += [v for v in (warning.target, warning.target_year, warning.breach_year,
                            warning.rate) if v]
        if warning.value is not None and warning.target is not None:
            raw.append(abs(warning.value - warning.target))
    for spatial in result.spatial:
        raw += [spatial.area_m2, spatial.area_mu]
    raw += [len(result.spatial), sum(s.area_m2 for s in result.spatial),
            sum(s.area_mu for s in result.spatial)]
    raw += [float(n) for n in result.summary.values()]
    return {round(v, digits) for v in raw for digits in (0, 1, 2, 3, 4)}


def unsupported(sentence: str, allowed: set[float], basis: Sequence[Basis] = ()) -> list[str]:
    """Numbers in `sentence` the computation did not produce (citations and the cited clauses'
    titles, 第4.0.2条 say, are not figures)."""
    for item in basis:
        sentence = sentence.replace(item.title, "")
    found = []
    for text in _NUMBER.findall(CITATION_PATTERN.sub("", sentence)):
        number = float(text.replace(",", ""))
        digits = len(text.split(".")[1]) if "." in text else 0
        if round(number, digits) not in allowed:
            found.append(text)
    return found


def _basis_paragraph(basis: Sequence[Basis]) -> list[str]:
    if not basis:
        return []
    return ["依据：" + "；".join(f"{b.about}——{b.title} [{b.clause_id}]" for b in basis) + "。"]


def _cites_only(sentence: str, basis: Sequence[Basis]) -> bool:
    known = {b.clause_id for b in basis}
    return all(cited in known for cited in CITATION_PATTERN.findall(sentence))


def template_narrative(result: AssessmentResult, basis: Sequence[Basis] = ()) -> Narrative:
    s = result.summary
    period = f"{result.base_year}—{result.year} 年" if result.base_year else f"{result.year} 年"
    overview = (f"{result.region}{period}国土空间规划实施体检评估共计算指标 {len(result.values)} 项，"
                f"其中红色预警 {s['red']} 项、黄色预警 {s['yellow']} 项、正常 {s['green']} 项、"
                f"未设目标或无法计算 {s['none']} 项。")
    details = []
    for warning in result.warnings:
        if warning.level in ("red", "yellow"):
            text = f"{warning.name}{LEVEL_WORDS[warning.level]}：{warning.reason}。"
            if warning.trend:
                text += f"{warning.trend}。"
            details.append(text)
    spatial = "两期调查之间未发现永久基本农田和生态保护红线内新增建设用地。" if result.base_year \
        else "未提供基期调查，未做新增建设用地的空间比对。"
    if result.spatial:
        total = sum(w.area_m2 for w in result.spatial)
        spatial = (f"两期调查之间，永久基本农田和生态保护红线内新增建设用地 {len(result.spatial)} 处，"
                   f"合计 {_fmt(total)} 平方米（{_fmt(total / (10_000 / 15))} 亩），需核实是否依法审批。")
    return Narrative([overview, *details, spatial, *_basis_paragraph(list(basis))], "template",
                     basis=list(basis))


def _facts(result: AssessmentResult) -> str:
    lines = [f"地区：{result.region}；评估年份：{result.year}；基期：{result.base_year or '无'}"]
    for value, warning in zip(result.values, result.warnings, strict=True):
        if value.value is None:
            continue
        lines.append(f"- {value.name}：{_fmt(value.value)}{value.unit}（{value.kind}），"
                     f"{LEVEL_WORDS[warning.level]}：{warning.reason}"
                     + (f"；{warning.trend}" if warning.trend else ""))
    for spatial in result.spatial:
        lines.append(f"- {spatial.line}内新增建设用地（{spatial.code}）{_fmt(spatial.area_m2)} 平方米")
    return "\n".join(lines)


def draft_narrative(result: AssessmentResult, backend: ChatBackend | None,
                    basis: Sequence[Basis] = ()) -> Narrative:
    """The model's draft, number-checked and citation-checked (only the clauses it was given);
    the template without a model or when the checks drop too much."""
    basis = list(basis)
    template = template_narrative(result, basis)
    if backend is None or backend.name == "extractive":
        return template
    messages = [Message(role="system", content="你是国土空间规划体检评估报告的撰写助手。只能使用给出的"
                        "计算结果中的数字，不得推算或编造任何数字，不写表中没有的指标。"),
                Message(role="user", content=f"计算结果：\n{_facts(result)}\n\n可引用的条文：\n"
                        + "\n".join(f"[{b.clause_id}] {b.title}：{b.text[:200]}" for b in basis)
                        + "\n\n请用三到五句话写出评估结论：总体情况、主要预警及原因、需要关注的空间"
                        "问题。" + (f"引用条文时在句末写出方括号中的条文 id，例如 [{basis[0].clause_id}]。"
                                   if basis else ""))]
    draft = backend.complete(messages, GenerationOptions(max_tokens=400, temperature=0.0)).text
    allowed = allowed_numbers(result)
    sentences = [s.strip() for s in _SENTENCE.findall(draft) if s.strip()]
    kept = [s for s in sentences
            if not unsupported(s, allowed, basis) and _cites_only(s, basis)]
    dropped = [s for s in sentences if s not in kept]
    if not kept or len(dropped) > MAX_DROPPED_SHARE * len(sentences):
        template.dropped = dropped
        return template
    return Narrative(["".join(kept), *_basis_paragraph(basis)], backend.name, dropped, basis)
