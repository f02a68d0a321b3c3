"""Content-type detection and the reader registry.

Readers are chosen by what the bytes are, not by the file name: a PDF renamed .txt still reads as
a PDF, and a .doc that is really DOCX works. The extension only breaks ties between text kinds
(Markdown vs plain text vs CSV) and decides which files a folder walk picks up.
"""

from __future__ import annotations

import importlib
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from corpus.errors import IngestError
from corpus.readers.base import IngestLimits, Reader

# content type → ("module:Class", constructor arguments from the limits); imported lazily so a
# missing optional dependency fails only for the files that need it.
_READERS: dict[str, tuple[str, Callable[[IngestLimits], dict]]] = {
    "markdown": ("corpus.readers.text:MarkdownReader", lambda limits: {}),
    "text": ("corpus.readers.text:TextReader", lambda limits: {}),
    "pdf": ("corpus.readers.pdf:PdfReader", lambda limits: {"max_pages": limits.max_pdf_pages}),
    "docx": ("corpus.readers.docx:DocxReader",
             lambda limits: {"max_total_bytes": limits.max_unzipped_bytes}),
    "html": ("corpus.readers.html:HtmlReader", lambda limits: {}),
    "csv": ("corpus.readers.tabular:CsvReader", lambda limits: {}),
    "xlsx": ("corpus.readers.tabular:XlsxReader",
             lambda limits: {"max_total_bytes": limits.max_unzipped_bytes}),
}

# Files a folder walk picks up. Explicitly named files are sniffed whatever their name.
WALK_SUFFIXES = {".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm", ".csv", ".tsv",
                 ".xlsx"}
_TEXT_KIND_BY_SUFFIX = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv",
                        ".html": "html", ".htm": "html"}


def detect_content_type(path: Path, data: bytes) -> str:
    """Return a key of the registry, or raise IngestError saying why the file can't be read."""
    source = str(path)
    if not data:
        raise IngestError(source, "文件为空（0 字节）", "the file is empty (0 bytes)",
                          "请确认文件已完整保存或下载 / check the file was saved or downloaded completely")
    head = data[:2048]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path, data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise IngestError(source, "旧版 Office 二进制格式（.doc/.xls）或加密的 Office 文件不受支持",
                          "legacy binary Office (.doc/.xls) or encrypted Office files are not supported",
                          "请用 Office/WPS 另存为 .docx 或 .xlsx（并取消密码）后导入 / save as .docx or "
                          ".xlsx without a password and ingest that")
    if head.startswith(b"SQLite format 3\x00"):
        raise IngestError(source, "不支持直接导入数据库文件", "database files cannot be ingested",
                          "内置法律库由 guihua setup 导入 / the embedded law database is loaded by "
                          "`guihua setup`")
    if _looks_binary(head):
        raise IngestError(source, "无法识别的二进制文件", "unrecognised binary content",
                          "支持 PDF、DOCX、XLSX、CSV、HTML、Markdown、TXT / supported: PDF, DOCX, "
                          "XLSX, CSV, HTML, Markdown, TXT")
    suffix = path.suffix.lower()
    if suffix in _TEXT_KIND_BY_SUFFIX:
        return _TEXT_KIND_BY_SUFFIX[suffix]
    lowered = head.lower().lstrip()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return "html"
    return "text"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NULs
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.05


def _zip_kind(path: Path, data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(BytesIO(data)).namelist())
    except zipfile.BadZipFile as exc:
        raise IngestError(str(path), f"压缩包/Office 文件已损坏：{exc}",
                          f"corrupt zip/Office file: {exc}",
                          "请重新导出或下载该文件 / re-export or re-download the file") from None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise IngestError(str(path), "不支持的压缩文件（不是 DOCX/XLSX）",
                      "a zip archive that is not DOCX/XLSX is not supported",
                      "请解压后导入其中的文件 / unzip it and ingest the files inside")


def reader_for(content_type: str, limits: IngestLimits = IngestLimits()) -> Reader:
    target, arguments = _READERS[content_type]
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise IngestError(content_type, f"缺少读取 {content_type} 所需的组件：{exc.name}",
                          f"the {content_type} reader needs {exc.name}",
                          "pip install -e '.[all]'") from None
    return getattr(module, class_name)(**arguments(limits))
