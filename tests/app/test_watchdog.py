"""The stalled-job watchdog's choice, on the real schema (SQLite file, migrated with Alembic)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.scoring_jobs import StalledJobs, create_job, get_job, take_stalled
from newsmodel.db.models import ScoringJob
from tests.support.db import session_scope


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


def test_waiting_scoring_tasks_mean_a_backlog_but_the_watchdogs_own_messages_do_not(private_redis) -> None:
    """Real Redis, messages in the layout Celery's Redis transport writes (one JSON per task)."""
    import json

    import redis

    from app.celery_tasks import _scoring_messages_waiting

    client = redis.Redis.from_url(private_redis.url)
    try:
        client.delete("newsmodel")
        assert _scoring_messages_waiting(private_redis.url) == 0
        watchdog = json.dumps({"headers": {"task": "app.celery_tasks.resume_stalled_jobs"}, "body": ""})
        client.rpush("newsmodel", *([watchdog] * 450), "not json")
        assert _scoring_messages_waiting(private_redis.url) == 0
        client.rpush(
            "newsmodel", json.dumps({"headers": {"task": "app.celery_tasks.score_chunk"}, "body": ""})
        )
        assert _scoring_messages_waiting(private_redis.url) == 452
    finally:
        client.delete("newsmodel")
        client.close()
