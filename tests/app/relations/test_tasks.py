"""The relation tasks in a real Celery worker (the app's own `app.celery_app:celery_app`) on Redis."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import func, select

from app.relations.celery_tasks import BACKFILL_TASK, UPDATE_INDEX_TASK
from newsmodel.db.models import DriftPoint, RelationIndexRow, ScoringJob
from tests.app.relations.history import seed_history
from tests.newsmodel.relindex.seed import MODEL
from tests.support.db import session_scope

LAST_DAY = dt.date(2026, 7, 31)
QUEUE = "newsmodel"  # the app's task_default_queue


def _wait(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def worker(start_celery_worker: Callable[..., Any], base_service_env: dict[str, str], db: str) -> Any:
    env = {**base_service_env, "DATABASE_URL": db}
    return start_celery_worker(
        app="app.celery_app:celery_app", env=env, extra_args=["--include", "app.relations.celery_tasks"]
    )


@pytest.fixture
def client(redis_url: str) -> Any:
    app = Celery("relations-test-client", broker=redis_url)
    try:
        yield app
    finally:
        app.close()


def _days(url: str, version: str) -> int:
    with session_scope(url) as s:
        return int(
            s.scalar(
                select(func.count(func.distinct(RelationIndexRow.day))).where(
                    RelationIndexRow.model_version == version
                )
            )
            or 0
        )


def _drift_days(db: str, version: str) -> int:
    with session_scope(db) as session:
        return int(
            session.scalar(
                select(func.count(func.distinct(DriftPoint.day))).where(DriftPoint.model_version == version)
            )
            or 0
        )


def test_update_index_task_builds_in_chained_slices(db: str, worker: Any, client: Celery) -> None:
    with session_scope(db) as session:
        seed_history(session, LAST_DAY, days=10, versions=("1",))
    # Four days per task: the task queues itself with `since` until every day is built.
    client.send_task(UPDATE_INDEX_TASK, kwargs={"model_version": "1", "max_days": 4}, queue=QUEUE)
    _wait(lambda: _days(db, "1") == 10, 60, "10 indexed days")
    # the last task of the chain judged the version's days for drift (too few sentences here)
    _wait(lambda: _drift_days(db, "1") == 10, 60, "10 days judged for drift")
    log = worker.log_tail(400)
    assert log.count(f"Task {UPDATE_INDEX_TASK}[") >= 3 * 2  # received + succeeded, three slices
    # With no version named, the task indexes the version with the newest predictions.
    with session_scope(db) as session:
        seed_history(session, LAST_DAY, days=2, versions=("2",), seed=5)
    client.send_task(UPDATE_INDEX_TASK, queue=QUEUE)
    _wait(lambda: _days(db, "2") == 2, 60, "version 2 indexed")
    assert _days(db, "1") == 10


def test_backfill_task_hands_scoring_to_the_serving_worker(db: str, worker: Any, client: Celery) -> None:
    with session_scope(db) as session:
        seed_history(session, LAST_DAY, days=2, versions=())
    client.send_task(BACKFILL_TASK, kwargs={"model_name": MODEL, "model_version": "4"}, queue=QUEUE)

    def finished_job() -> ScoringJob | None:
        with session_scope(db) as s:
            return s.scalars(
                select(ScoringJob).where(ScoringJob.kind == "backfill", ScoringJob.status != "queued")
            ).first()

    job = _wait(finished_job, 60, "the backfill job to be picked up by app.celery_tasks.score_chunk")
    # No model is live in this worker, so the serving side's scorer refuses the job, saying why.
    assert job.model_name == MODEL and job.params["then"] == "index"
    assert job.status == "failed" and job.error
