"""The agent's tools as LangChain structured tools over guihua's own stores: search_clauses,
get_clause, land_use_class, check_indicator and (with a graph) kg_query, read-only.

Arguments are validated by the strict pydantic models of `agents.tools.specs` before a tool
runs; a call that fails validation is answered with the reason, never executed. Each result is
JSON for the model, and the clause ids a result carries are collected: they join the answer's
context, so a citation of a clause the model fetched itself still verifies."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import ValidationError

from agents.llm.base import ToolCall
from agents.tools.indicator_check import check_indicator
from agents.tools.specs import (
    TOOL_ARGUMENTS,
    CheckIndicatorArgs,
    GetClauseArgs,
    KgQueryArgs,
    LandUseClassArgs,
    SearchClausesArgs,
)
from corpus.errors import GuihuaError
from corpus.store import ClauseStore
from kg.domain.schemas import LandUseClass, Rule
from kg.graph import GraphStore
from retrieval.search import Searcher

MAX_GRAPH_ROWS = 50
EXCERPT_CHARS = 300


@dataclass
class ToolResult:
    name: str
    content: dict[str, Any]
    clause_ids: list[str] = field(default_factory=list)
    error: str | None = None

    def to_message(self) -> str:
        return json.dumps(self.content if self.error is None else {"error": self.error},
                          ensure_ascii=False, default=str)


class Toolbox:
    def __init__(self, store: ClauseStore, searcher: Searcher, rules: list[Rule],
                 classes: dict[str, LandUseClass], day: date,
                 graph: GraphStore | None = None,
                 graph_rows: Callable[[list[dict]], list[dict]] | None = None) -> None:
        """`graph_rows`: what a caller may see of a graph query's rows (all, if None)."""
        self.store = store
        self.searcher = searcher
        self.rules = rules
        self.classes = classes
        self.day = day
        self.graph = graph
        self.graph_rows = graph_rows
        if graph is not None and not graph.read_only:
            raise ValueError("kg_query needs a read-only graph connection")

    # -- the tools ------------------------------------------------------------------------
    def search_clauses(self, query: str, k: int = 5, as_of: str | None = None) -> dict:
        day = date.fromisoformat(as_of) if as_of else self.day
        hits = self.searcher.search(query, k=k, as_of=day).hits
        return {"hits": [{"id": h.id, "title": f"《{h.law}》{h.label}",
                          "text": h.text[:EXCERPT_CHARS], "valid_from": h.valid_from,
                          "valid_to": h.valid_to} for h in hits]}

    def get_clause(self, law: str, article: str, as_of: str | None = None) -> dict:
        day = date.fromisoformat(as_of) if as_of else self.day
        name = self.store.resolve_name(law)
        record = self.store.version_as_of(name, day)
        clause = self.store.article(record.doc_id, article)
        return {"id": clause.id, "title": f"《{record.short_name}》{clause.label}",
                "text": clause.text, "valid_from": record.valid_from, "valid_to": record.valid_to}

    def land_use_class(self, query: str) -> dict:
        query = query.strip()
        found = self.classes.get(query) or next(
            (c for c in self.classes.values() if c.name == query), None)
        if found is None:
            return {"found": False, "query": query}
        parents = []
        code = found.parent
        while code:
            parents.append(f"{code} {self.classes[code].name}")
            code = self.classes[code].parent
        return {"code": found.code, "name": found.name, "level": found.level,
                "construction": found.construction, "parents": parents}

    def check_indicator(self, **arguments: Any) -> dict:
        args = CheckIndicatorArgs(**arguments)
        return {"verdicts": [v.to_dict() for v in check_indicator(self.rules, args)]}

    def kg_query(self, cypher: str) -> dict:
        if self.graph is None:
            return {"error": "知识图谱未连接 / no graph"}
        result = self.graph.query(cypher, max_rows=MAX_GRAPH_ROWS)
        rows = self.graph_rows(result.rows) if self.graph_rows else result.rows
        return {"rows": rows, "truncated": result.truncated}

    # -- LangChain view and dispatch ---------------------------------------------------------
    @functools.cached_property
    def _by_name(self) -> dict[str, StructuredTool]:
        """Built once per toolbox, not on every call."""
        return {tool.name: tool for tool in self.tools()}

    def tools(self) -> list[StructuredTool]:
        functions = {"search_clauses": (self.search_clauses, SearchClausesArgs),
                     "get_clause": (self.get_clause, GetClauseArgs),
                     "land_use_class": (self.land_use_class, LandUseClassArgs),
                     "check_indicator": (self.check_indicator, CheckIndicatorArgs)}
        if self.graph is not None:
            functions["kg_query"] = (self.kg_query, KgQueryArgs)
        return [StructuredTool.from_function(func=fn, name=name, args_schema=schema,
                                             description=(schema.__doc__ or "").strip())
                for name, (fn, schema) in functions.items()]

    def run(self, call: ToolCall) -> ToolResult:
        tools = self._by_name
        if call.name not in tools:
            return ToolResult(call.name, {}, error=f"没有这个工具 / unknown tool {call.name!r}")
        try:
            TOOL_ARGUMENTS[call.name].model_validate(call.arguments)
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            return ToolResult(call.name, {}, error=f"参数无效 / invalid arguments: {reason}")
        try:
            content = tools[call.name].invoke(call.arguments)
        except GuihuaError as exc:
            return ToolResult(call.name, {}, error=str(exc))
        return ToolResult(call.name, content, _clause_ids(content))


def _clause_ids(content: dict) -> list[str]:
    if "hits" in content:
        return [h["id"] for h in content["hits"]]
    return [content["id"]] if isinstance(content.get("id"), str) else []
