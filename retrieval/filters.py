"""Which documents a search may return: in force on the date asked about (by default), and of
the requested level and region. Searches say what a filter left out, so a user asking about a law
that is repealed or not yet in force learns why it is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from corpus.store import DocumentRecord


@dataclass(frozen=True)
class DocumentFilter:
    day: date
    include_inactive: bool = False  # also historical, repealed and not-yet-effective versions
    levels: frozenset[str] = frozenset()
    region: str | None = None

    def reason_to_exclude(self, record: DocumentRecord) -> str | None:
        """None when the document may be returned, else a status or filter name."""
        if self.levels and record.level not in self.levels:
            return "level"
        if self.region and record.region and self.region not in record.region \
                and record.region not in self.region:
            return "region"  # national documents (no region) apply everywhere
        status = record.status_on(self.day)
        if status != "现行有效" and not self.include_inactive:
            return status
        return None
