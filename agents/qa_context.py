"""Search hits → the clauses shown to the model. Long clauses are cut to an excerpt (the model's
context is small); the citation still resolves to the whole verbatim clause."""

from __future__ import annotations

from datetime import date

from agents.grounded_prompt import ContextClause
from retrieval.search import Hit

MAX_CLAUSE_CHARS = 600


def excerpt(text: str, limit: int = MAX_CLAUSE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "……"


def context_from_hits(hits: list[Hit], limit: int = MAX_CLAUSE_CHARS) -> list[ContextClause]:
    return [ContextClause(hit.id, f"《{hit.law}》{hit.label}".strip(), excerpt(hit.text, limit),
                          date.fromisoformat(hit.valid_from) if hit.valid_from else None,
                          date.fromisoformat(hit.valid_to) if hit.valid_to else None)
            for hit in hits]
