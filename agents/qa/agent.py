"""The QA agent: question (+ earlier turns, as-of date) → retrieval of the clauses in force →
an answer generated from those clauses only → every citation verified → a grounded answer with
verbatim clause texts, or an abstention that shows the closest clauses found.

The backend is any `ChatBackend` (extractive, a local model, a served one): the agent owns the
guarantees, so a weaker backend gives a shorter answer, never an ungrounded one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from agents.grounded_prompt import (
    ABSTAIN_PREFIX,
    SYSTEM_PROMPT,
    ContextClause,
    build_messages,
)
from agents.llm.base import ChatBackend, GenerationOptions, Message, ToolCall
from agents.llm.tool_calls import render_tool_calls
from agents.qa.grounding import (
    GroundedAnswer,
    RejectedCitation,
    VerifiedCitation,
    ground,
)
from agents.qa.routing import tool_call_for
from agents.qa.tool_answers import contradicts, render
from agents.qa_context import context_from_hits
from agents.tools.specs import tool_specs
from agents.tools.toolbox import Toolbox, ToolResult
from corpus.errors import NotFoundError
from corpus.store import ClauseStore
from retrieval.search import Hit, Searcher

MAX_TOOL_ROUNDS = 3
DEFAULT_K = 4  # clauses shown to the model: what fits a small model's context with room to answer
ANSWER_TOKENS = 384
# A follow-up that leans on the conversation (那、这、该、上述…, or too short to stand alone) is
# searched together with the previous question.
_LEANS_ON_CONTEXT = re.compile(r"^(?:那|这|该|此|上述|前面|刚才|它|其|如果|那么|还有|另外)|[它其]的")
_SHORT_QUESTION = 12

NOT_FOUND = "无法回答：现有条文中没有找到能支持回答的规定。以下是检索到的最接近的条文，供参考。"


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str
    cited_ids: tuple[str, ...] = ()


@dataclass
class QaAnswer:
    question: str
    answer: str
    citations: list[VerifiedCitation]
    abstained: bool
    as_of: date
    closest: list[Hit] = field(default_factory=list)  # shown when abstaining
    rejected: list[RejectedCitation] = field(default_factory=list)
    repaired: dict[str, str] = field(default_factory=dict)
    dropped_claims: list[str] = field(default_factory=list)
    context_ids: list[str] = field(default_factory=list)
    backend: str = ""
    raw_answer: str = ""
    tool_calls: list[dict] = field(default_factory=list)  # call, result, error: the audit trail

    def to_dict(self) -> dict:
        """The `ask` contract: answer, citations [{id, law, article, text}], abstained, as_of;
        plus what verification did, for audit."""
        return {
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "as_of": self.as_of.isoformat(),
            "closest": [{"id": h.id, "law": h.law, "article": h.article, "text": h.text,
                         "score": h.score} for h in self.closest],
            "verification": {"rejected": [vars(r) for r in self.rejected],
                             "repaired": self.repaired, "dropped_claims": self.dropped_claims},
            "context_ids": self.context_ids,
            "tool_calls": self.tool_calls,
            "backend": self.backend,
        }

    def turn(self) -> Turn:
        return Turn(self.question, self.answer, tuple(c.id for c in self.citations))


class QaAgent:
    def __init__(self, store: ClauseStore, searcher: Searcher, backend: ChatBackend,
                 k: int = DEFAULT_K, max_tokens: int = ANSWER_TOKENS,
                 toolbox: Toolbox | None = None) -> None:
        self.store = store
        self.searcher = searcher
        self.backend = backend
        self.k = k
        self.max_tokens = max_tokens
        self.toolbox = toolbox

    def ask(self, question: str, as_of: date | None = None,
            history: list[Turn] | None = None) -> QaAnswer:
        question = question.strip()
        if not question:
            raise ValueError("问题为空 / the question is empty")
        history = history or []
        day = as_of or date.today()
        if self.toolbox is not None and tool_call_for(question) is not None:
            return self._ask_with_tools(question, day, as_of, history)
        hits = self.retrieve(question, day, history)
        context = context_from_hits(hits)
        messages = self.messages(question, context, as_of, history)
        completion = self.backend.complete(messages, GenerationOptions(
            max_tokens=self.max_tokens, temperature=0.0))
        grounded = ground(self.store, completion.text, context, day)
        return self._answer(question, day, grounded, hits, completion.text)

    def retrieve(self, question: str, day: date, history: list[Turn]) -> list[Hit]:
        query = question
        if history and (len(question) < _SHORT_QUESTION or _LEANS_ON_CONTEXT.search(question)):
            query = f"{history[-1].question} {question}"
        hits = self.searcher.search(query, k=self.k, as_of=day).hits
        if history and history[-1].cited_ids:
            # What the conversation is about stays in view for a follow-up.
            carried = [h for h in self._hits_for(history[-1].cited_ids, day)
                       if h.id not in {x.id for x in hits}]
            hits = carried[:1] + hits[:self.k - min(1, len(carried))]
        return hits

    def messages(self, question: str, context: list[ContextClause], as_of: date | None,
                 history: list[Turn]) -> list[Message]:
        system, user = build_messages(question, context, as_of)
        return [system, *_earlier_turns(history), user]

    def _ask_with_tools(self, question: str, day: date, as_of: date | None,
                        history: list[Turn]) -> QaAnswer:
        """The question goes to the tools (as in the tool traces the model was trained on):
        the model picks the call, guihua validates and runs it, the model answers from the
        result. A backend that cannot call tools — or a model that does not — gets the call
        the question's wording asks for; a verdict the model contradicts is replaced."""
        assert self.toolbox is not None
        messages = [Message(role="system", content=SYSTEM_PROMPT), *_earlier_turns(history),
                    Message(role="user", content=question)]
        options = GenerationOptions(max_tokens=self.max_tokens, temperature=0.0,
                                    tools=tool_specs())
        runs: list[tuple[ToolCall, ToolResult]] = []
        text = ""
        if self.backend.calls_tools:
            for _ in range(MAX_TOOL_ROUNDS):
                completion = self.backend.complete(messages, options)
                text = completion.text
                if not completion.tool_calls:
                    break
                messages.append(Message(role="assistant",
                                        content=render_tool_calls(completion.tool_calls)))
                for call in completion.tool_calls:
                    result = self.toolbox.run(call) if call.valid else ToolResult(
                        "", {}, error=f"工具调用无法解析 / unparsable tool call: {call.raw[:80]}")
                    runs.append((call, result))
                    messages.append(Message(role="tool", content=result.to_message()))
        if all(result.error for _, result in runs):  # no call, or none that ran
            call = tool_call_for(question, as_of.isoformat() if as_of else None)
            assert call is not None  # routing said so
            runs.append((call, self.toolbox.run(call)))
            text = render(runs[-1][1], call.arguments)
        elif any(contradicts(text, result) for _, result in runs) or not text.strip():
            call, result = next(((c, r) for c, r in runs if not r.error), runs[-1])
            text = render(result, call.arguments)
        context = [self._context_clause(i) for _, r in runs for i in r.clause_ids]
        grounded = ground(self.store, text, context, day, require_citations=False)
        answer = self._answer(question, day, grounded, [], text)
        answer.context_ids = [c.clause_id for c in context]
        answer.tool_calls = [{"name": c.name, "arguments": c.arguments, "result": r.content,
                              "error": r.error} for c, r in runs]
        return answer

    def _context_clause(self, clause_id: str) -> ContextClause:
        clause = self.store.clause(clause_id)
        record = self.store.document(clause.doc_id)
        return ContextClause(clause.id, f"《{record.short_name}》{clause.label}",
                             clause.text,
                             date.fromisoformat(record.valid_from) if record.valid_from else None,
                             date.fromisoformat(record.valid_to) if record.valid_to else None)

    def _hits_for(self, clause_ids: tuple[str, ...], day: date) -> list[Hit]:
        hits = []
        for clause_id in clause_ids:
            try:  # ids from a client's history: unknown, or not the caller's to see
                clause = self.store.clause(clause_id)
                record = self.store.document(clause.doc_id)
            except NotFoundError:
                continue
            if not record.in_force_on(day):
                continue
            hits.append(Hit(clause.id, record.short_name, clause.number, clause.text, 1.0,
                            record.level, record.status_on(day), record.valid_from,
                            record.valid_to, record.source, record.title, clause.label,
                            ["conversation"]))
        return hits

    def _answer(self, question: str, day: date, grounded: GroundedAnswer, hits: list[Hit],
                raw: str) -> QaAnswer:
        answer = QaAnswer(question, grounded.text, grounded.citations, grounded.abstained, day,
                          rejected=grounded.rejected, repaired=grounded.repaired,
                          dropped_claims=grounded.dropped_claims,
                          context_ids=[h.id for h in hits], backend=self.backend.name,
                          raw_answer=raw)
        if grounded.abstained:
            reason = grounded.text if grounded.text.startswith(ABSTAIN_PREFIX) else NOT_FOUND
            answer.answer, answer.citations, answer.closest = reason, [], hits
        return answer


def _earlier_turns(history: list[Turn]) -> list[Message]:
    """The conversation so far, as messages; a small model's context is short, so only the last
    few turns."""
    return [message for turn in history[-3:]
            for message in (Message(role="user", content=turn.question),
                            Message(role="assistant", content=turn.answer))]
