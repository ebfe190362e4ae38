"""Bulk scoring jobs: submit, status, cancel. Submitting only queues; nothing waits on a worker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from app import scoring_jobs
from app.api.deps import DbSession, require_api_key
from app.schemas import ErrorResponse, JobRequest, JobResponse
from app.state import AppState, get_state

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/jobs",
    tags=["jobs"],
    dependencies=[Depends(require_api_key)],
    responses={401: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
State = Annotated[AppState, Depends(get_state)]
# Ids are UUIDs; anything else is refused before it reaches SQL (a NUL byte made Postgres raise).
JobId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="Job id")]


@router.post("", response_model=JobResponse, status_code=status.HTTP_202_ACCEPTED)
def submit_job(body: JobRequest, state: State, session: DbSession) -> JobResponse:
    settings = state.settings
    limit = min(body.limit or settings.max_job_sentences, settings.max_job_sentences)
    state.jobs.ensure_available()  # 503 before a job row exists, not a job stuck in "queued"
    job = scoring_jobs.create_job(session, body.kind, {"limit": limit}, settings.registered_model_name)
    session.commit()  # a worker that takes the message at once must find the row
    try:
        state.jobs.submit(job["id"])
    except Exception as exc:
        scoring_jobs.mark_failed(session, job["id"], f"could not be queued: {exc}")
        session.commit()
        raise
    state.metrics.jobs_submitted.labels(kind=body.kind).inc()
    return JobResponse(**job, runner=state.jobs.name)


@router.get("/{job_id}", response_model=JobResponse, responses={404: {"model": ErrorResponse}})
def get_job(job_id: JobId, state: State, session: DbSession) -> JobResponse:
    return JobResponse(**scoring_jobs.get_job(session, job_id), runner=state.jobs.name)


@router.delete(
    "/{job_id}",
    response_model=JobResponse,
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
def cancel_job(job_id: JobId, state: State, session: DbSession) -> JobResponse:
    return JobResponse(**scoring_jobs.request_cancel(session, job_id), runner=state.jobs.name)
