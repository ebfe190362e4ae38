"""Backfill after a promotion: rescore the whole history with the new live version, then index it.

A backfill is a `scoring_jobs` row of kind "backfill", at most one active per version (its
dedupe key, enforced by the database); the scoring itself belongs to the serving side
(`app.scoring_jobs.score_chunk`, one chunk per call) and is reached through `ChunkScorer`, so
this module never loads a model. Under Celery the chunks run as `app.celery_tasks.score_chunk`
messages and the last chunk queues the index task, as for every scoring job; in-process
(embedded mode, tests) `run_backfill` loops the chunks itself and builds the index.
The previous version's predictions and index rows are left as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.scoring_jobs import create_job_once
from newsmodel.db.models import ScoringJob
from newsmodel.db.session import Database
from newsmodel.logging import get_logger
from newsmodel.relindex import BuildReport, build_index
from newsmodel.relindex.history import ACTIVE_JOB_STATUSES, BACKFILL_KIND

if TYPE_CHECKING:
    from app.model_follower import ModelHandle
    from newsmodel.relindex.quantify import Calibration

__all__ = [
    "BACKFILL_KIND",
    "BackfillReport",
    "ChunkScorer",
    "backfill_key",
    "create_backfill_job",
    "handle_scorer",
    "run_backfill",
]

_ACTIVE = ACTIVE_JOB_STATUSES

log = get_logger(__name__)


class ChunkScorer(Protocol):
    """Scores the next chunk of a scoring job; returns True while more chunks remain."""

    def __call__(self, db: Database, job_id: str) -> bool: ...


def handle_scorer(get_handle: Callable[[], ModelHandle], chunk_size: int) -> ChunkScorer:
    """The serving side's chunk scorer (`app.scoring_jobs.score_chunk`) bound to a live model handle."""

    def score(db: Database, job_id: str) -> bool:
        from app.scoring_jobs import score_chunk

        return score_chunk(db, job_id, get_handle(), chunk_size).more

    return score


@dataclass(frozen=True)
class BackfillReport:
    job_id: str
    status: str
    model_name: str | None
    model_version: str | None
    scored: int
    index: BuildReport | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def create_backfill_job(
    session: Session, model_name: str, model_version: str | None = None
) -> tuple[str, bool]:
    """Queue a backfill job for `model_version` (None: whatever is live when it starts).

    Returns (job id, created); the caller commits before sending its first task. An active
    backfill of the same version is reused, so a promotion noticed twice (poll and webhook, or
    by every API replica) scores the history once: the database's unique index over active
    jobs' keys settles a race, not this function's read.
    """
    stmt = select(ScoringJob).where(
        ScoringJob.kind == BACKFILL_KIND,
        ScoringJob.status.in_(_ACTIVE),
        ScoringJob.model_name == model_name,
    )
    for active in session.scalars(stmt):
        wanted = active.params.get("model_version")
        if model_version is None or wanted in (None, model_version):
            return active.id, False
    job, created = create_job_once(
        session,
        backfill_key(model_name, model_version),
        BACKFILL_KIND,
        # "then" is informational now: every job that succeeds queues its version's index.
        {"then": "index", "model_version": model_version, "reason": "promotion"},
        model_name,
        # The scorer marks the job superseded if the live version is not this one.
        model_version=model_version,
    )
    if created:
        log.info("backfill queued", job_id=job["id"], model=model_name, version=model_version)
    return str(job["id"]), created


def backfill_key(model_name: str, model_version: str | None) -> str:
    """The dedupe key of a version's backfill ("*": whatever version is live when it starts)."""
    return f"{BACKFILL_KIND}:{model_name}:{model_version or '*'}"


def run_backfill(
    db: Database,
    job_id: str,
    scorer: ChunkScorer,
    *,
    since: dt.date | None = None,
    max_chunks: int | None = None,
    calibration: Calibration | None = None,
) -> BackfillReport:
    """Score every chunk of the job in this thread, then build the index of the version it used
    (class shares corrected with `calibration`, the version's own; None: plain averaging)."""
    chunks = 0
    while scorer(db, job_id):
        chunks += 1
        if max_chunks is not None and chunks >= max_chunks:
            break
    with db.transaction() as session:
        job = session.get(ScoringJob, job_id)
        if job is None:
            raise LookupError(f"backfill job {job_id} vanished")
        status, name, version, scored = job.status, job.model_name, job.model_version, job.done
    index = None
    if status == "succeeded" and name and version:
        index = build_index(db, model_name=name, model_version=version, since=since, calibration=calibration)
        from app.relations.drift import refresh_drift  # late: drift pulls in the registry client
        from app.settings import get_app_settings

        refresh_drift(db, get_app_settings(), name, version)
    report = BackfillReport(job_id, status, name, version, scored, index)
    log.info("backfill finished", job_id=job_id, status=status, version=version, scored=scored)
    return report
