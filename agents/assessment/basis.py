"""The legal basis of each warning: for a red or yellow indicator, and for new construction inside
a protected line, the clause in force that the search finds for the indicator's `basis_query`.
Citations are clause ids checked against the clause store, so a report never cites a clause that
does not exist or is not in force on the assessment date."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from agents.assessment.assessment import AssessmentResult
from corpus.errors import NotFoundError
from kg.domain.loader import load_indicators
from retrieval.search import Searcher

PROTECTED_QUERIES = {"永久基本农田": "永久基本农田 任何单位和个人不得擅自占用或者改变其用途",
                     "生态保护红线": "生态保护红线 禁止开发性生产性建设活动"}


@dataclass(frozen=True)
class Basis:
    about: str  # the indicator's name or the protected line
    clause_id: str
    title: str  # 《law》第三十条
    text: str
    valid_from: str | None
    valid_to: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def assessment_day(year: int) -> date:
    """The date whose clauses an assessment of `year` cites: the year's end, or today."""
    return min(date(year, 12, 31), date.today())


def legal_basis(result: AssessmentResult, searcher: Searcher, day: date) -> list[Basis]:
    """One clause per warning that has a query, distinct clauses only."""
    queries = {i.name: i.assessment.basis_query for i in load_indicators()
               if i.assessment and i.assessment.basis_query}
    wanted = [(w.name, queries[w.name]) for w in result.warnings
              if w.level in ("red", "yellow") and w.name in queries]
    wanted += [(line, PROTECTED_QUERIES[line])
               for line in dict.fromkeys(w.line for w in result.spatial)]
    found: list[Basis] = []
    for about, query in wanted:
        for hit in searcher.search(query, k=3, as_of=day).hits:
            if hit.status != "现行有效" or any(b.clause_id == hit.id for b in found):
                continue
            try:  # verified against the store, as every citation is
                clause = searcher.store.clause(hit.id)
            except NotFoundError:
                continue
            found.append(Basis(about, hit.id, f"《{hit.law}》{hit.label}", clause.text,
                               hit.valid_from, hit.valid_to))
            break
    return found
