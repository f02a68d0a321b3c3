"""Clause search, one clause by id, and citation checks: all limited to what the caller may see."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.api.auth import requires
from app.security.access import Principal, mask_personal_data
from corpus.access import classification_of
from corpus.lookup import clause_json

router = APIRouter(prefix="/v1", tags=["clauses"])


def shown(principal: Principal, text: str) -> str:
    """Clause text as this caller may read it (ID and phone numbers masked unless allowed)."""
    return text if principal.may("personal_data") else mask_personal_data(text)


@router.get("/search", summary="条文检索 / hybrid clause search")
def search(request: Request,
           q: Annotated[str, Query(min_length=1, max_length=500, description="检索词或问题")],
           k: Annotated[int, Query(ge=1, le=50)] = 10,
           as_of: Annotated[date | None, Query(description="该日有效的条文（默认今天）")] = None,
           mode: Literal["hybrid", "bm25", "dense"] = "hybrid",
           region: Annotated[str | None, Query(max_length=64)] = None,
           principal: Principal = Depends(requires("search"))) -> dict:
    view = request.app.state.services.view(principal)
    result = view.require_searcher().search(q, k=k, as_of=as_of, mode=mode, region=region)
    data = result.to_dict()
    for hit in data["hits"]:
        hit["text"] = shown(principal, hit["text"])
    return data


@router.get("/clauses/{clause_id:path}", summary="按 id 取条文原文 / one clause, verbatim")
def clause(request: Request, clause_id: str,
           as_of: Annotated[date | None, Query()] = None,
           principal: Principal = Depends(requires("read"))) -> dict:
    view = request.app.state.services.view(principal)
    record_clause = view.store.clause(clause_id)
    record = view.store.document(record_clause.doc_id)
    data = clause_json(record, record_clause, as_of)
    data["text"] = shown(principal, data["text"])
    data["classification"] = classification_of(record)
    data["region"] = record.region
    return data


class VerifyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20000, description="含法条引用的文本")
    as_of: date | None = None
    law: str | None = Field(None, max_length=100, description="“本法”所指的法规")


@router.post("/verify", summary="核验文本中的法条引用 / check the citations in a text")
def verify(request: Request, body: VerifyRequest,
           principal: Principal = Depends(requires("read"))) -> dict:
    from retrieval.verify import verify_citations

    view = request.app.state.services.view(principal)
    checks = [c.to_dict() for c in verify_citations(view.store, body.text, on=body.as_of,
                                                     default_law=body.law)]
    for check in checks:
        if check.get("text"):
            check["text"] = shown(principal, check["text"])
    return {"checks": checks, "ok": not any(c["problem"] for c in checks)}
