"""Resolve a parsed reference (law name, article, 款, 项) to a clause id in the clause store, in
the version of the cited law that was in force on a given day."""

from __future__ import annotations

from datetime import date

from corpus.errors import GuihuaError
from corpus.references import Reference
from corpus.store import ClauseStore


class ReferenceResolver:
    def __init__(self, store: ClauseStore) -> None:
        self.store = store
        self._names: dict[str, str | None] = {}

    def clear(self) -> None:
        self._names.clear()

    def resolve(self, ref: Reference, on: str | None, own_doc: str | None = None,
                own_name: str | None = None) -> str | None:
        """A clause id; for a whole-document reference the Document's short name; None when the
        law or the clause is not in the store. `own_doc`/`own_name` serve 本法 references."""
        if ref.law is None:
            if own_doc is None or ref.article is None:
                return own_name
            target_doc = own_doc
        else:
            short_name = self.short_name(ref.law)
            if short_name is None:
                return None
            if ref.article is None:
                return short_name
            target_doc = self.version_for(short_name, on)
            if target_doc is None:
                return None
        return next((c for c in ref.clause_ids(target_doc) if self._exists(c)), None)

    def short_name(self, name: str) -> str | None:
        if name not in self._names:
            try:
                self._names[name] = self.store.resolve_name(name, exact=True)
            except GuihuaError:
                self._names[name] = None
        return self._names[name]

    def version_for(self, short_name: str, on: str | None) -> str | None:
        record = self.store.version_for_citation(short_name,
                                                 date.fromisoformat(on) if on else None)
        return record.doc_id if record else None

    def _exists(self, clause_id: str) -> bool:
        try:
            self.store.clause(clause_id)
            return True
        except GuihuaError:
            return False
