"""Retraining requests in the database: coalesced into one queued run, claimed by one process.

Light (SQLAlchemy only): the API, Celery workers, drift monitoring and `newsmodel data import`
call `request_retraining` without torch. At most one run is queued and one running (partial
unique indexes): a request joins the queued run if there is one (its trigger recorded with
`coalesced`), else it queues a new one - also while another runs, because the running one
already read its data. Concurrent requests race on the unique index; the loser joins the winner.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newsmodel.db.models import RetrainingRun, RetrainingTrigger, utcnow
from newsmodel.db.session import Database
from newsmodel.errors import ConfigError
from newsmodel.retraining.triggers import TRIGGERS

__all__ = [
    "RetrainRequest",
    "claim_next",
    "fail_abandoned",
    "finish_run",
    "last_scheduled_at",
    "queue_request",
    "recent_runs",
    "run_summary",
]


@dataclass(frozen=True)
class RetrainRequest:
    """What became of one request: the run it queued or joined, or why it was ignored."""

    run_id: int | None
    status: str  # queued | ignored
    trigger: str
    coalesced: bool = False
    running_id: int | None = None  # a run in progress when this one was queued
    note: str = ""

    def line(self) -> str:
        if self.run_id is None:
            return f"retraining not requested ({self.trigger}): {self.note}"
        how = "joined the queued" if self.coalesced else "queued"
        behind = f", after run #{self.running_id} in progress" if self.running_id else ""
        return f"retraining requested ({self.trigger}): {how} run #{self.run_id}{behind}"


def _queued(session: Session) -> RetrainingRun | None:
    # FOR UPDATE: a request and a claim of the same run wait for each other (Postgres; SQLite
    # serialises writers anyway), so a trigger never joins a run that has already started.
    stmt = select(RetrainingRun).where(RetrainingRun.status == "queued").with_for_update()
    return session.scalars(stmt).first()


def queue_request(db: Database, trigger: str, reason: str, *, attempts: int = 5) -> RetrainRequest:
    """Record the request: join the queued run, or queue one (see the module docstring)."""
    if trigger not in TRIGGERS:
        raise ConfigError(f"unknown retraining trigger {trigger!r}; use one of {', '.join(TRIGGERS)}")
    for _ in range(attempts):
        try:
            with db.transaction() as session:
                queued = _queued(session)
                running = session.scalars(
                    select(RetrainingRun.id).where(RetrainingRun.status == "running")
                ).first()
                if queued is None:
                    queued = RetrainingRun(status="queued", trigger=trigger, candidates=[])
                    session.add(queued)
                    session.flush()  # the unique index refuses a second queued run here
                    coalesced = False
                else:
                    coalesced = True
                session.add(
                    RetrainingTrigger(run_id=queued.id, trigger=trigger, reason=reason, coalesced=coalesced)
                )
                session.flush()
                return RetrainRequest(queued.id, "queued", trigger, coalesced, running)
        except IntegrityError:
            continue  # another process queued one a moment ago (or claimed it): look again
    raise ConfigError(f"could not queue a retraining request after {attempts} attempts (constant contention)")


def fail_abandoned(db: Database) -> list[int]:
    """Runs left `running` by a process that died. Called only by the lock holder, which proves
    nobody else runs one."""
    with db.transaction() as session:
        ids = list(session.scalars(select(RetrainingRun.id).where(RetrainingRun.status == "running")))
        if ids:
            session.execute(
                update(RetrainingRun)
                .where(RetrainingRun.id.in_(ids))
                .values(
                    status="failed",
                    outcome="failed",
                    finished_at=utcnow(),
                    detail="interrupted: the process running it stopped before it finished",
                )
            )
    return ids


def claim_next(db: Database) -> RetrainingRun | None:
    """The queued run, now `running` and owned by this process (None when nothing is queued, or
    while another run is running)."""
    with db.transaction() as session:
        if session.scalars(select(RetrainingRun.id).where(RetrainingRun.status == "running")).first():
            return None  # one runs already (its process holds the lock or died: fail_abandoned)
        run = _queued(session)
        if run is None:
            return None
        run.status, run.started_at = "running", utcnow()
        run.claimed_by = f"{socket.gethostname()}:{os.getpid()}"
        session.flush()
        session.refresh(run, ["triggers"])
        session.expunge(run)
        return run


def finish_run(
    db: Database,
    run_id: int,
    outcome: str,
    detail: str,
    candidates: list[dict[str, Any]],
    model_name: str | None = None,
    challenger_version: str | None = None,
) -> None:
    with db.transaction() as session:
        run = session.get(RetrainingRun, run_id)
        assert run is not None, run_id
        run.status = "failed" if outcome == "failed" else "finished"
        run.outcome, run.detail, run.candidates = outcome, detail, candidates
        run.model_name, run.challenger_version = model_name, challenger_version
        run.finished_at = utcnow()


def last_scheduled_at(db: Database) -> dt.datetime | None:
    """When the schedule last asked for a run (the worker's `since` for the next fire time)."""
    with db.transaction() as session:
        return session.scalar(
            select(func.max(RetrainingTrigger.requested_at)).where(RetrainingTrigger.trigger == "schedule")
        )


@dataclass(frozen=True)
class RunSummary:
    id: int
    status: str
    outcome: str | None
    triggers: list[str]
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    challenger_version: str | None
    detail: str
    candidates: list[dict[str, Any]] = field(default_factory=list)


def run_summary(run: RetrainingRun) -> RunSummary:
    return RunSummary(
        run.id,
        run.status,
        run.outcome,
        [
            f"{t.trigger}{' (coalesced)' if t.coalesced else ''}: {t.reason}".rstrip(": ")
            for t in run.triggers
        ],
        run.requested_at,
        run.started_at,
        run.finished_at,
        run.challenger_version,
        run.detail or "",
        list(run.candidates or []),
    )


def recent_runs(db: Database, limit: int = 10) -> list[RunSummary]:
    """The latest runs, newest first, with every trigger that joined each."""
    with db.transaction() as session:
        runs = session.scalars(select(RetrainingRun).order_by(RetrainingRun.id.desc()).limit(limit)).all()
        return [run_summary(r) for r in runs]
