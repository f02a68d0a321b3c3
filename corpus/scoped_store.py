"""A read-only view of the clause store limited to the documents a caller may see.

Everything that reads clauses for a user (search, answers, citation checks, tools) takes this
view instead of the store, so a hidden document behaves exactly like a missing one: the same
"not found" error, no names, no text."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from corpus.errors import NotFoundError
from corpus.store import ClauseRecord, ClauseStore, DocumentRecord, PutResult

Visibility = Callable[[DocumentRecord], bool]


class ScopedStore(ClauseStore):
    """Shares the base store's connection; the base store owns it and closes it."""

    def __init__(self, base: ClauseStore, visible: Visibility) -> None:
        # No super().__init__: that would open a second connection and run the schema script.
        self.path = base.path
        self._conn = base._conn
        self.visible = visible

    def close(self) -> None:
        """The base store's connection stays open: other views may share it."""

    def put(self, doc: object) -> PutResult:
        raise PermissionError("scoped stores are read-only")

    def remove(self, doc_id: str) -> str | None:
        raise PermissionError("scoped stores are read-only")

    def versions(self, short_name: str, _by_id: str | None = None) -> list[DocumentRecord]:
        records = [r for r in super().versions(short_name, _by_id) if self.visible(r)]
        if _by_id is not None and not records:
            raise NotFoundError(f"文档不存在 / no such document: {_by_id}")
        return records

    def counts(self) -> dict[str, int]:
        records = self.documents()
        return {"documents": len(records), "clauses": sum(r.n_clauses for r in records)}

    def resolve_name(self, name: str, exact: bool = False) -> str:
        short_name = super().resolve_name(name, exact)
        if not self.versions(short_name):
            raise NotFoundError(f"未找到名为「{name}」的法规或文件 / no document named {name!r}")
        return short_name

    def clause(self, clause_id: str) -> ClauseRecord:
        clause = super().clause(clause_id)
        try:
            self.document(clause.doc_id)
        except NotFoundError:
            raise NotFoundError(f"条文不存在 / no such clause: {clause_id}") from None
        return clause

    def article(self, doc_id: str, number: str) -> ClauseRecord:
        self.document(doc_id)
        return super().article(doc_id, number)

    def clauses(self, doc_id: str) -> Iterator[ClauseRecord]:
        self.document(doc_id)
        return super().clauses(doc_id)
