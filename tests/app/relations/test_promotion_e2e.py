"""Promotion -> backfill -> index through the real stack: MLflow server (Postgres + GCS emulator),
the app's Celery worker following the `champion` alias, Redis, Postgres.

v1 is promoted and backfilled: the chain `backfill_index -> app.celery_tasks.score_chunk (chunks) ->
update_index` scores the history and builds v1's index. v2 is promoted: the same chain rescores
everything with v2 and builds v2's index, and v1's rows are still there, unchanged.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import func, select

from app.relations.celery_tasks import BACKFILL_TASK
from newsmodel.db.models import Prediction, RelationIndexRow, ScoringJob
from tests.app.conftest import Registry
from tests.app.relations.history import seed_history
from tests.support.db import session_scope
from tests.support.mlflow_server import MlflowServer

pytestmark = pytest.mark.slow

LAST_DAY = dt.date(2026, 8, 31)
DAYS = 6


def _wait(check: Callable[[], Any], timeout: float, what: str, log: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{log()}")


def _index(url: str, version: str) -> dict[tuple[str, str, dt.date], tuple[int, float, dt.datetime]]:
    with session_scope(url) as s:
        rows = s.scalars(select(RelationIndexRow).where(RelationIndexRow.model_version == version)).all()
        return {(r.country_a, r.country_b, r.day): (r.id, r.score, r.computed_at) for r in rows}


def _index_days(url: str, version: str) -> int:
    return len({day for _, _, day in _index(url, version)})


def _scored(url: str, version: str) -> int:
    with session_scope(url) as s:
        return int(s.scalar(select(func.count()).where(Prediction.model_version == version)) or 0)


def test_promotion_backfills_and_reindexes_through_celery(
    db: str,
    mlflow_server: MlflowServer,
    service_env: dict[str, str],
    model_dirs: dict[str, Path],
    start_celery_worker: Callable[..., Any],
    redis_url: str,
) -> None:
    registry = Registry(mlflow_server.tracking_uri, model_dirs)
    with session_scope(db) as session:
        history = seed_history(session, LAST_DAY, days=DAYS, versions=())
    v1 = registry.register("1")
    registry.set_alias(v1)
    env = {
        **service_env,
        "DATABASE_URL": db,
        "REGISTERED_MODEL_NAME": registry.name,
        "APP_POLL_INTERVAL_S": "1",
        "APP_SCORE_CHUNK_SIZE": "16",
        "APP_ORT_INTRA_OP_THREADS": "1",
    }
    worker = start_celery_worker(
        app="app.celery_app:celery_app",
        env=env,
        extra_args=["--include", "app.relations.celery_tasks"],
        timeout=120,
    )
    client = Celery("relations-e2e", broker=redis_url)
    try:
        client.send_task(
            BACKFILL_TASK, kwargs={"model_name": registry.name, "model_version": v1}, queue="newsmodel"
        )
        _wait(lambda: _index_days(db, v1) == DAYS, 120, f"v{v1} index", worker.log_tail)
        assert _scored(db, v1) == history.sentences
        v1_rows = _index(db, v1)

        v2 = registry.register("2")
        registry.set_alias(v2)
        _wait(
            lambda: any(
                "model version live" in line and f"version={v2}" in line
                for line in worker.log_tail(400).splitlines()
            ),
            60,
            f"the worker to load v{v2}",
            worker.log_tail,
        )
        started = time.monotonic()
        client.send_task(
            BACKFILL_TASK, kwargs={"model_name": registry.name, "model_version": v2}, queue="newsmodel"
        )
        _wait(lambda: _index_days(db, v2) == DAYS, 120, f"v{v2} index", worker.log_tail)
        backfill_s = time.monotonic() - started
    finally:
        client.close()

    assert _scored(db, v2) == history.sentences
    v2_rows = _index(db, v2)
    assert set(v2_rows) == set(v1_rows)
    # v2 leans to cooperation, v1 to conflict: the index moved with the model.
    mean = {
        v: sum(score for _, score, _ in rows.values()) / len(rows)
        for v, rows in ((v1, v1_rows), (v2, v2_rows))
    }
    assert mean[v2] > mean[v1]
    assert _index(db, v1) == v1_rows  # the previous version's rows are untouched
    with session_scope(db) as s:
        jobs = s.scalars(
            select(ScoringJob).where(ScoringJob.kind == "backfill").order_by(ScoringJob.submitted_at)
        ).all()
        assert [(j.model_version, j.status, j.done) for j in jobs] == [
            (v1, "succeeded", history.sentences),
            (v2, "succeeded", history.sentences),
        ]
    print(
        f"\nbackfill of {history.sentences} sentences / {DAYS} days with v{v2}: {backfill_s:.1f} s to a full index"
    )
