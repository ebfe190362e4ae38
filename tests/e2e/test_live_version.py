"""Alias and stage in disagreement: every consumer of "the live version" names the same one.

Stage Production holds v1, alias champion points at v2 (a person promoted in both UI views and
they drifted). On the real stack - MLflow server (Postgres, gs:// artifacts on the GCS emulator),
uvicorn, a Celery worker on Redis, Postgres - the API, the worker, a backfill, the index, the
dashboard's API, `newsmodel live` and `newsmodel gate` must all name v2 (alias first, as the
README promises), through the one resolver in `newsmodel.registry.live`.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery import Celery
from sqlalchemy import select

from app.relations.celery_tasks import BACKFILL_TASK
from newsmodel.db.models import RelationIndexRow, ScoringJob
from tests.app.conftest import API_KEY_HEADERS, Registry
from tests.app.model_factory import build_model_dir
from tests.app.relations.history import seed_history
from tests.support.db import session_scope
from tests.support.mlflow_server import MlflowServer

pytestmark = pytest.mark.slow

LAST_DAY = dt.date(2026, 9, 30)


def _wait(check: Callable[[], Any], timeout: float, what: str, log: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{log()[-3000:]}")


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env, "LOG_LEVEL": "WARNING"},
    )


def _backfill_job(url: str) -> tuple[str | None, str] | None:
    with session_scope(url) as s:
        job = s.scalars(select(ScoringJob).where(ScoringJob.kind == "backfill")).first()
        return (job.model_version, job.status) if job is not None else None


def _indexed_versions(url: str) -> set[str]:
    with session_scope(url) as s:
        return set(s.scalars(select(RelationIndexRow.model_version).distinct()))


def test_alias_and_stage_disagree_and_every_consumer_names_the_alias_version(
    db: str,
    mlflow_server: MlflowServer,
    service_env: dict[str, str],
    redis_url: str,
    start_uvicorn: Callable[..., Any],
    start_celery_worker: Callable[..., Any],
    tmp_path: Path,
) -> None:
    models = {
        "a": build_model_dir(tmp_path / "a", seed=1, favour_label=0),
        "b": build_model_dir(tmp_path / "b", seed=2, favour_label=2),
    }
    registry = Registry(mlflow_server.tracking_uri, models)
    with session_scope(db) as session:
        seed_history(session, LAST_DAY, days=3, versions=())
    v1, v2 = registry.register("a"), registry.register("b")
    registry.promote_stage(v1)
    registry.set_alias(v2)
    env = {
        **service_env,
        "DATABASE_URL": db,
        "REGISTERED_MODEL_NAME": registry.name,
        "APP_POLL_INTERVAL_S": "1",
        "APP_SCORE_CHUNK_SIZE": "32",
        "APP_ORT_INTRA_OP_THREADS": "1",
    }
    worker = start_celery_worker(env=env, extra_args=["--include", "app.relations.celery_tasks"], timeout=120)
    server = start_uvicorn(env=env)
    named: dict[str, str | None] = {}

    with httpx.Client(base_url=server.url, timeout=30) as api:
        predicted = api.post("/v1/predict", json={"text": "Seoul and Tokyo signed a trade pact."})
        assert predicted.status_code == 200, predicted.text
        named["API /v1/predict"] = predicted.json()["model"]["version"]
        following = api.get("/v1/model").json()["following"]
        named["API /v1/model"] = following["registry_live_version"]
        assert following["registry_live_via"] == "alias champion"
        assert following["registry_disagreement"] == f"alias champion names v{v2} but the stage holds v{v1}"

        # The worker: a backfill asked for no version scores with what the worker finds live,
        # and its last chunk builds that version's index.
        celery = Celery("live-version-e2e", broker=redis_url)
        try:
            celery.send_task(BACKFILL_TASK, kwargs={"model_name": registry.name}, queue="newsmodel")
            done = _wait(
                lambda: (j := _backfill_job(db)) is not None and j[1] == "succeeded" and j,
                120,
                "the backfill to finish",
                worker.log_tail,
            )
        finally:
            celery.close()
        named["worker (backfill job)"] = done[0]
        _wait(lambda: _indexed_versions(db), 60, "the index of the backfilled version", worker.log_tail)
        named["index built after the backfill"] = ",".join(sorted(_indexed_versions(db)))

        job = api.post("/v1/jobs", json={}, headers=API_KEY_HEADERS)
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        final = _wait(
            lambda: (
                (j := api.get(f"/v1/jobs/{job_id}", headers=API_KEY_HEADERS).json())["status"]
                in ("succeeded", "failed")
                and j
            ),
            60,
            "the scoring job",
            worker.log_tail,
        )
        named["worker (scoring job)"] = final["model_version"]

        relations = api.get("/v1/relations").json()
        named["dashboard /v1/relations"] = relations["model_version"]
        named["dashboard live_model_version"] = relations["live_model_version"]

    live = _cli(env, "live", registry.name)
    assert live.returncode == 0, live.stderr
    named["newsmodel live"] = live.stdout.split()[1].removeprefix("v")
    assert f"alias champion names v{v2} but the stage holds v{v1}" in live.stdout
    built = _cli(env, "index", "build")
    assert built.returncode == 0, built.stderr
    named["newsmodel index build"] = built.stdout.split(" v", 1)[1].split(":", 1)[0]
    assert "the live version" in built.stdout.splitlines()[0]
    gate = _cli(env, "gate", registry.name, v2)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert gate.stdout.startswith(f"IS CHAMPION: v{v2} is the live version (alias champion)")
    named["newsmodel gate"] = v2

    assert named == dict.fromkeys(named, v2), named
    assert "alias and stage disagree; the alias wins" in server.log_tail(400)
