"""Cross-check two independent sources of the same laws: parsed Markdown files against the
embedded law database. Every disagreement is reported as a finding, never smoothed over."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.model import Document
from corpus.readers.base import no_progress
from corpus.readers.lawdb import read_law_database
from corpus.readers.text import MarkdownReader
from corpus.parsers import build_document

_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


_QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"', "‘": "'", "’": "'", "＇": "'"})


def normalise(text: str) -> str:
    """Whitespace removed."""
    return _SPACE.sub("", text)


def normalise_forms(text: str) -> str:
    """Whitespace removed and punctuation forms unified (full/half width, curly/straight quotes):
    the two sources typeset the same text differently."""
    return unicodedata.normalize("NFKC", normalise(text)).translate(_QUOTES)


@dataclass
class Finding:
    law: str
    file_version: str
    db_version: str
    article: str
    kind: str  # punctuation-forms, text-differs, missing-in-file, missing-in-db
    file_text: str = ""
    db_text: str = ""


@dataclass
class CrossCheckResult:
    laws_compared: int = 0
    articles_compared: int = 0
    articles_agree: int = 0  # identical up to whitespace and punctuation forms
    articles_identical: int = 0  # identical up to whitespace
    version_mismatches: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return self.articles_agree / self.articles_compared if self.articles_compared else 0.0

    def to_dict(self) -> dict:
        return {"laws_compared": self.laws_compared, "articles_compared": self.articles_compared,
                "articles_agree": self.articles_agree, "agreement": round(self.agreement, 5),
                "articles_identical": self.articles_identical,
                "version_mismatches": self.version_mismatches,
                "findings": [asdict(f) for f in self.findings]}


def _articles(doc: Document) -> dict[str, str]:
    return {a.number: a.text for a in doc.articles()}


def cross_check(folder: Path) -> CrossCheckResult:
    """Compare every Markdown law in `folder` that the database also holds (same short name;
    the same version when the database has it, else the nearest version, noted as such)."""
    by_name: dict[str, list[Document]] = {}
    for doc in read_law_database():
        by_name.setdefault(doc.short_name, []).append(doc)
    result = CrossCheckResult()
    reader = MarkdownReader()
    for path in sorted(folder.rglob("*.md")):
        doc = build_document(reader.read(path, path.read_bytes(), no_progress))
        candidates = by_name.get(doc.short_name)
        if not candidates:
            continue
        same = [c for c in candidates if c.version == doc.version]
        db_doc = same[0] if same else min(
            candidates, key=lambda c: abs(_days(c.version) - _days(doc.version)))
        if not same:
            result.version_mismatches.append(f"{doc.short_name}: file {doc.version}, "
                                             f"database {db_doc.version}")
        result.laws_compared += 1
        _compare(doc, db_doc, result)
    return result


def _days(version: str) -> int:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", version)
    if not match:
        return 0
    y, m, d = map(int, match.groups())
    return y * 372 + m * 31 + d


def _compare(file_doc: Document, db_doc: Document, result: CrossCheckResult) -> None:
    file_articles, db_articles = _articles(file_doc), _articles(db_doc)
    for number in sorted(set(file_articles) | set(db_articles), key=_number_key):
        in_file, in_db = file_articles.get(number), db_articles.get(number)
        result.articles_compared += 1
        if in_file is not None and in_db is not None:
            if normalise(in_file) == normalise(in_db):
                result.articles_identical += 1
                result.articles_agree += 1
                continue
            if normalise_forms(in_file) == normalise_forms(in_db):
                result.articles_agree += 1
                kind = "punctuation-forms"
            else:
                kind = "text-differs"
        else:
            kind = "missing-in-file" if in_file is None else "missing-in-db"
        result.findings.append(Finding(file_doc.short_name, file_doc.version, db_doc.version,
                                       number, kind, in_file or "", in_db or ""))


def _number_key(number: str) -> tuple:
    parts = re.split(r"[之~]", number)
    return tuple(int(p) if p.isdigit() else 0 for p in parts)
