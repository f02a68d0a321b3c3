"""Ingestion: files and folders (and the embedded law database) into the clause store.

Each document is read and parsed completely before the store is touched, and written in one
transaction, so a bad file never leaves half a document behind and never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.access import DocumentAccess
from corpus.errors import GuihuaError, IngestError
from corpus.model import Document, Level
from corpus.parsers import build_document
from corpus.readers.base import IngestLimits, Progress, no_progress
from corpus.readers.lawdb import SOURCE_PREFIX, count_laws, law_db_path, read_law_database
from corpus.readers.registry import WALK_SUFFIXES, detect_content_type, reader_for
from corpus.store import ClauseStore


@dataclass
class Outcome:
    source: str
    action: str  # added, replaced, unchanged, same-content, kept-user-version, restored, failed
    doc_id: str | None = None
    clauses: int = 0
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.action == "failed"

    def to_dict(self) -> dict:
        return {"source": self.source, "action": self.action, "doc_id": self.doc_id,
                "clauses": self.clauses, "message": self.message}


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for outcome in self.outcomes:
            out[outcome.action] = out.get(outcome.action, 0) + 1
        return out

    def to_dict(self) -> dict:
        return {"counts": self.counts(), "outcomes": [o.to_dict() for o in self.outcomes]}


def iter_source_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Named files as given; folders recursively, picking files with a known extension and
    skipping hidden ones. Raises IngestError for a path that does not exist."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and child.suffix.lower() in WALK_SUFFIXES \
                        and not any(part.startswith(".") for part in rel.parts):
                    yield child
        else:
            yield path


def read_file(path: Path, level: Level | None = None, genre: str | None = None,
              limits: IngestLimits = IngestLimits(), progress: Progress = no_progress) -> Document:
    """Read and parse one file into a Document, touching no store."""
    source = str(path)
    if not path.exists():
        raise IngestError(source, "文件不存在", "no such file or folder", "请检查路径 / check the path")
    if not path.is_file():
        raise IngestError(source, "不是普通文件", "not a regular file", "请指定文件或文件夹 / name a file or folder")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise IngestError(
            source, f"文件过大（{size / 2**20:.0f} MB，上限 {limits.max_file_bytes / 2**20:.0f} MB）",
            f"file too large ({size / 2**20:.0f} MB; the limit is "
            f"{limits.max_file_bytes / 2**20:.0f} MB)",
            "请拆分文件，或调高 GUIHUA_MAX_FILE_MB / split the file or raise GUIHUA_MAX_FILE_MB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(source, f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc}",
                          "请检查文件权限 / check permissions") from None
    content_type = detect_content_type(path, data)
    reader = reader_for(content_type, limits)
    extracted = reader.read(path.resolve(), data, progress)
    doc = build_document(extracted, level=level, genre=genre)
    if not doc.clauses:
        raise IngestError(source, "未能从文件中识别出任何条文或段落",
                          "no clauses or passages could be recognised in the file",
                          "请确认文件含有正文；扫描件需安装 OCR（pip install 'guihua[ocr]'）/ check "
                          "the file has body text; scanned files need OCR")
    return doc


def ingest_paths(store: ClauseStore, paths: Iterable[Path], level: Level | None = None,
                 genre: str | None = None, limits: IngestLimits = IngestLimits(),
                 progress: Progress = no_progress, access: DocumentAccess | None = None
                 ) -> IngestReport:
    report = IngestReport()
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            report.outcomes.append(Outcome(str(path), "failed", message=str(IngestError(
                str(path), "文件或文件夹不存在", "no such file or folder", "请检查路径 / check the path"))))
            continue
        files.extend(iter_source_files([path]))
    for done, path in enumerate(files):
        progress(done, len(files), path.name)
        report.outcomes.append(_ingest_one(store, path, level, genre, limits, access))
    progress(len(files), len(files), "")
    return report


def _ingest_one(store: ClauseStore, path: Path, level: Level | None, genre: str | None,
                limits: IngestLimits, access: DocumentAccess | None) -> Outcome:
    source = str(path)
    try:
        doc = read_file(path, level, genre, limits)
        if access is not None:
            access.apply(doc)
        result = store.put(doc)
    except GuihuaError as exc:
        return Outcome(source, "failed", message=str(exc))
    except Exception as exc:  # a reader bug must not stop a folder ingest; report it plainly
        return Outcome(source, "failed",
                       message=f"{source}: 读取时出错 / unexpected error while reading: "
                               f"{type(exc).__name__}: {exc}")
    return Outcome(source, result.action, result.doc_id, sum(1 for _ in doc.walk()), result.note)


def ingest_embedded_laws(store: ClauseStore, progress: Progress = no_progress) -> IngestReport:
    """Load the embedded law database (idempotent: unchanged laws are skipped)."""
    report = IngestReport()
    total = count_laws()
    for done, doc in enumerate(read_law_database()):
        progress(done, total, doc.short_name)
        try:
            result = store.put(doc)
        except Exception as exc:  # one bad law must not stop the others
            report.outcomes.append(Outcome(doc.source, "failed", doc.doc_id,
                                           message=f"{doc.source}: {exc}"))
            continue
        report.outcomes.append(Outcome(doc.source, result.action, result.doc_id,
                                       sum(1 for _ in doc.walk()), result.note))
    progress(total, total, "")
    return report


def remove_document(store: ClauseStore, doc_id_or_source: str) -> list[Outcome]:
    """Remove a document by id or source path; an embedded law it had displaced comes back."""
    record = store.document_for_source(doc_id_or_source) \
        or store.document_for_source(str(Path(doc_id_or_source).resolve()))
    doc_id = record.doc_id if record else doc_id_or_source
    displaced = store.remove(doc_id)
    outcomes = [Outcome(doc_id_or_source, "removed", doc_id)]
    if displaced and displaced.startswith(SOURCE_PREFIX):
        law_id = displaced[len(SOURCE_PREFIX):]
        for doc in read_law_database(law_db_path(), law_id=law_id):
            result = store.put(doc)
            outcomes.append(Outcome(displaced, "restored", result.doc_id,
                                    sum(1 for _ in doc.walk())))
    return outcomes
