"""Cypher over the knowledge graph: read-only for everyone but admins, and the rows limited to
what the caller may see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from app.api.auth import requires
from app.api.errors import ApiError
from app.api.services import Services
from app.security.access import Principal

router = APIRouter(prefix="/v1/kg", tags=["graph"])

MAX_ROWS = 1000


class CypherRequest(BaseModel):
    cypher: str = Field(min_length=1, max_length=5000, description="Cypher（Neo4j 5 方言）")
    params: dict[str, Any] = Field(default_factory=dict)
    max_rows: int = Field(200, ge=1, le=MAX_ROWS)


@router.post("/query", summary="知识图谱查询 / a Cypher query")
def query(request: Request, body: CypherRequest,
          principal: Principal = Depends(requires("graph"))) -> dict:
    from kg.graph import GraphReadOnlyError, check_read_only

    services: Services = request.app.state.services
    if services.graph is None:
        raise ApiError(503, "graph_unavailable", "知识图谱尚未建立，请先运行 guihua setup / the "
                       "knowledge graph has not been built: run guihua setup")
    if not principal.may("graph_write"):
        try:
            check_read_only(body.cypher)
        except GraphReadOnlyError as exc:
            raise ApiError(403, "read_only", f"{exc}；仅管理员可写入图谱 / only admins may write")
        graph = services.graph
        result = graph.query(body.cypher, body.params, max_rows=body.max_rows)
        rows, withheld = services.graph_scope(principal).rows(result.rows)
        return {"rows": rows, "truncated": result.truncated, "withheld": withheld}
    from app.graph import open_configured_graph

    with open_configured_graph(services.config) as graph:
        result = graph.query(body.cypher, body.params, max_rows=body.max_rows)
    return {"rows": result.rows, "truncated": result.truncated, "withheld": 0}
