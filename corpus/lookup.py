"""Clause look-up by law name and article number, as of a date: the `guihua article` contract."""

from __future__ import annotations

from datetime import date

from corpus.store import ClauseRecord, ClauseStore, DocumentRecord


def article_value(number: str) -> int | str:
    """Plain article numbers as integers (the gold files' form), anything else as text."""
    return int(number) if number.isdigit() else number


def clause_json(record: DocumentRecord, clause: ClauseRecord, as_of: date | None) -> dict:
    day = as_of or date.today()
    return {
        "id": clause.id,
        "law": record.short_name,
        "title": record.title,
        "article": article_value(clause.number),
        "label": clause.label,
        "text": clause.text,
        "path": list(clause.path),
        "level": record.level,
        "status": record.status_on(day),
        "version": record.version,
        "promulgated": record.promulgated,
        "effective": record.effective,
        "valid_from": record.valid_from,
        "valid_to": record.valid_to,
        "as_of": day.isoformat(),
        "source": record.source,
        "provenance": clause.provenance.to_dict(),
        "table": clause.table.to_dict() if clause.table else None,
    }


def lookup_article(store: ClauseStore, law: str, number: str, as_of: date | None = None) -> dict:
    short_name = store.resolve_name(law)
    record = store.version_as_of(short_name, as_of)
    clause = store.article(record.doc_id, number)
    return clause_json(record, clause, as_of)
