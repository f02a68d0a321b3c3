"""The server's document library: ingest an uploaded file (kept under <data>/documents) and
remove a document, then bring graph and index up to date. Shared by the API and the UI.

A failed ingest leaves the store as it was (each file is one transaction) and puts back the
library file it would have replaced."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.api.services import Services
from corpus.access import DocumentAccess
from corpus.errors import GuihuaError
from corpus.ingest import IngestReport, Outcome, ingest_paths, remove_document
from corpus.model import Level
from corpus.readers.base import Progress, no_progress
from corpus.store import ClauseStore


def ingest_upload(services: Services, upload: Path, access: DocumentAccess,
                  level: Level | None = None, progress: Progress = no_progress) -> IngestReport:
    library = services.config.data_dir / "documents"
    library.mkdir(exist_ok=True)
    target = library / upload.name
    backup = target.with_name(target.name + ".previous")
    with services.write_lock():
        if target.exists():
            shutil.copy2(target, backup)
        shutil.copy2(upload, target)
        with ClauseStore(services.config.store_path) as writer:  # its own connection
            report = ingest_paths(writer, [target], level=level, limits=services.config.limits,
                                  access=access)
        if report.failures:
            if backup.exists():
                backup.replace(target)
            else:
                target.unlink()
            raise GuihuaError(report.outcomes[0].message)
        backup.unlink(missing_ok=True)
        services.after_change(progress)
    return report


def remove_from_library(services: Services, doc_id: str) -> list[Outcome]:
    services.store.document(doc_id)  # not found: nothing changes
    with services.write_lock():
        with ClauseStore(services.config.store_path) as writer:
            outcomes = remove_document(writer, doc_id)
        services.after_change()
    return outcomes
