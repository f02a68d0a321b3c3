"""A rule's source → a citation with verbatim text. When the clause corpus holds the cited
article (土地管理法 第三十五条第一款), the citation carries its id and exact text, resolved to the
version in force on the review date; otherwise (standards, central documents not in the corpus)
it carries the rule's own statement and no clause id, so nobody mistakes it for a quote."""

from __future__ import annotations

import re
from datetime import date

from agents.compliance.model import Citation
from corpus.store import ClauseStore
from retrieval.verify import verify_citations

# "中华人民共和国土地管理法（2019年修正）" → "土地管理法"
_PREFIX = re.compile(r"^中华人民共和国")
_EDITION = re.compile(r"[（(][^（）()]*(?:修正|修订|年版|试行)[^（）()]*[）)]$")


def document_short_name(document: str) -> str:
    return _EDITION.sub("", _PREFIX.sub("", document.strip())).strip()


class ClauseCiter:
    def __init__(self, store: ClauseStore | None, day: date) -> None:
        self.store = store
        self.day = day
        self._cache: dict[tuple[str, str], Citation | None] = {}

    def __call__(self, document: str, article: str, statement: str) -> Citation:
        name = document_short_name(document)
        key = (name, article)
        if key not in self._cache:
            self._cache[key] = self._from_corpus(name, article)
        return self._cache[key] or Citation(name, article, statement)

    def _from_corpus(self, name: str, article: str) -> Citation | None:
        if self.store is None or not article.startswith("第"):
            return None
        checks = verify_citations(self.store, f"《{name}》{article}", self.day)
        if not checks or not checks[0].exists or not checks[0].text:
            return None
        return Citation(checks[0].law or name, article, checks[0].text, checks[0].clause_id)
