"""Roles, the principal behind a request, and which documents it may see.

A document is visible when the caller's clearance reaches its classification and, for anything
not 公开, when the document's region lies on the caller's line of regions (批什么管什么): a
杭州市 user reads 浙江省 and 杭州市 internal documents, not 宁波市 ones; a user with no region
scope (national) reads every region's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from corpus.access import PUBLIC, classification_of, classification_rank
from corpus.store import DocumentRecord
from kg.spatial.regions import Region, load_region_table


class Role(StrEnum):
    PUBLIC = "public"
    STAFF = "staff"
    REVIEWER = "reviewer"
    ADMIN = "admin"


ROLE_LABELS = {Role.PUBLIC: "公众", Role.STAFF: "工作人员", Role.REVIEWER: "审查员",
               Role.ADMIN: "管理员"}

# What each role may do beyond reading what it may see.
_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PUBLIC: frozenset({"ask", "search", "read"}),
    Role.STAFF: frozenset({"ask", "search", "read", "graph", "assess"}),
    Role.REVIEWER: frozenset({"ask", "search", "read", "graph", "assess", "review",
                              "personal_data"}),
    Role.ADMIN: frozenset({"ask", "search", "read", "graph", "assess", "review", "personal_data",
                           "documents", "users", "graph_write", "audit"}),
}


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a user, or the anonymous public."""

    name: str
    role: Role
    region: str | None = None  # None: nationwide
    clearance: str = PUBLIC

    def may(self, permission: str) -> bool:
        return permission in _PERMISSIONS[self.role]

    def can_see(self, record: DocumentRecord) -> bool:
        classification = classification_of(record)
        if classification_rank(classification) > classification_rank(self.clearance):
            return False
        if classification == PUBLIC or self.region is None or record.region is None:
            return True
        return regions_related(self.region, record.region)


ANONYMOUS = Principal("anonymous", Role.PUBLIC)


@cache
def _region_table() -> tuple[dict[str, Region], dict[str, str]]:
    regions = load_region_table()
    return {r.code: r for r in regions}, {r.name: r.code for r in regions}


def _lineage(region: str) -> list[str] | None:
    """The codes of a region and of those above it, from a name or a code; None if unknown."""
    by_code, by_name = _region_table()
    code = region if region in by_code else by_name.get(region)
    if code is None:
        return None
    line = []
    while code is not None:
        line.append(code)
        code = by_code[code].parent
    return line


def regions_related(a: str, b: str) -> bool:
    """One region lies within the other (or they are the same)."""
    line_a, line_b = _lineage(a), _lineage(b)
    if line_a is not None and line_b is not None:
        return line_a[0] in line_b or line_b[0] in line_a
    return a in b or b in a  # names outside the table: 杭州 / 杭州市


_ID_NUMBER = re.compile(r"(?<![0-9])([1-9][0-9]{5})(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])"
                        r"(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}([0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0[1-9][0-9]{1,2})-?[0-9]{7,8}(?![0-9])")


def mask_personal_data(text: str) -> str:
    """ID card and phone numbers in case documents, masked for roles that may not see them:
    the region prefix of an ID number and the ends of a mobile number stay readable."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{'*' * 3}{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-********", text)
