"""Document classification (密级/公开属性) and the region a document belongs to.

A document's classification is kept in its metadata (`meta["classification"]`), absent meaning
公开. Whoever may read what is decided in the app's security layer; the corpus only records it."""

from __future__ import annotations

from dataclasses import dataclass

from corpus.errors import GuihuaError
from corpus.model import Document
from corpus.store import DocumentRecord

# Ascending: a reader cleared for 内部 also reads 公开.
CLASSIFICATIONS = ("公开", "内部", "敏感")
PUBLIC = CLASSIFICATIONS[0]


class ClassificationError(GuihuaError):
    def __init__(self, label: str) -> None:
        super().__init__(f"未知的密级「{label}」，应为 {'/'.join(CLASSIFICATIONS)} / unknown "
                         f"classification {label!r}: use one of {', '.join(CLASSIFICATIONS)}")


def classification_rank(label: str) -> int:
    try:
        return CLASSIFICATIONS.index(label)
    except ValueError:
        raise ClassificationError(label) from None


def classification_of(record: DocumentRecord) -> str:
    return record.meta.get("classification", PUBLIC)


@dataclass(frozen=True)
class DocumentAccess:
    """What an ingest stamps on each document: its classification and, optionally, region."""

    classification: str = PUBLIC
    region: str | None = None

    def __post_init__(self) -> None:
        classification_rank(self.classification)

    def apply(self, doc: Document) -> None:
        doc.meta["classification"] = self.classification
        if self.region:
            doc.region = self.region
        if (self.classification, self.region) != (PUBLIC, None):
            # Re-ingesting the same file with other access settings must replace it, not be
            # skipped as unchanged.
            doc.content_hash = f"{doc.content_hash}+{self.classification}+{self.region or ''}"
