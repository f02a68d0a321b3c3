"""Post-generation grounding: every claim in a model's answer must rest on a clause that exists,
was in force on the date asked about, and was in the context the answer was generated from.

The answer is cut into claims, each ending where its citations end (`…不予批准 [id]`). Per
claim:
- citations that fail (fabricated id, not in force, not in the context) are removed;
- a near-miss id (another version or 款 of an article that *is* in the context) is repaired to
  the context's id;
- a claim written without any citation is kept only if it quotes one context clause closely,
  and then that clause's citation is added; a claim whose citations all failed, or an uncited
  one that quotes nothing, is dropped as unsupported.
What remains cites only verified clauses; an answer left with no claims becomes an abstention.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from agents.grounded_prompt import ABSTAIN_PREFIX, ContextClause, parse_answer
from corpus.errors import NotFoundError
from corpus.store import ClauseStore

# Share of a claim's character bigrams found in one clause for the claim to count as quoting it.
QUOTE_COVERAGE = 0.8
# Claims shorter than this (in CJK characters and digits) are connectives (综上，), not claims.
MIN_CLAIM_CHARS = 6

# A run of bracketed citations (an id always holds @ and #), or a line break.
_CLAIM_END = re.compile(r"(?P<cites>(?:[ \t]*\[[^\[\]\n]*@[^\[\]\n]*#[^\[\]\n]*\])+)"
                        r"(?P<punct>[。；;，,.]?)|(?P<breaks>\n+)")
_CONTENT = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")


@dataclass(frozen=True)
class VerifiedCitation:
    """A citation that passed verification, with the verbatim text of the whole clause."""

    id: str
    law: str
    article: str
    title: str
    text: str
    valid_from: str | None
    valid_to: str | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RejectedCitation:
    id: str
    reason: str  # Chinese / English, for the person reading the audit trail


@dataclass
class GroundedAnswer:
    text: str
    citations: list[VerifiedCitation]
    abstained: bool
    rejected: list[RejectedCitation] = field(default_factory=list)
    repaired: dict[str, str] = field(default_factory=dict)  # cited id → the context id used
    dropped_claims: list[str] = field(default_factory=list)  # unsupported, removed


def citation_problem(store: ClauseStore, clause_id: str, day: date,
                     context_ids: set[str]) -> str | None:
    """Why `clause_id` may not be cited in an answer about `day` from `context_ids`, or None."""
    try:
        clause = store.clause(clause_id)
    except NotFoundError:
        return "条文编号不存在 / no such clause"
    record = store.document(clause.doc_id)
    if not record.in_force_on(day):
        return (f"{day} 时该条{record.status_on(day)} / not in force on {day}")
    if clause_id not in context_ids and not any(clause_id.startswith(f"{c}-")
                                                for c in context_ids):
        return "不在检索到的依据中 / not among the retrieved clauses"
    return None


def ground(store: ClauseStore, answer: str, context: list[ContextClause], day: date,
           require_citations: bool = True) -> GroundedAnswer:
    """`require_citations=False` for answers that rest on a tool's result (a rule's verdict, a
    code table entry): uncited claims stay, but any clause they cite is still verified."""
    if answer.lstrip().startswith(ABSTAIN_PREFIX) or not answer.strip():
        return GroundedAnswer(answer.strip(), [], True)
    context_ids = {c.clause_id for c in context}
    result = GroundedAnswer("", [], False)
    verified: dict[str, VerifiedCitation] = {}
    parts: list[str] = []
    for claim in _claims(answer):
        good: list[str] = []
        for clause_id in claim.cited:
            target = clause_id if clause_id in context_ids else _repair(clause_id, context_ids)
            problem = citation_problem(store, target or clause_id, day, context_ids)
            if problem:
                result.rejected.append(RejectedCitation(clause_id, problem))
                continue
            if target and target != clause_id:
                result.repaired[clause_id] = target
            good.append(target or clause_id)
        is_claim = (len(_CONTENT.findall(claim.body)) >= MIN_CLAIM_CHARS
                    and not claim.body.rstrip().endswith(("：", ":")))  # a lead-in claims nothing
        if not claim.cited and is_claim:  # a claim whose own citation failed is not re-sourced
            quoted = _quoted_clause(claim.body, context)
            if quoted and citation_problem(store, quoted, day, context_ids) is None:
                good.append(quoted)
        if is_claim and not good and (require_citations or claim.cited):
            result.dropped_claims.append(claim.body.strip())
            continue
        good = list(dict.fromkeys(good))
        for clause_id in good:
            verified.setdefault(clause_id, _verified(store, clause_id))
        cites = "".join(f" [{c}]" for c in good)
        parts.append((claim.body.rstrip() + cites if cites else claim.body) + claim.trailer)
    text = re.sub(r"\n{3,}", "\n\n", "".join(parts)).strip()
    result.text, result.citations = text, list(verified.values())
    result.abstained = not verified if require_citations else not text
    return result


@dataclass(frozen=True)
class _Claim:
    body: str  # the claim's text without its citations
    cited: list[str]
    trailer: str  # the punctuation or line break after its citations


def _claims(answer: str) -> list[_Claim]:
    claims: list[_Claim] = []
    start = 0
    for match in _CLAIM_END.finditer(answer):
        body = answer[start:match.start()]
        start = match.end()
        if match.group("breaks"):
            if body:
                claims.append(_Claim(body, [], match.group("breaks")))
            elif claims:  # a blank line: keep the paragraph break
                claims[-1] = _Claim(claims[-1].body, claims[-1].cited,
                                    claims[-1].trailer + match.group("breaks"))
            continue
        claims.append(_Claim(body, parse_answer(match.group("cites")).cited_ids,
                             match.group("punct")))
    if answer[start:].strip():
        claims.append(_Claim(answer[start:], [], ""))
    return claims


def _repair(clause_id: str, context_ids: set[str]) -> str | None:
    """The context clause a near-miss id means: the same law and article (another version's
    date, or a 款 of an article shown whole)."""
    if "@" not in clause_id or "#" not in clause_id:
        return None
    law = clause_id.split("@", 1)[0]
    number = clause_id.rsplit("#", 1)[1]
    article = number.split("-", 1)[0]
    candidates = [c for c in context_ids if c.split("@", 1)[0] == law
                  and c.rsplit("#", 1)[1].split("-", 1)[0] == article]
    exact = [c for c in candidates if c.rsplit("#", 1)[1] == number]
    chosen = exact or candidates
    return min(chosen) if chosen else None


def _bigrams(text: str) -> set[str]:
    chars = "".join(_CONTENT.findall(text))
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _quoted_clause(claim: str, context: list[ContextClause]) -> str | None:
    grams = _bigrams(claim)
    if not grams:
        return None
    best, best_cover = None, 0.0
    for clause in context:
        cover = len(grams & _bigrams(clause.text)) / len(grams)
        if cover > best_cover:
            best, best_cover = clause.clause_id, cover
    return best if best_cover >= QUOTE_COVERAGE else None


def _verified(store: ClauseStore, clause_id: str) -> VerifiedCitation:
    clause = store.clause(clause_id)
    record = store.document(clause.doc_id)
    article = clause_id.rsplit("#", 1)[1]
    return VerifiedCitation(clause_id, record.short_name, article,
                            f"《{record.short_name}》{clause.label}", clause.text,
                            record.valid_from, record.valid_to)
