"""Celery tasks: job planning and one id range per scoring task, and the periodic pipeline.

The pipeline (beat) is preprocess -> score -> index: preprocessing of new articles runs
inline, scoring is a job like any submitted one, and the last chunk of every job (submitted,
scheduled or backfill) queues the index update of the version it scored with.
Crawling is scheduled by the crawler's own container (the app never imports the crawler).

Only Celery's own guarantees are relied on (acks_late redelivery, FIFO delivery of one queue,
`expires`); the broker's storage is never read.
"""

from __future__ import annotations

from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import InterfaceError, OperationalError

from app import scoring_jobs
from app.celery_app import celery_app, count_scored, worker_model, worker_shadow
from app.errors import NotFound
from app.settings import get_app_settings
from app.worker_database import worker_database
from newsmodel.db.models import ScoringJob
from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable, ModelNotAvailable, NewsmodelError
from newsmodel.logging import get_logger

__all__ = ["INDEX_TASK", "preprocess_new", "resume_stalled_jobs", "run_pipeline", "score_chunk"]

log = get_logger(__name__)
INDEX_TASK = "app.relations.celery_tasks.update_index"


@celery_app.task(
    name="app.celery_tasks.score_chunk",
    bind=True,
    # A lost database connection (Postgres restarted) is transient: retry, never drop the range.
    autoretry_for=(DependencyUnavailable, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=8,
)
def score_chunk(self: Any, job_id: str, lo: int | None = None, hi: int | None = None) -> dict[str, Any]:
    """Without a range: plan the job and queue one task per id range (workers share the job).
    With a range: score it; the task that finishes the job queues the index update, whatever
    queued the job (POST /v1/jobs, the pipeline, a backfill), so /v1/relations follows."""
    settings = get_app_settings()
    db = worker_database()
    try:
        handle = worker_model(_pinned_version(db, job_id))
    except ModelNotAvailable as exc:
        _mark_failed(db, job_id, str(exc))
        return {"job_id": job_id, "status": "failed", "error": str(exc)}
    try:
        if lo is None or hi is None:
            with db.transaction() as session:
                plan = scoring_jobs.start_job(session, job_id, handle, settings.score_chunk_size)
            for start, stop in plan.ranges:  # queued once the plan is committed
                self.apply_async(args=[job_id, start, stop])
            status, scored, finished = plan.status, 0, plan.finished_now
        else:
            shadow = worker_shadow()
            mirror = shadow.compare_now if shadow is not None else None
            result = scoring_jobs.score_range(db, job_id, handle, lo, hi, mirror=mirror)
            status, scored, finished = result.status, result.scored, result.finished_now
            count_scored(handle.version, scored)
    except NotFound:
        log.warning("job vanished; dropping its task", job_id=job_id)
        return {"job_id": job_id, "status": "missing"}
    except SoftTimeLimitExceeded as exc:
        return _out_of_time(self, db, job_id, lo, hi, exc)
    except DependencyUnavailable:
        raise
    except NewsmodelError as exc:
        _mark_failed(db, job_id, str(exc))
        return {"job_id": job_id, "status": "failed", "error": str(exc)}
    if finished:
        celery_app.send_task(INDEX_TASK, kwargs={"model_name": handle.name, "model_version": handle.version})
    log.info(
        "scoring task", job_id=job_id, range=(lo, hi), scored=scored, status=status, version=handle.version
    )
    return {"job_id": job_id, "status": status, "scored": scored}


def _out_of_time(
    task: Any, db: Database, job_id: str, lo: int | None, hi: int | None, exc: SoftTimeLimitExceeded
) -> dict[str, Any]:
    """A task past the soft time limit (a stalled dependency, an overloaded box) is sent again.

    Celery acknowledges a task that failed or timed out (`acks_late` only redelivers a task
    whose process died), so the range would be lost and the job read "running" until beat's
    watchdog re-planned it. Every range is idempotent (insert-or-ignore), so it is queued again,
    up to the task's `max_retries`; then the job fails with what to change.
    """
    limit = task.app.conf.task_soft_time_limit
    where = f"range [{lo}, {hi})" if lo is not None else "planning"
    if task.request.retries >= task.max_retries:
        error = (
            f"{where} ran past the soft time limit ({limit} s) {task.request.retries + 1} times; "
            "lower APP_SCORE_CHUNK_SIZE or raise APP_CELERY_VISIBILITY_TIMEOUT_S"
        )
        log.error("job failed: a task kept running out of time", job_id=job_id, error=error)
        _mark_failed(db, job_id, error)
        return {"job_id": job_id, "status": "failed", "error": error}
    log.warning(
        "task ran past the soft time limit; queued again",
        job_id=job_id,
        range=(lo, hi),
        limit_s=limit,
        attempt=task.request.retries + 1,
    )
    raise task.retry(exc=exc, countdown=0)


def _mark_failed(db: Database, job_id: str, error: str) -> None:
    with db.transaction() as session:
        scoring_jobs.mark_failed(session, job_id, error)


def _pinned_version(db: Database, job_id: str) -> str | None:
    """The version a job is pinned to: a backfill names it up front, a started job its first."""
    with db.transaction() as session:
        job = session.get(ScoringJob, job_id)
        return job.model_version if job is not None else None


@celery_app.task(name="app.celery_tasks.preprocess_new")
def preprocess_new() -> dict[str, Any]:
    """Turn up to APP_PREPROCESS_ARTICLES_PER_RUN new articles into sentence rows.

    Bounded per run so the task stays under the visibility timeout; the next beat continues.
    """
    from newsmodel.preprocess import preprocess_articles

    settings = get_app_settings()
    report = preprocess_articles(
        worker_database(), limit=settings.preprocess_articles_per_run, progress=False
    )
    log.info("preprocessed", summary=report.summary())
    return {"articles": report.articles, "rows": report.rows, "pending_before": report.pending_before}


@celery_app.task(name="app.celery_tasks.run_pipeline")
def run_pipeline() -> dict[str, Any]:
    """Beat entry point: preprocess -> score (a job) -> index (queued by the job's last chunk)."""
    settings = get_app_settings()
    preprocess_new()
    name = settings.registered_model_name
    with worker_database().transaction() as session:
        job, created = scoring_jobs.create_job_once(
            session, f"scheduled-score:{name}", "score", {"scheduled": True, "then": "index"}, name
        )
    if not created:
        log.info("a scheduled scoring job is still active; not starting another", job_id=job["id"])
        return {"job_id": job["id"], "started": False}
    score_chunk.delay(job["id"])  # the job is committed
    return {"job_id": job["id"], "started": True}


@celery_app.task(name="app.celery_tasks.resume_stalled_jobs")
def resume_stalled_jobs() -> dict[str, Any]:
    """Beat watchdog: re-send the planning task of jobs whose messages were lost.

    acks_late and the visibility timeout bring back a message whose worker died, but not one
    the broker itself lost (Redis restarted without its data) or a chunk killed at the hard
    time limit; such a job would read "running" for ever. Beat sends this task with `expires`
    (APP_JOB_WATCHDOG_INTERVAL_S, at most half the stall threshold): a message that waited
    longer behind a backlog is dropped by Celery unrun, so when this runs, every message queued
    before it (FIFO) has been delivered. A job that has not moved for APP_JOB_STALLED_AFTER_S
    therefore has no message left waiting anywhere: it is planned again. A backlog never
    reaches this code. (Sent by hand without `expires`, the caller vouches that the queue is
    drained.)
    """
    settings = get_app_settings()
    with worker_database().transaction() as session:
        stalled = scoring_jobs.take_stalled(session, settings.stalled_after_s, settings.job_max_resumes)
    for job_id in stalled.resend:
        log.warning("job stalled with nothing queued before this check; planning it again", job_id=job_id)
        score_chunk.delay(job_id)
    for job_id in stalled.failed:
        log.error("job stalled too many times; marked failed", job_id=job_id)
    return {"resent": stalled.resend, "failed": stalled.failed}
