"""Full-text search over clause text with Chinese-aware analysis (bigrams), on either backend:
ArcadeDB (index made with SQL over its HTTP API) or Neo4j 5 (Cypher DDL, `cjk` analyzer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kg.graph import GraphStore, fulltext_index_sql, lucene_escape

ARCADE_INDEX = "Clause[text]"
NEO4J_INDEX = "clause_text"
NEO4J_DDL = ("CREATE FULLTEXT INDEX clause_text IF NOT EXISTS FOR (n:Clause) ON EACH [n.text] "
             "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}")


def ensure_clause_index(graph: GraphStore) -> None:
    if graph.admin is not None:
        graph.admin.ensure_schema(fulltext_index_sql("Clause", "text"))
    else:
        graph.ensure_schema([NEO4J_DDL])


def search_clauses(graph: GraphStore, text: str, limit: int = 10,
                   as_of: date | None = None) -> list[dict[str, Any]]:
    """Clauses matching `text`, best first; with `as_of`, only clauses in force that day."""
    index = ARCADE_INDEX if graph.admin is not None else NEO4J_INDEX
    day = as_of.isoformat() if as_of else None
    return graph.run(
        "CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score "
        "WHERE $day IS NULL OR ((node.valid_from IS NULL OR node.valid_from <= $day) "
        "AND (node.valid_to IS NULL OR node.valid_to > $day)) "
        "RETURN node.id AS id, node.label AS label, node.text AS text, score "
        "ORDER BY score DESC LIMIT $limit",
        index=index, q=lucene_escape(text), day=day, limit=limit)
