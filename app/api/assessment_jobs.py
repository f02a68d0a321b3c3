"""Starting an assessment (体检评估) as a background job: shared by the API and the UI. The result
keeps the narrative with it, so every report format says the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from agents.assessment.assessment import AssessmentRequest, AssessmentResult, assess
from agents.assessment.basis import assessment_day, legal_basis
from agents.assessment.narrative import Narrative, draft_narrative
from app.api.jobs import Job
from app.api.services import Services
from app.security.access import Principal
from corpus.readers.base import Progress


@dataclass
class AssessmentOutcome:
    result: AssessmentResult
    narrative: Narrative

    def to_dict(self) -> dict:
        from agents.assessment.report import to_json

        return to_json(self.result, self.narrative)


def start_assessment(services: Services, principal: Principal, job: Job,
                     request: AssessmentRequest) -> Job:
    """Run it as `principal`: the narrative cites only clauses that caller may see."""
    searcher = services.view(principal).searcher

    def work(_job: Job, progress: Progress) -> AssessmentOutcome:
        result = assess(request, progress)
        basis = legal_basis(result, searcher, assessment_day(request.year)) if searcher else []
        with services.model_turn():
            narrative = draft_narrative(result, services.backend, basis)
        return AssessmentOutcome(result, narrative)

    services.jobs.start(job, work)
    return job
