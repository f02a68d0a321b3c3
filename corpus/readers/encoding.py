"""Decode text files the way Chinese offices produce them: UTF-8 (with or without BOM),
GB18030/GBK, occasionally UTF-16 or Big5."""

from __future__ import annotations

import charset_normalizer

from corpus.errors import IngestError

_CONTROL_OK = {"\n", "\r", "\t", "\f", "\v"}


def _looks_textual(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in _CONTROL_OK)
    return controls / min(len(text), 20000) < 0.001 and "\ufffd" not in text[:20000]


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Return (text, encoding). Raises IngestError when the bytes are not text in any
    encoding we can tell."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_textual(text):
            return text, encoding
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        text = str(best)
        if _looks_textual(text):
            return text, best.encoding
    raise IngestError(
        source,
        "无法识别文本编码，或文件不是文本",
        "cannot determine the text encoding, or the file is not text",
        "请另存为 UTF-8 或 GB18030 编码的文本后重试 / re-save the file as UTF-8 or GB18030",
    )
