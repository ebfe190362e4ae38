"""Postgres restarted under a crawl and under bulk scoring: nothing lost, nothing stored twice.

Both tests run on a Postgres cluster of their own (`private_pg`), restarted with `pg_ctl -m fast`
(every connection is closed, open transactions roll back) and held down for a few seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from crawler.testing import serve
from tests.app.conftest import API_KEY_HEADERS, SENTENCES, Registry, wait_until
from tests.app.jobdata import insert_sentences, prediction_counts
from tests.reliability.conftest import PrivateDatabase
from tests.reliability.figures import record_figures
from tests.support.faults import Downtime
from tests.support.services import subprocess_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="a private Postgres needs POSIX pg_ctl")

CRAWL_ARTICLES = 40
SCORE_SENTENCES = 1200


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    finally:
        engine.dispose()


def _stored_articles(url: str) -> int:
    try:
        return _scalar(url, "SELECT count(*) FROM articles")
    except Exception:  # the database is restarting: "not yet"
        return -1


def _crawl_command(sources: Path) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "run", "--sources-file", str(sources)]


def test_postgres_restart_during_a_crawl_loses_and_duplicates_nothing(
    private_pg: PrivateDatabase, tmp_path: Path
) -> None:
    # 40 synthetic articles at 0.1 s each, two at a time: the crawl lasts a few seconds.
    with serve("127.0.0.1", 0, latency_s=0.1) as site:
        feed = site.url(f"/gen/feed.xml?count={CRAWL_ARTICLES}")
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            yaml.safe_dump(
                {
                    "sources": [
                        {"name": "fault-gen", "country": "USA", "category": "outlet", "kind": "rss",
                         "urls": [feed], "language": "en", "allowed_hosts": [site.netloc]}
                    ]
                }
            )
        )  # fmt: skip
        env = subprocess_env(
            {
                "ENVIRONMENT": "test",
                "DATABASE_URL": private_pg.url,
                "NEWSMODEL_STATE_DIR": str(tmp_path / "state"),
                "CRAWLER_ALLOW_PRIVATE_ADDRESSES": "true",
                "CRAWLER_PER_HOST_CONCURRENCY": "2",
                "CRAWLER_PER_HOST_MIN_INTERVAL_S": "0",
                "LOG_FORMAT": "json",
            }
        )
        log = tmp_path / "crawl-1.log"
        with log.open("w") as out:
            first = subprocess.Popen(_crawl_command(sources), env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                wait_until(lambda: _stored_articles(private_pg.url) >= 8, 90, "the crawl to store 8 articles")
                assert first.poll() is None, "the crawl finished before the fault could be injected"
                fault = Downtime()
                with fault.broken():
                    private_pg.server.restart(down_s=2.0)
                first.wait(timeout=120)
            finally:
                if first.poll() is None:
                    first.kill()
        stored_before = _stored_articles(private_pg.url)
        output = log.read_text()
        # The interrupted run says why in one line (the scheduler logs it and fires again).
        assert first.returncode == 2, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        last = output.strip().splitlines()[-1]
        assert last.startswith("error: database") and "DATABASE_URL" in last, last

        # The next run (the scheduler's next fire, or a manual `crawler run`) resumes.
        second = subprocess.run(_crawl_command(sources), env=env, capture_output=True, text=True, timeout=180)
        recovery_s = fault.recovered()
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        hits = dict(site.hits)

    gen_urls = {f"{site.base_url}/gen/{n}.html" for n in range(CRAWL_ARTICLES)}
    engine = create_engine(private_pg.url)
    try:
        with engine.connect() as conn:
            stored = [r[0] for r in conn.execute(text("SELECT canonical_url FROM articles"))]
            hashes = conn.execute(text("SELECT count(DISTINCT content_hash) FROM articles")).scalar()
            links = conn.execute(text("SELECT count(*) FROM article_links")).scalar()
            first_run_urls = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT canonical_url FROM articles WHERE crawl_run_id = (SELECT min(id) FROM crawl_runs)"
                    )
                )
            ]
            runs = conn.execute(
                text("SELECT status, new, duplicate, failed FROM crawl_runs ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    lost = len(gen_urls - set(stored))
    duplicates = len(stored) - len(set(stored))
    assert lost == 0 and duplicates == 0 and set(stored) == gen_urls
    assert hashes == CRAWL_ARTICLES and links == CRAWL_ARTICLES
    assert [r.status for r in runs] == ["interrupted", "succeeded"]
    resumed = runs[1]
    assert resumed.new == CRAWL_ARTICLES - stored_before and resumed.duplicate == stored_before
    assert resumed.failed == 0
    # Pages stored by the interrupted run are never fetched again; pages fetched while the
    # database was down (not stored) are fetched once more by the next run.
    first_run_paths = [u.removeprefix(site.base_url) for u in first_run_urls]
    assert len(first_run_paths) == stored_before
    assert all(hits[p] == 1 for p in first_run_paths), hits
    refetched = sum(1 for n in range(CRAWL_ARTICLES) if hits.get(f"/gen/{n}.html", 0) > 1)

    record_figures(
        "postgres-restart-crawl",
        title="Postgres restarted during a crawl",
        section="faults",
        broken=f"private Postgres stopped (pg_ctl -m fast) for {fault.down_s} s while `crawler run` "
        f"was storing a {CRAWL_ARTICLES}-article feed ({stored_before} stored at the fault)",
        observed="the run stopped with one line naming DATABASE_URL (exit 2), its row was marked "
        "interrupted by the next run, which skipped the stored URLs and fetched the rest",
        figures={
            "expected_articles": CRAWL_ARTICLES,
            "stored_articles": len(set(stored)),
            "lost": lost,
            "duplicates": duplicates,
            "stored_before_fault": stored_before,
            "pages_fetched_twice": refetched,
            "down_s": fault.down_s,
            "recovery_s": recovery_s,
            "recovery_means": "restore -> the next `crawler run` finished with every article",
        },
    )


def test_postgres_restart_during_bulk_scoring_loses_and_duplicates_nothing(
    private_pg: PrivateDatabase,
    registry: Registry,
    service_env: dict[str, str],
    private_redis,
    start_uvicorn,
    start_celery_worker,
) -> None:
    db = private_pg.url
    insert_sentences(db, SCORE_SENTENCES)
    version = registry.register("a")
    registry.set_alias(version)
    env = {
        **service_env,
        "DATABASE_URL": db,
        "REDIS_URL": private_redis.url,
        "REGISTERED_MODEL_NAME": registry.name,
        "APP_POLL_INTERVAL_S": "1",
        "APP_ORT_INTRA_OP_THREADS": "1",
        "APP_SCORE_CHUNK_SIZE": "20",
        "APP_CELERY_VISIBILITY_TIMEOUT_S": "10",
    }
    server = start_uvicorn(env=env)
    start_celery_worker(env=env, pool="prefork", concurrency=1)
    client = httpx.Client(base_url=server.url, timeout=30)
    try:
        r = client.post("/v1/jobs", json={}, headers=API_KEY_HEADERS)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]

        def job() -> dict:
            r = client.get(f"/v1/jobs/{job_id}", headers=API_KEY_HEADERS)
            return r.json() if r.status_code == 200 else {"status": f"http {r.status_code}", "done": -1}

        wait_until(lambda: job()["done"] >= 200, 90, "the worker to score 200 sentences")
        fault = Downtime()
        predict_during: list[int] = []
        with fault.broken():
            private_pg.server.stop()
            # Predict needs no database: it keeps answering while Postgres is down.
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                predict_during.append(client.post("/v1/predict", json={"sentences": SENTENCES}).status_code)
            ready = client.get("/ready").json()
            private_pg.server.start()
        assert set(predict_during) == {200}, predict_during
        assert (
            ready["checks"]["database"]["ok"] is False
            and "DATABASE_URL" in ready["checks"]["database"]["detail"]
        )

        wait_until(
            lambda: job()["status"] in ("succeeded", "failed"),
            150,
            "the job to finish after the restart",
            0.5,
        )
        assert job()["status"] == "succeeded", job()
        recovery_s = fault.recovered()
        final = job()
    finally:
        client.close()
    rows, distinct = prediction_counts(db, registry.name)
    lost, duplicates = SCORE_SENTENCES - distinct, rows - distinct
    assert final["done"] == SCORE_SENTENCES and (rows, distinct) == (SCORE_SENTENCES, SCORE_SENTENCES)

    record_figures(
        "postgres-restart-scoring",
        title="Postgres restarted during bulk scoring",
        section="faults",
        broken=f"private Postgres stopped for {fault.down_s} s while a Celery worker scored a "
        f"{SCORE_SENTENCES}-sentence job in chunks of 20",
        observed="predict kept answering 200 without the database, /ready reported the database "
        "down; the chunk in flight was retried after the restart and the job finished",
        figures={
            "sentences": SCORE_SENTENCES,
            "predictions": rows,
            "lost": lost,
            "duplicates": duplicates,
            "predict_requests_during_outage": len(predict_during),
            "predict_failed_during_outage": sum(1 for s in predict_during if s != 200),
            "down_s": fault.down_s,
            "recovery_s": recovery_s,
            "recovery_means": "restore -> job status succeeded",
        },
    )
