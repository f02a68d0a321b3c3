"""Typed errors with messages a user can act on (Chinese first, English after)."""

from __future__ import annotations


class GuihuaError(Exception):
    """Base class: `str(err)` is a complete, user-facing message."""


class BilingualError(GuihuaError):
    """An error whose message is given in Chinese and English, plus a technical detail."""

    def __init__(self, zh: str, en: str, detail: str = "") -> None:
        self.zh, self.en, self.detail = zh, en, detail
        message = f"{zh}（{en}）"
        if detail:
            message += f": {detail}"
        super().__init__(message)


class IngestError(GuihuaError):
    """A source could not be ingested. Nothing of it was written."""

    def __init__(self, source: str, reason_zh: str, reason_en: str, action: str = "") -> None:
        self.source = source
        self.reason_zh = reason_zh
        self.reason_en = reason_en
        self.action = action
        message = f"{source}: {reason_zh}（{reason_en}）"
        if action:
            message += f" 处理建议 / what to do: {action}"
        super().__init__(message)


class DuplicateDocumentError(IngestError):
    """Another source already provides this document version with different text."""


class NotFoundError(GuihuaError):
    """A law, document or clause the user asked for is not in the store."""


class AmbiguousNameError(GuihuaError):
    """A short name matches several documents."""
