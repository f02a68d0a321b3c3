"""The grounded-answer prompt: one format shared by the QA agent, the extractive backend,
training data and evaluation, so a model is trained on exactly what it is asked at run time.

The user message is

    【参考条文】
    [土地管理法@2019-08-26#62] 《土地管理法》第六十二条（有效期：2020-01-01 至 今）
    农村村民一户只能拥有一处宅基地，……
    <blank line>
    [城乡规划法@2019-04-23#41] 《城乡规划法》第四十一条
    ……

    查询日期：2024-05-01
    【问题】农村村民可以有几处宅基地？

Each clause is a header line `[<clause id>] <title>` (with its validity period when known)
followed by its verbatim text. The answer cites clause ids in square brackets exactly as given,
and starts with `无法回答：` when the clauses do not support an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from agents.llm.base import Message

CONTEXT_HEADER = "【参考条文】"
QUESTION_HEADER = "【问题】"
AS_OF_LABEL = "查询日期："
NO_CLAUSES = "（无）"
ABSTAIN_PREFIX = "无法回答"

SYSTEM_PROMPT = (
    "你是国土空间规划领域的法规助手。请只依据【参考条文】中给出的条文回答【问题】，不要使用条文以外的知识。\n"
    "1. 每一句结论后都用方括号注明所依据条文的编号，编号必须与【参考条文】中给出的完全一致，"
    "例如 [土地管理法@2019-08-26#62]；不得编造或改写编号。\n"
    "2. 引用条文原文时逐字照录；给出查询日期时，只依据该日有效的条文。\n"
    "3. 如果所给条文不足以回答问题，以“无法回答：”开头作答，并说明缺少哪方面的规定。\n"
    "4. 需要计算或核对数值（容积率、面积、比例、限值等）时，调用提供的工具，不要自行心算。\n"
    "5. 回答简明准确，使用中文。"
)

# A citation: a bracketed clause id, which always holds '@' (version) and '#' (clause number).
_ID = r"[^\[\]\s@#,，、;；]+@[^\[\]\s@#,，、;；]+#[^\[\]\s,，、;；]+"
CITATION_PATTERN = re.compile(r"\[(" + _ID + r")\]")
_ID_ONLY = re.compile(_ID)
_BRACKETED = re.compile(r"\[([^\[\]\n]+)\]")
_LIST_SEPARATOR = re.compile(r"[\s,，、;；]+")

_VALIDITY = re.compile(r"（有效期：(\d{4}-\d{2}-\d{2}|不详) 至 (\d{4}-\d{2}-\d{2}|今)）$")
_HEADER = re.compile(r"^\[(" + _ID + r")\][ \t]*(.*)$")
_AS_OF = re.compile(r"^" + re.escape(AS_OF_LABEL) + r"\s*(\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class ContextClause:
    """One clause shown to the model: its citable id, a human title, and verbatim text."""

    clause_id: str  # 土地管理法@2019-08-26#62
    title: str  # 《土地管理法》第六十二条
    text: str
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class ParsedAnswer:
    text: str
    cited_ids: list[str]  # in order of first citation, without duplicates
    abstained: bool


def format_clause(clause: ContextClause) -> str:
    header = f"[{clause.clause_id}] {clause.title}".rstrip()
    if clause.valid_from or clause.valid_to:
        start = clause.valid_from.isoformat() if clause.valid_from else "不详"
        end = clause.valid_to.isoformat() if clause.valid_to else "今"
        header += f"（有效期：{start} 至 {end}）"
    return f"{header}\n{clause.text.strip()}"


def build_user_message(question: str, clauses: list[ContextClause],
                       as_of: date | None = None) -> str:
    body = "\n\n".join(format_clause(c) for c in clauses) if clauses else NO_CLAUSES
    parts = [f"{CONTEXT_HEADER}\n{body}", ""]
    if as_of is not None:
        parts.append(f"{AS_OF_LABEL}{as_of.isoformat()}")
    parts.append(f"{QUESTION_HEADER}{question.strip()}")
    return "\n".join(parts)


def build_messages(question: str, clauses: list[ContextClause],
                   as_of: date | None = None) -> list[Message]:
    """The system prompt and one user message holding the clauses and the question."""
    return [Message(role="system", content=SYSTEM_PROMPT),
            Message(role="user", content=build_user_message(question, clauses, as_of))]


def parse_context(user_text: str) -> tuple[str, list[ContextClause]]:
    """Inverse of `build_user_message`: (question, clauses). Text without the markers is taken
    as a bare question with no clauses."""
    question_at = user_text.rfind(QUESTION_HEADER)
    if question_at < 0:
        return _AS_OF.sub("", user_text).strip(), []
    question = _AS_OF.sub("", user_text[question_at + len(QUESTION_HEADER):]).strip()
    context = user_text[:question_at]
    context_at = context.find(CONTEXT_HEADER)
    if context_at >= 0:
        context = context[context_at + len(CONTEXT_HEADER):]
    context = _AS_OF.sub("", context)
    return question, _parse_clauses(context)


def parse_as_of(user_text: str) -> date | None:
    """The 查询日期 of a user message built by `build_user_message`, if any."""
    match = _AS_OF.search(user_text)
    return date.fromisoformat(match.group(1)) if match else None


def _parse_clauses(context: str) -> list[ContextClause]:
    clauses: list[ContextClause] = []
    header: re.Match[str] | None = None
    lines: list[str] = []
    for line in context.split("\n"):
        match = _HEADER.match(line)
        if match:
            if header:
                clauses.append(_clause(header, lines))
            header, lines = match, []
        elif header:
            lines.append(line)
    if header:
        clauses.append(_clause(header, lines))
    return clauses


def _clause(header: re.Match[str], lines: list[str]) -> ContextClause:
    title = header.group(2).strip()
    valid_from = valid_to = None
    validity = _VALIDITY.search(title)
    if validity:
        title = title[:validity.start()].rstrip()
        valid_from = None if validity.group(1) == "不详" else date.fromisoformat(validity.group(1))
        valid_to = None if validity.group(2) == "今" else date.fromisoformat(validity.group(2))
    return ContextClause(clause_id=header.group(1), title=title, text="\n".join(lines).strip(),
                         valid_from=valid_from, valid_to=valid_to)


def parse_answer(text: str) -> ParsedAnswer:
    """The clause ids an answer cites, and whether it abstained. Besides `[id]` it reads the
    lists models sometimes write, `[id1，id2]`."""
    found: list[str] = []
    for group in _BRACKETED.findall(text):
        found.extend(part for part in _LIST_SEPARATOR.split(group) if _ID_ONLY.fullmatch(part))
    cited = list(dict.fromkeys(found))
    return ParsedAnswer(text=text, cited_ids=cited,
                        abstained=text.lstrip().startswith(ABSTAIN_PREFIX))
