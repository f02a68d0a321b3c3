"""Starting a plan review as a background job: shared by the API and the UI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from agents.review.pipeline import ReviewReport, ReviewRequest, review_plan
from app.api.jobs import Job
from app.api.services import Services
from app.security.access import Principal
from corpus.readers.base import Progress


def start_review(services: Services, principal: Principal, job: Job, plan: Path,
                 parcels: Path | None, zones: tuple[Path, ...], conditions: Path | None,
                 day: date) -> Job:
    """Run the review of files already checked and saved in `job.folder`, as `principal`:
    its findings quote only clauses that caller may see."""
    view = services.view(principal)

    def work(_job: Job, progress: Progress) -> ReviewReport:
        return review_plan(ReviewRequest(plan, parcels, zones, conditions),
                           services.engine(view, day), progress=progress,
                           searcher=view.searcher, day=day)

    services.jobs.start(job, work)
    return job
