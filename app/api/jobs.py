"""Background jobs (plan reviews, document ingests) with progress, so a long job never blocks a
request: each runs on a worker thread and is polled by id."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from corpus.errors import GuihuaError
from corpus.readers.base import Progress


@dataclass
class Job:
    id: str
    kind: str  # review, ingest
    owner: str
    folder: Path
    status: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    stage: str = ""
    error: str | None = None
    result: Any = None
    created_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "progress": {"done": self.done, "total": self.total, "stage": self.stage,
                             "fraction": round(self.done / self.total, 3) if self.total else
                             (1.0 if self.status == "done" else 0.0)},
                "error": self.error, "created_at": self.created_at}


Work = Callable[[Job, Progress], Any]


class JobQueue:
    def __init__(self, root: Path, workers: int) -> None:
        self.root = root
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="guihua-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def new(self, kind: str, owner: str) -> Job:
        """A job with its own folder, for the uploads it will read."""
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        folder.mkdir(parents=True)
        job = Job(job_id, kind, owner, folder)
        with self._lock:
            self._jobs[job_id] = job
        return job

    def discard(self, job: Job) -> None:
        """Forget a job that never started (its uploads were refused) and its files."""
        with self._lock:
            self._jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def start(self, job: Job, work: Work) -> None:
        self._pool.submit(self._run, job, work)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Job, work: Work) -> None:
        def progress(done: int, total: int, what: str = "") -> None:
            job.done, job.total, job.stage = done, total, what

        job.status = "running"
        try:
            job.result = work(job, progress)
        except GuihuaError as exc:
            job.status, job.error = "failed", str(exc)
        except Exception as exc:  # a bug in one job must not kill the worker; say what it was
            job.status = "failed"
            job.error = f"内部错误 / internal error: {type(exc).__name__}: {exc}"
        else:
            job.status = "done"
