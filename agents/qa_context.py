"""Search hits → the clauses shown to the model. Long clauses are cut to an excerpt (the model's
context is small); the citation still resolves to the whole verbatim clause. Training data uses
the same limit (`training.sft_data`), so the model sees the same shape of context it learnt on."""

from __future__ import annotations

from datetime import date

from agents.grounded_prompt import ContextClause
from retrieval.search import Hit

MAX_CLAUSE_CHARS = 320  # four clauses ≈ 900 tokens with the system prompt


def excerpt(text: str, keep: str | None = None, limit: int = MAX_CLAUSE_CHARS) -> str:
    """At most `limit` characters of a clause, from its start, or around `keep` (a sentence that
    must stay visible, as in training data whose answer quotes it)."""
    if len(text) <= limit:
        return text
    start = 0
    if keep and keep in text:
        start = max(0, min(text.index(keep) - 40, len(text) - limit))
    return ("……" if start else "") + text[start:start + limit] + (
        "……" if start + limit < len(text) else "")


def context_from_hits(hits: list[Hit], limit: int = MAX_CLAUSE_CHARS) -> list[ContextClause]:
    return [ContextClause(hit.id, f"《{hit.law}》{hit.label}".strip(), excerpt(hit.text, limit=limit),
                          date.fromisoformat(hit.valid_from) if hit.valid_from else None,
                          date.fromisoformat(hit.valid_to) if hit.valid_to else None)
            for hit in hits]
