"""Celery tasks of the relation index: incremental build, and backfill after a promotion.

Defined with `@shared_task`, so this module never imports `app.celery_app`: the worker lists it in
its task modules and the tasks bind to that app. Task names are the contract with the rest of
the app: `app.celery_tasks.score_chunk` queues `update_index` when any scoring job succeeds, and
the model follower (or an operator) sends `backfill_index` when the live version changes.
Each task is bounded (`max_days` days of index per task, chained), so none outlives the
broker's visibility timeout.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from app.relations.backfill import create_backfill_job
from app.relations.drift import refresh_drift
from app.worker_database import worker_database
from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable
from newsmodel.logging import get_logger
from newsmodel.monitoring import DriftUpdate
from newsmodel.registry.calibration import version_calibration
from newsmodel.registry.live import live_version
from newsmodel.relindex import build_index, version_to_index
from newsmodel.settings import BaseServiceSettings, get_settings

__all__ = ["BACKFILL_TASK", "SCORE_CHUNK_TASK", "UPDATE_INDEX_TASK", "backfill_index", "update_index"]

UPDATE_INDEX_TASK = "app.relations.celery_tasks.update_index"
BACKFILL_TASK = "app.relations.celery_tasks.backfill_index"
SCORE_CHUNK_TASK = "app.celery_tasks.score_chunk"
DAYS_PER_TASK = 93

log = get_logger(__name__)


@shared_task(
    name=UPDATE_INDEX_TASK,
    bind=True,
    acks_late=True,
    autoretry_for=(DependencyUnavailable,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=8,
)
def update_index(
    self: Any,
    model_name: str | None = None,
    model_version: str | None = None,
    since: str | None = None,
    force: bool = False,
    max_days: int = DAYS_PER_TASK,
) -> dict[str, Any]:
    """Bring a version's index up to date (default: the live version, else the newest scored).

    Recomputes at most `max_days` days, then queues itself for the rest (`since` = next day);
    the last task of the chain also brings the version's drift series up to date.
    """
    settings = get_settings()
    db = worker_database()
    name = model_name or settings.registered_model_name
    from mlflow.tracking import MlflowClient

    uri = settings.mlflow_tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if model_version is None:
        live = live_version(client, name)
        with db.transaction() as session:
            model_version, _why = version_to_index(session, name, live.version if live else None)
    since_day = dt.date.fromisoformat(since) if since else None
    report = build_index(
        db,
        model_name=name,
        model_version=model_version,
        since=since_day,
        force=force,
        max_days=max_days,
        calibration=version_calibration(client, uri, name, model_version),
    )
    if report.next_day is not None:
        self.apply_async(
            kwargs={
                "model_name": name,
                "model_version": model_version,
                "since": report.next_day.isoformat(),
                "force": force,
                "max_days": max_days,
            }
        )
    result = report.as_dict()
    result["next_day"] = report.next_day.isoformat() if report.next_day else None
    if report.next_day is None:  # the index is whole: judge the version's new days for drift
        result["drift"] = _refresh_drift(db, settings, name, model_version).as_dict()
    return result


def _refresh_drift(db: Database, settings: BaseServiceSettings, name: str, version: str) -> DriftUpdate:
    """Drift of the version's new days, with the worker's tokenizer when it holds that version."""
    from app.celery_app import loaded_model  # late: app.celery_app lists this module as its tasks

    handle = loaded_model()
    predictor = (
        handle.predictor if handle is not None and (handle.name, handle.version) == (name, version) else None
    )
    return refresh_drift(db, settings, name, version, predictor)


@shared_task(
    name=BACKFILL_TASK, bind=True, acks_late=True, autoretry_for=(DependencyUnavailable,), max_retries=8
)
def backfill_index(
    self: Any, model_name: str | None = None, model_version: str | None = None
) -> dict[str, Any]:
    """Rescore history with the live version, then rebuild its index (older versions' rows stay).

    Queues a backfill scoring job whose chunks run as `app.celery_tasks.score_chunk`; the last chunk
    queues `update_index` for the version it scored with.
    """
    settings = get_settings()
    name = model_name or settings.registered_model_name
    with worker_database().transaction() as session:
        job_id, created = create_backfill_job(session, name, model_version)
    if created:  # committed: the worker that takes the task finds the job
        self.app.send_task(SCORE_CHUNK_TASK, args=[job_id])
    log.info("backfill requested", job_id=job_id, created=created, model=name, version=model_version)
    return {"job_id": job_id, "created": created, "model_name": name, "model_version": model_version}
