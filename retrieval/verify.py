"""Citation verification: find every citation in a text (《土地管理法》第三十五条, 城乡规划法第四十条
第二款, 本法第十条 with a known law), resolve it, and report for each whether the clause exists, its
verbatim text, whether it was in force on the date that matters, and whether a given context
(the retrieved clauses an answer was generated from) supports it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from corpus.errors import GuihuaError
from corpus.references import Reference, find_references
from corpus.store import ClauseStore


@dataclass
class CitationCheck:
    cited: str  # as written in the text
    law: str | None  # resolved short name
    article: str | None
    clause_id: str | None
    exists: bool
    in_force: bool | None  # on the checked date; None when the clause does not exist
    status: str | None  # 现行有效 / 尚未生效 / 历史版本 / 已废止 on that date
    text: str | None  # verbatim clause text
    valid_from: str | None
    valid_to: str | None
    supported: bool | None  # the clause id is in the given context; None without a context
    problem: str | None  # why the citation fails, for a person to read

    def to_dict(self) -> dict:
        return asdict(self)


def verify_citations(store: ClauseStore, text: str, on: date | None = None,
                     context_ids: set[str] | None = None,
                     default_law: str | None = None) -> list[CitationCheck]:
    """Check every citation in `text`. `default_law` resolves 本法/bare 第X条 references (the
    law a question or answer is about); without it those are skipped."""
    day = on or date.today()
    checks: list[CitationCheck] = []
    for ref in find_references(text):
        law_name = ref.law or default_law
        if ref.article is None or law_name is None:
            continue  # a whole-document mention, or 本法 with no law to anchor it
        checks.append(_check(store, text[ref.start:ref.end], law_name, ref, day, context_ids))
    return checks


def _check(store: ClauseStore, cited: str, law_name: str, ref: Reference, day: date,
           context_ids: set[str] | None) -> CitationCheck:
    try:
        short_name = store.resolve_name(law_name, exact=True)
    except GuihuaError:
        return _missing(cited, None, ref, f"语料中没有《{law_name}》/ {law_name} is not in the corpus")
    record = store.version_for_citation(short_name, day)
    if record is None:
        return _missing(cited, short_name, ref, f"《{short_name}》没有版本 / no version stored")
    clause_id = _clause_id(store, record.doc_id, ref)
    if clause_id is None:
        return _missing(cited, short_name, ref,
                        f"《{short_name}》{record.version} 版没有第 {ref.article} 条"
                        + (f"第 {ref.paragraph} 款" if ref.paragraph else "")
                        + f" / no such clause in {short_name} ({record.version})")
    clause = store.clause(clause_id)
    status = record.status_on(day)
    problem = None
    if status == "尚未生效":
        problem = (f"{day} 时该条尚未生效（自 {record.valid_from} 起施行）/ not yet in force on "
                   f"{day}; in force from {record.valid_from}")
    elif status != "现行有效":
        problem = (f"{day} 时该条{status}（有效期 {record.valid_from or '?'} 至 "
                   f"{record.valid_to or '?'}）/ not in force on {day}: {status}")
    supported = None if context_ids is None else _supported(clause_id, context_ids)
    if supported is False and problem is None:
        problem = "所引条文不在检索到的依据中 / the cited clause is not in the retrieved context"
    return CitationCheck(cited, short_name, ref.article, clause_id, True, status == "现行有效",
                         status, clause.text, record.valid_from, record.valid_to, supported,
                         problem)


def _missing(cited: str, law: str | None, ref: Reference, problem: str) -> CitationCheck:
    return CitationCheck(cited, law, ref.article, None, False, None, None, None, None, None,
                         None, problem)


def _clause_id(store: ClauseStore, doc_id: str, ref: Reference) -> str | None:
    candidates = ref.clause_ids(doc_id)
    for candidate in candidates:
        try:
            store.clause(candidate)
        except GuihuaError:
            continue
        if candidate != candidates[-1] or not ref.paragraph:
            return candidate
        return None  # the article exists but the cited 款 does not
    return None


def _supported(clause_id: str, context_ids: set[str]) -> bool:
    """Supported when the clause, its article, or one of its parts is in the context."""
    doc, key = clause_id.split("#", 1)  # the doc id holds dashes too (…@2019-08-26)
    article = f"{doc}#{key.split('-')[0]}"
    return any(c == clause_id or c == article or c.startswith(f"{article}-") or
               clause_id.startswith(f"{c}-") for c in context_ids)
