"""Scoring one generated answer against its gold: citations (precision, recall, verification),
key points, abstention and tool calls. Pure functions over plain data, so any results file can
be rescored."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from agents.grounded_prompt import parse_answer
from agents.llm.base import ToolCall
from agents.tools.specs import validate_call
from corpus.errors import NotFoundError
from corpus.store import ClauseStore

_NOISE = re.compile(r"[\s，。、；：:,.;！？!?“”\"'（）()《》【】\[\]…—-]")
KEY_POINT_COVERAGE = 0.8  # share of a key point's character bigrams the answer must contain


@dataclass
class ItemScore:
    answerable: bool
    abstained: bool
    cited: list[str]
    gold: list[list[str]]  # per gold article, the ids of its versions (citing any one counts)
    cited_gold: int  # cited ids that belong to a gold article
    articles_cited: int = 0  # gold articles with at least one cited id
    failed_verification: list[str] = field(default_factory=list)  # fabricated or not in force
    outside_context: list[str] = field(default_factory=list)
    key_points: int = 0
    key_points_hit: int = 0
    tool_expected: bool = False
    tool_valid: bool | None = None  # a parsable call with valid arguments
    tool_name_right: bool | None = None
    tool_problem: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _normal(text: str) -> str:
    return _NOISE.sub("", text)


def key_point_hit(answer: str, point: str) -> bool:
    """A key point counts when most of its character bigrams occur in the answer: tolerant of
    punctuation and small rewordings, strict about content."""
    a, p = _normal(answer), _normal(point)
    if not p:
        return True
    if p in a:
        return True
    grams = {p[i:i + 2] for i in range(len(p) - 1)} or {p}
    return sum(1 for g in grams if g in a) / len(grams) >= KEY_POINT_COVERAGE


def verification_failures(store: ClauseStore, cited: list[str], day: date) -> list[str]:
    """Cited ids that do not exist or whose document was not in force on `day`."""
    failed = []
    for clause_id in cited:
        try:
            clause = store.clause(clause_id)
        except NotFoundError:
            failed.append(clause_id)
            continue
        if not store.document(clause.doc_id).in_force_on(day):
            failed.append(clause_id)
    return failed


def score_answer(store: ClauseStore, text: str, gold: list[list[str]], key_points: list[str],
                 context_ids: set[str], day: date, answerable: bool | None = None) -> ItemScore:
    """`gold`: one list of clause ids per gold article (its versions; citing any one counts).
    An item is answerable when its gold names articles, even ones the corpus lacks; empty gold
    means the right behaviour is to abstain."""
    parsed = parse_answer(text)
    gold_ids = {clause_id for group in gold for clause_id in group}
    cited_gold = sum(1 for c in parsed.cited_ids if c in gold_ids)
    return ItemScore(
        answerable=bool(gold) if answerable is None else answerable, abstained=parsed.abstained,
        cited=parsed.cited_ids, gold=gold, cited_gold=cited_gold,
        articles_cited=sum(1 for group in gold if set(group) & set(parsed.cited_ids)),
        failed_verification=verification_failures(store, parsed.cited_ids, day),
        outside_context=[c for c in parsed.cited_ids if c not in context_ids],
        key_points=len(key_points),
        key_points_hit=sum(1 for p in key_points if key_point_hit(text, p)))


def score_tool_call(calls: list[ToolCall], expected_name: str) -> ItemScore:
    """The first call must parse and its arguments validate against the tool's schema."""
    if not calls:
        problem: str | None = "no tool call"
    elif not calls[0].valid:
        problem = f"unparsable call: {calls[0].raw[:80]}"
    else:
        problem = validate_call(calls[0])
    return ItemScore(answerable=True, abstained=False, cited=[], gold=[], cited_gold=0,
                     tool_expected=True, tool_valid=problem is None,
                     tool_name_right=bool(calls) and calls[0].name == expected_name,
                     tool_problem=problem)


def summarise(scores: list[ItemScore]) -> dict[str, float | int | None]:
    """Micro-averaged rates over a system's items; None where there is nothing to count."""
    answers = [s for s in scores if not s.tool_expected]
    answerable = [s for s in answers if s.answerable]
    unanswerable = [s for s in answers if not s.answerable]
    tools = [s for s in scores if s.tool_expected]
    cited = sum(len(s.cited) for s in answerable)
    all_cited = sum(len(s.cited) for s in answers)
    points = sum(s.key_points for s in answerable)

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    return {
        "answer_items": len(answers),
        "citation_precision": ratio(sum(s.cited_gold for s in answerable), cited),
        # gold articles cited / gold articles (an item may name several)
        "citation_recall": ratio(sum(s.articles_cited for s in answerable),
                                 sum(len(s.gold) for s in answerable)),
        "verification_failure_rate": ratio(sum(len(s.failed_verification) for s in answers),
                                           all_cited),
        "outside_context_rate": ratio(sum(len(s.outside_context) for s in answers), all_cited),
        "key_point_accuracy": ratio(sum(s.key_points_hit for s in answerable), points),
        "abstention_accuracy": ratio(sum(1 for s in unanswerable if s.abstained),
                                     len(unanswerable)),
        "false_abstention_rate": ratio(sum(1 for s in answerable if s.abstained), len(answerable)),
        "tool_items": len(tools),
        "tool_call_validity": ratio(sum(1 for s in tools if s.tool_valid), len(tools)),
        "tool_name_accuracy": ratio(sum(1 for s in tools if s.tool_name_right), len(tools)),
    }
