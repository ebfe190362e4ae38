"""`newsmodel retrain worker`: the trainer container's long-running loop.

Each tick: if a fire time of RETRAIN_SCHEDULE passed since the last scheduled request (or since
the worker started, the first time), request a `schedule` run; then run the queued run, if any
and if no other process is running one. Requests from other processes (new labeled data, drift,
manual) wait in the database for the next tick.
"""

from __future__ import annotations

import datetime as dt
import threading

from newsmodel.cron import cron_trigger, fired_between, first_fire_after
from newsmodel.db.locks import LockBusy
from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable
from newsmodel.logging import get_logger
from newsmodel.retraining.queue import last_scheduled_at
from newsmodel.retraining.runner import RetrainOutcome, run_pending
from newsmodel.retraining.trigger import request_retraining
from newsmodel.settings import BaseServiceSettings

__all__ = ["run_worker", "tick"]

log = get_logger(__name__)


def tick(db: Database, settings: BaseServiceSettings, started_at: dt.datetime) -> RetrainOutcome | None:
    """One pass of the loop (see the module docstring)."""
    now = dt.datetime.now(dt.UTC)
    schedule = cron_trigger(settings.retrain_schedule)
    if settings.retrain_enabled and "schedule" in settings.retrain_triggers:
        since = last_scheduled_at(db) or started_at
        fired = fired_between(schedule, since, now)
        if fired is not None:
            request_retraining(
                "schedule",
                f"RETRAIN_SCHEDULE {settings.retrain_schedule} at {fired:%Y-%m-%d %H:%M}Z",
                db=db,
                settings=settings,
            )
    try:
        return run_pending(settings, db)
    except LockBusy:
        log.info("retraining: another process is running one; the queued run waits")
        return None


def run_worker(settings: BaseServiceSettings, stop: threading.Event | None = None) -> None:
    """Tick every RETRAIN_POLL_S until `stop` is set (or forever)."""
    stop = stop or threading.Event()
    started_at = dt.datetime.now(dt.UTC)
    schedule = cron_trigger(settings.retrain_schedule)
    log.info(
        "retraining worker started",
        schedule=settings.retrain_schedule,
        next_scheduled=str(first_fire_after(schedule, started_at)),
        experiments=settings.retrain_experiments,
        enabled=settings.retrain_enabled,
    )
    db = Database.connect(settings.database_url)
    try:
        while not stop.is_set():
            try:
                outcome = tick(db, settings, started_at)
            except DependencyUnavailable as exc:  # the database or MLflow is down: try again later
                log.warning("retraining tick failed", error=str(exc))
                stop.wait(settings.retrain_poll_s)
                continue
            if outcome is not None:
                log.info("retraining run done", line=outcome.line())
                continue  # a request may have queued while it ran
            stop.wait(settings.retrain_poll_s)
    finally:
        db.dispose()
