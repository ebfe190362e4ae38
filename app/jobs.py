"""Bulk scoring jobs in the database: create, read, cancel, and score one chunk.

One chunk is the unit of work (and of a Celery task), so a task never runs longer than one
chunk and the broker's visibility timeout can be sized to it. Scoring is idempotent: rows go
in with insert-on-conflict-do-nothing on (sentence_id, model_name, model_version), so a chunk
run twice (worker killed after the insert, before the ack) never duplicates a prediction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from app.model_follower import ModelHandle
from newsmodel.db.models import Prediction, ScoringJob, Sentence
from newsmodel.db.session import get_engine, session_scope
from newsmodel.errors import DependencyUnavailable
from newsmodel.logging import get_logger
from newsmodel.settings import redact_url

__all__ = [
    "FINAL_STATUSES",
    "ChunkResult",
    "count_jobs",
    "create_job",
    "get_job",
    "mark_failed",
    "request_cancel",
    "run_job_inline",
    "score_chunk",
]

log = get_logger(__name__)
FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled", "superseded"})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _db_error(url: str, exc: SQLAlchemyError) -> DependencyUnavailable:
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300] if str(exc) else type(exc).__name__
    return DependencyUnavailable("database", "DATABASE_URL", redact_url(url), reason)


def job_view(job: ScoringJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "model_name": job.model_name,
        "model_version": job.model_version,
        "params": job.params,
        "total": job.total,
        "done": job.done,
        "cancel_requested": job.cancel_requested,
        "error": job.error,
        "submitted_at": job.submitted_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def create_job(url: str, kind: str, params: dict[str, Any], model_name: str) -> dict[str, Any]:
    try:
        with session_scope(url) as s:
            job = ScoringJob(kind=kind, status="queued", model_name=model_name, params=params)
            s.add(job)
            s.flush()
            return job_view(job)
    except SQLAlchemyError as exc:
        raise _db_error(url, exc) from exc


def get_job(url: str, job_id: str) -> dict[str, Any]:
    try:
        with session_scope(url) as s:
            job = s.get(ScoringJob, job_id)
            if job is None:
                raise NotFound(f"no job with id {job_id!r}")
            return job_view(job)
    except SQLAlchemyError as exc:
        raise _db_error(url, exc) from exc


def request_cancel(url: str, job_id: str) -> dict[str, Any]:
    """Cancel now if still queued; otherwise the running chunk stops at its next boundary."""
    try:
        with session_scope(url) as s:
            job = s.get(ScoringJob, job_id, with_for_update=True)
            if job is None:
                raise NotFound(f"no job with id {job_id!r}")
            if job.status in FINAL_STATUSES:
                raise Conflict(f"job {job_id} already {job.status}; nothing to cancel")
            job.cancel_requested = True
            if job.status == "queued":
                job.status = "cancelled"
                job.finished_at = _now()
            return job_view(job)
    except SQLAlchemyError as exc:
        raise _db_error(url, exc) from exc


def mark_failed(url: str, job_id: str, error: str) -> None:
    with session_scope(url) as s:
        job = s.get(ScoringJob, job_id)
        if job is not None and job.status not in FINAL_STATUSES:
            job.status, job.error, job.finished_at = "failed", error[:2000], _now()


def count_jobs(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        rows = s.execute(select(ScoringJob.status, func.count()).group_by(ScoringJob.status)).all()
        return {str(status): int(n) for status, n in rows}


def _unscored(model_name: str, model_version: str) -> Any:
    scored = exists().where(
        Prediction.sentence_id == Sentence.id,
        Prediction.model_name == model_name,
        Prediction.model_version == model_version,
    )
    return ~scored


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the (sentence, model, version) unique key."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - the schema supports Postgres and SQLite only
        raise DependencyUnavailable(
            "database", "DATABASE_URL", dialect, "only Postgres and SQLite are supported"
        )
    stmt = insert(Prediction).values(rows)
    session.execute(
        stmt.on_conflict_do_nothing(index_elements=["sentence_id", "model_name", "model_version"])
    )


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk did; `more` says whether another chunk should be queued."""

    status: str
    scored: int
    more: bool


def score_chunk(url: str, job_id: str, handle: ModelHandle, chunk_size: int) -> ChunkResult:
    """Score the next `chunk_size` sentences that `handle`'s version has not scored yet."""
    with session_scope(url) as s:
        job = s.get(ScoringJob, job_id, with_for_update=True)
        if job is None:
            raise NotFound(f"no job with id {job_id!r}")
        if job.status in FINAL_STATUSES:
            return ChunkResult(job.status, 0, False)
        if job.cancel_requested:
            job.status, job.finished_at = "cancelled", _now()
            return ChunkResult(job.status, 0, False)
        if job.model_version and (job.model_version != handle.version or job.model_name != handle.name):
            job.status, job.finished_at = "superseded", _now()
            job.error = (
                f"model changed from v{job.model_version} to v{handle.version} during the job; "
                "submit a new job to score with the new version"
            )
            return ChunkResult(job.status, 0, False)
        limit = job.params.get("limit")
        unscored = _unscored(handle.name, handle.version)
        if job.status == "queued":
            remaining = s.scalar(select(func.count()).select_from(Sentence).where(unscored)) or 0
            job.status, job.started_at = "running", _now()
            job.model_name, job.model_version = handle.name, handle.version
            job.total = min(remaining, limit) if limit else remaining
        done = _done_by(s, job)
        want = chunk_size if not limit else max(0, min(chunk_size, int(limit) - done))
        batch = s.execute(
            select(Sentence.id, Sentence.text).where(unscored).order_by(Sentence.id).limit(want)
        ).all()
        if batch:
            rows = handle.predictor.predict([text for _, text in batch])
            _insert_ignore(
                s,
                [
                    {
                        "sentence_id": sid,
                        "model_name": handle.name,
                        "model_version": handle.version,
                        "label": row["label"],
                        "probabilities": row["probabilities"],
                        "job_id": job.id,
                        "created_at": _now(),
                    }
                    for (sid, _), row in zip(batch, rows, strict=True)
                ],
            )
            s.flush()
        job.done = _done_by(s, job)
        job.total = max(job.total, job.done)
        more = len(batch) == want and want > 0 and (not limit or job.done < int(limit))
        if not more:
            job.status, job.finished_at = "succeeded", _now()
        return ChunkResult(job.status, len(batch), more)


def _done_by(session: Session, job: ScoringJob) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Prediction).where(Prediction.job_id == job.id)) or 0
    )


def run_job_inline(url: str, job_id: str, get_handle: Callable[[], ModelHandle], chunk_size: int) -> None:
    """Embedded mode: run a whole job chunk by chunk in the calling thread."""
    try:
        get_engine(url)
        while True:
            result = score_chunk(url, job_id, get_handle(), chunk_size)
            if not result.more:
                log.info("job finished", job_id=job_id, status=result.status)
                return
    except Exception as exc:  # recorded on the job: the thread has no caller to raise to
        log.exception("job failed", job_id=job_id)
        try:
            mark_failed(url, job_id, f"{type(exc).__name__}: {exc}")
        except SQLAlchemyError:
            log.exception("could not record the job failure", job_id=job_id)
