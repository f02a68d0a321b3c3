"""Graph query results limited to what the caller may see.

Cypher cannot be rewritten safely to skip hidden documents, so the rows are checked instead: a
row is dropped when any value in it names a hidden document or clause (ids carry the document
id) or quotes six or more characters of a hidden document's text that no visible clause has."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from corpus.store import ClauseStore, DocumentRecord

_MIN_QUOTE = 6
_SEP = "\x00"


class GraphScope:
    def __init__(self, hidden: Iterable[DocumentRecord], store: ClauseStore,
                 visible: Iterable[DocumentRecord]) -> None:
        hidden = list(hidden)
        self.hidden_ids = tuple(r.doc_id for r in hidden)
        self._hidden_text = _SEP.join(
            [r.title for r in hidden]
            + [c.text for r in hidden for c in store.clauses(r.doc_id)])
        self._visible_text = _SEP.join(c.text for r in visible for c in store.clauses(r.doc_id)) \
            if self.hidden_ids else ""

    def rows(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """The rows that reveal nothing hidden, and how many were dropped."""
        if not self.hidden_ids:
            return rows, 0
        kept = [row for row in rows if not self._reveals(row)]
        return kept, len(rows) - len(kept)

    def _reveals(self, value: Any) -> bool:
        if isinstance(value, dict):
            return any(self._reveals(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return any(self._reveals(v) for v in value)
        if not isinstance(value, str):
            return False
        if any(doc_id in value for doc_id in self.hidden_ids):
            return True
        return len(value) >= _MIN_QUOTE and value in self._hidden_text \
            and value not in self._visible_text
