"""The beat pipeline on a real worker: new article -> sentences -> scheduled scoring job -> index,
and the worker's /metrics, where its pool process's counts show up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from newsmodel.db.models import Article, Prediction, RelationIndexRow, ScoringJob, Sentence
from newsmodel.shadow.store import ShadowSummary, shadow_summary
from tests.app.conftest import Registry, wait_until
from tests.support.db import session_scope
from tests.support.net import free_port
from tests.support.prometheus import labels, scrape

pytestmark = pytest.mark.slow

BODY = (
    "Seoul and Tokyo signed a trade pact on Monday, officials said. "
    "North Korea fired a missile toward Japan hours later. "
    "China and India held talks on their disputed border."
)


def _count(url: str, model: type) -> int:
    with session_scope(url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_pipeline_preprocesses_scores_and_indexes(
    db: str, registry: Registry, app_env: dict[str, str], private_redis, start_celery_worker
) -> None:
    from celery import Celery

    version = registry.register("a")
    registry.set_alias(version)
    challenger = registry.register("b")  # shadowed: reads every job sentence after the champion
    registry.set_alias(challenger, "challenger")
    with session_scope(db) as s:
        s.add(
            Article(
                canonical_url="https://news.test/pact",
                url="https://news.test/pact",
                content_hash="1" * 64,
                language="en",
                title="Pact",
                body=BODY,
                published_at=dt.datetime.now(dt.UTC),
            )
        )
    metrics_port = free_port()
    env = {
        **app_env,
        "REDIS_URL": private_redis.url,
        "APP_SHADOW_FLUSH_INTERVAL_S": "0.5",
        "APP_WORKER_METRICS_PORT": str(metrics_port),
    }
    # Prefork: scoring and shadowing happen in a pool child, /metrics is served by the parent.
    start_celery_worker(env=env, pool="prefork", concurrency=1)

    probe = Celery("pipeline-probe", broker=private_redis.url)
    try:
        probe.send_task("app.celery_tasks.run_pipeline", queue="newsmodel")
    finally:
        probe.close()

    wait_until(lambda: _count(db, RelationIndexRow) > 0, 120, "index rows from the pipeline", interval=0.5)
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Sentence)) >= 3
        job = s.scalars(select(ScoringJob)).one()
        assert job.status == "succeeded" and job.params.get("scheduled") and job.model_version == version
        scored = s.scalar(
            select(func.count()).select_from(Prediction).where(Prediction.model_version == version)
        )
        assert scored == s.scalar(select(func.count()).select_from(Sentence))
        pairs = {(r.country_a, r.country_b) for r in s.scalars(select(RelationIndexRow))}
        assert ("JPN", "KOR") in pairs
        assert {r.model_version for r in s.scalars(select(RelationIndexRow))} == {version}

    # The challenger read every sentence of the job, off the champion's path (flushed by the worker).
    def shadowed() -> ShadowSummary | None:
        with session_scope(db) as s:
            return shadow_summary(s, registry.name, challenger)

    def tallied() -> bool:
        found = shadowed()
        return found is not None and found.total.n == scored

    wait_until(tallied, 30, "the job's shadow tally", interval=0.3)
    summary = shadowed()
    assert summary is not None and summary.champion_version == version
    assert set(summary.by_source) == {"job"} and summary.total.agreement is not None

    # The worker's main process serves what its pool child counted (prometheus multiprocess).
    samples = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
    assert samples[("newsmodel_shadow_sentences_total", labels(source="job"))] == scored
    assert samples[("newsmodel_worker_sentences_scored_total", labels(model_version=version))] == scored
    assert samples[("newsmodel_shadow_active", labels())] == 1.0  # livemax: one series, no pid label
    chunk_task = labels(task="app.celery_tasks.score_chunk", state="SUCCESS")
    assert samples[("newsmodel_worker_task_duration_seconds_count", chunk_task)] >= 2  # plan + a range
