"""The stalled-job watchdog: its choice on the real schema (SQLite file, migrated with Alembic),
and, on a real worker and Redis, that only a check which crossed the queue in time acts."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from app.scoring_jobs import StalledJobs, create_job, get_job, take_stalled
from newsmodel.db.models import ScoringJob
from tests.support.db import session_scope
from tests.support.net import wait_for

WATCHDOG_TASK = "app.celery_tasks.resume_stalled_jobs"


def _create(url: str) -> str:
    with session_scope(url) as s:
        return str(create_job(s, "score", {}, "m")["id"])


def _get(url: str, job_id: str) -> dict[str, Any]:
    with session_scope(url) as s:
        return get_job(s, job_id)


def _take(url: str, stalled_after_s: float, max_resumes: int) -> StalledJobs:
    with session_scope(url) as s:
        return take_stalled(s, stalled_after_s, max_resumes)


def _age(url: str, job_id: str, status: str, seconds: float, resumes: int = 0) -> None:
    then = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    with session_scope(url) as s:
        job = s.get(ScoringJob, job_id)
        assert job is not None
        job.status, job.submitted_at, job.progress_at = status, then, then
        job.started_at = then if status == "running" else None
        job.params = {**job.params, "resumes": resumes}


def test_only_jobs_still_for_longer_than_the_threshold_are_taken(sqlite_url: str) -> None:
    ids = {name: _create(sqlite_url) for name in ("fresh", "old", "gone", "done")}
    _age(sqlite_url, ids["fresh"], "running", 5)
    _age(sqlite_url, ids["old"], "running", 120)
    _age(sqlite_url, ids["gone"], "queued", 120)
    _age(sqlite_url, ids["done"], "succeeded", 120)

    taken = _take(sqlite_url, stalled_after_s=60, max_resumes=3)
    assert sorted(taken.resend) == sorted([ids["old"], ids["gone"]]) and taken.failed == []
    assert _get(sqlite_url, ids["old"])["params"]["resumes"] == 1
    # Claimed: its progress time was reset, so the next check leaves it alone.
    assert _take(sqlite_url, stalled_after_s=60, max_resumes=3).resend == []


def test_a_job_stalled_too_often_fails_with_a_message_that_says_what_to_do(sqlite_url: str) -> None:
    job_id = _create(sqlite_url)
    _age(sqlite_url, job_id, "running", 120, resumes=3)
    taken = _take(sqlite_url, stalled_after_s=60, max_resumes=3)
    assert taken.failed == [job_id] and taken.resend == []
    job = _get(sqlite_url, job_id)
    assert job["status"] == "failed" and job["finished_at"] is not None
    assert "stalled" in job["error"] and "submit it again" in job["error"]


def test_the_beat_entry_expires_well_inside_the_stall_threshold() -> None:
    from app.celery_app import celery_config
    from app.settings import AppSettings

    for interval, stalled in ((60.0, None), (2.0, 20.0), (300.0, 40.0)):
        settings = AppSettings(
            environment="test", job_watchdog_interval_s=interval, job_stalled_after_s=stalled
        )
        entry = celery_config(settings)["beat_schedule"]["job-watchdog"]
        expires = entry["options"]["expires"]
        assert expires <= entry["schedule"] and expires <= settings.stalled_after_s / 2


def test_a_check_that_waited_behind_the_queue_is_dropped_and_a_prompt_one_replans(
    db: str, base_service_env: dict[str, str], private_redis, start_celery_worker
) -> None:
    """Real Redis and worker: the watchdog's proof that nothing waits for a job is its own
    message crossing the queue in time (Celery's `expires`), not a look into the broker."""
    from celery import Celery

    with session_scope(db) as s:
        job_id = str(create_job(s, "score", {}, "m")["id"])
    _age(db, job_id, "running", 120)
    client = Celery("watchdog-test", broker=private_redis.url)
    try:
        # Queued while no worker runs (a backlog ahead of it): too old when it is delivered.
        late = client.send_task(WATCHDOG_TASK, queue="newsmodel", expires=1.0)
        time.sleep(1.5)
        env = {
            **base_service_env,
            "DATABASE_URL": db,
            "REDIS_URL": private_redis.url,
            "APP_JOB_STALLED_AFTER_S": "60",
        }
        worker = start_celery_worker(env=env)
        wait_for(
            lambda: f"Discarding revoked task: {WATCHDOG_TASK}[{late.id}]" in worker.log_tail(400),
            30,
            "the late watchdog message to be discarded",
        )
        assert _get(db, job_id)["params"]["resumes"] == 0  # untouched: it may be a backlog

        client.send_task(WATCHDOG_TASK, queue="newsmodel", expires=30.0)
        wait_for(lambda: _get(db, job_id)["params"]["resumes"] == 1, 30, "the prompt check to re-plan")
        # (The re-sent planning task then finds no model on this worker and fails the job.)
    finally:
        client.close()
