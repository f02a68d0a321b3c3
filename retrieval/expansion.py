"""Graph expansion: clauses a search should bring along although the query's words do not match
them — the clause that defines a term the query uses (永久基本农田 → 土地管理法第三十三条), and the
clauses the top hits cite (实施条例第二十六条 → 土地管理法第四十五条). Read from the knowledge
graph; without one, a search simply has no expansion."""

from __future__ import annotations

from datetime import date

from kg import queries
from kg.graph import GraphStore


def article_of(clause_id: str) -> str:
    """The article-level unit a 款/项 belongs to: …#35-2-1 → …#35."""
    doc, key = clause_id.split("#", 1)
    return f"{doc}#{key.split('-')[0]}"


class GraphExpander:
    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph

    def defining_clauses(self, terms: list[str], day: date) -> list[str]:
        """Article ids defining any of `terms`, valid on `day`, longest term first."""
        if not terms:
            return []
        rows = self.graph.run(
            "MATCH (k:Concept)-[:DEFINED_IN]->(c:Clause) WHERE k.name IN $terms "
            "AND (c.valid_from IS NULL OR c.valid_from <= $day) "
            "AND (c.valid_to IS NULL OR c.valid_to > $day) "
            "RETURN k.name AS term, c.id AS id", terms=terms, day=day.isoformat())
        rows.sort(key=lambda r: (-len(r["term"]), r["id"]))
        return list(dict.fromkeys(article_of(r["id"]) for r in rows))

    def cited_clauses(self, clause_ids: list[str]) -> list[str]:
        """Article ids cited by the given clauses, in the order of the citing clauses."""
        cited: list[str] = []
        for clause_id in clause_ids:
            cited += [article_of(row["id"]) for row in queries.cites(self.graph, clause_id)]
        return [c for c in dict.fromkeys(cited) if c not in clause_ids]
