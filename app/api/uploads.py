"""Uploaded files are checked before anything parses them: kind by content (not by name), size
while streaming to disk, and a PDF's page count."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from fastapi import UploadFile

from app.api.errors import ApiError
from corpus.readers.registry import WALK_SUFFIXES

CHUNK = 1 << 20
PLAN_KINDS = ("pdf", "docx")
GEOMETRY_KINDS = ("geojson", "zip", "gpkg")
TABLE_KINDS = ("csv", "xlsx")
SUFFIX = {"pdf": ".pdf", "docx": ".docx", "geojson": ".geojson", "zip": ".zip", "gpkg": ".gpkg",
          "json": ".json", "markdown": ".md", "text": ".txt", "xlsx": ".xlsx", "csv": ".csv",
          "html": ".html"}
KIND_LABELS = {"pdf": "PDF", "docx": "Word 文档", "geojson": "GeoJSON", "zip": "压缩的 Shapefile",
               "gpkg": "GeoPackage", "json": "JSON", "csv": "CSV 表格", "xlsx": "Excel 表格"}


def sniff(path: Path) -> str | None:
    """The file's kind from its bytes."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip" if any(n.lower().endswith(".shp") for n in names) else None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError):
        return "csv" if _looks_like_csv(path) else None
    if isinstance(data, dict) and data.get("type") in ("FeatureCollection", "Feature"):
        return "geojson"
    return "json"


def _looks_like_csv(path: Path) -> bool:
    """Text (UTF-8 or GB18030) whose first line has a comma or tab."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            first = head.decode(encoding).splitlines()[0]
        except (UnicodeDecodeError, IndexError):
            continue
        return "," in first or "\t" in first
    return False


def check_kind(path: Path, kinds: tuple[str, ...], shown_name: str) -> str:
    """The file's kind, if it is one of `kinds`; else a 415 naming what was expected."""
    kind = sniff(path)
    if kind not in kinds:
        expected = "、".join(KIND_LABELS.get(k, k) for k in kinds)
        raise ApiError(415, "unsupported_type", f"{shown_name}: 文件内容不是 {expected} / the "
                       f"file's content is not one of {', '.join(kinds)}")
    return kind


def _safe_stem(name: str | None, fallback: str) -> str:
    stem = Path(name or "").stem
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", stem).strip("._")[:80]
    return stem or fallback


async def save_upload(upload: UploadFile, folder: Path, fallback: str,
                      kinds: tuple[str, ...] | None, max_bytes: int) -> Path:
    """Stream the upload into `folder`, refusing it past `max_bytes` or if its content is none of
    `kinds`; the saved name keeps the user's file name (made safe) with the right suffix.
    `kinds` None: a source document for ingest, whose reader checks the content itself."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{fallback}.part"
    size = 0
    with partial.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                partial.unlink()
                raise ApiError(413, "too_large", f"{upload.filename}: 文件超过 {max_bytes >> 20} MB "
                               f"上限 / file over the {max_bytes >> 20} MB limit")
            out.write(chunk)
    if size == 0:
        partial.unlink()
        raise ApiError(422, "invalid_file", f"{upload.filename}: 文件为空 / the file is empty")
    if kinds is None:
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in WALK_SUFFIXES:
            partial.unlink()
            raise ApiError(415, "unsupported_type", f"{upload.filename}: 不支持的文件类型 / "
                           f"unsupported file type; 可用 / use {' '.join(sorted(WALK_SUFFIXES))}")
        target = folder / (_safe_stem(upload.filename, fallback) + suffix)
        partial.replace(target)
        return target
    try:
        kind = check_kind(partial, kinds, upload.filename or fallback)
    except ApiError:
        partial.unlink()
        raise
    target = folder / (_safe_stem(upload.filename, fallback) + SUFFIX[kind])
    partial.rename(target)
    return target


def check_page_count(path: Path, max_pages: int) -> None:
    if path.suffix != ".pdf":
        return
    import fitz

    try:
        with fitz.open(path) as pdf:
            pages = pdf.page_count
    except Exception:
        raise ApiError(422, "invalid_file", f"{path.name}: PDF 无法打开，可能已损坏 / the PDF cannot "
                       "be opened; it may be damaged") from None
    if pages > max_pages:
        raise ApiError(413, "too_many_pages", f"{path.name}: {pages} 页，超过 {max_pages} 页上限 / "
                       f"{pages} pages, over the {max_pages}-page limit")
