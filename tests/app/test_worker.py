"""Bulk scoring through a real Celery worker on Redis: a killed worker's job still completes once."""

from __future__ import annotations

import pytest
import redis
from kombu import Connection

from tests.app.conftest import API_KEY_HEADERS, Registry, broker_options, wait_for_relations, wait_until
from tests.app.jobdata import insert_sentences, prediction_counts

pytestmark = pytest.mark.slow

N_SENTENCES = 1500


# A job whose broker messages were lost (Redis restarted without its AOF) is replanned by the
# watchdog: tests/reliability/test_fault_workers.py::test_redis_restarted_mid_job_*.
def test_killed_worker_job_completes_without_duplicates(
    db: str,
    registry: Registry,
    app_env: dict[str, str],
    private_redis,
    start_uvicorn,
    start_celery_worker,
    api,
) -> None:
    insert_sentences(db, N_SENTENCES)
    version = registry.register("a")
    registry.set_alias(version)
    env = {
        **app_env,
        # A private broker: no message from another test reaches this worker.
        "REDIS_URL": private_redis.url,
        "APP_SCORE_CHUNK_SIZE": "10",
        # One chunk takes well under a second; an abandoned one comes back after ~8 s.
        "APP_CELERY_VISIBILITY_TIMEOUT_S": "8",
    }
    server = start_uvicorn(env=env)
    client = api(server.url)
    worker = start_celery_worker(env=env, pool="prefork", concurrency=1)

    r = client.post("/v1/jobs", json={}, headers=API_KEY_HEADERS)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]

    def job() -> dict:
        return client.get(f"/v1/jobs/{job_id}", headers=API_KEY_HEADERS).json()

    wait_until(lambda: job()["done"] >= 100, 60, "the worker to score 100 sentences")
    worker.kill()  # SIGKILL the worker and its pool child: a crashed container
    # The worst moment to die: inside kombu's restore scan, holding the lock no live worker may
    # restore without. That only stalls the job when the chunk in flight was not yet written;
    # tests/app/test_broker_restore.py proves the bound every time.
    lock_ttl = _leave_restore_lock_held(private_redis.url, int(env["APP_CELERY_VISIBILITY_TIMEOUT_S"]))
    assert 0 < lock_ttl <= 5, lock_ttl
    at_kill = job()
    assert at_kill["status"] == "running" and at_kill["done"] < N_SENTENCES, at_kill
    assert at_kill["model_version"] == version

    replacement = start_celery_worker(env=env, pool="prefork", concurrency=1)
    wait_until(
        lambda: job()["status"] == "succeeded", 120, "the job to finish on the new worker", interval=0.5
    )
    # The pool process's own log reaches the worker's output (it once went nowhere).
    worker_log = replacement.log_path.read_text(errors="replace")
    assert "scoring task" in worker_log and f"job_id={job_id}" in worker_log
    final = job()
    assert final["done"] == N_SENTENCES and final["total"] == N_SENTENCES
    assert prediction_counts(db, registry.name) == (N_SENTENCES, N_SENTENCES)
    # A job submitted through the API refreshes the relation index too (its last chunk queues it).
    relations = wait_for_relations(client, registry.name)
    assert relations["model_version"] == version and relations["pairs"][0]["pair"] == "JPN-KOR"

    # Re-running scores nothing new: predictions are unique per (sentence, model, version).
    r = client.post("/v1/jobs", json={}, headers=API_KEY_HEADERS)
    rerun = r.json()["id"]
    wait_until(
        lambda: client.get(f"/v1/jobs/{rerun}", headers=API_KEY_HEADERS).json()["status"] == "succeeded",
        60,
        "the re-run to finish",
    )
    assert client.get(f"/v1/jobs/{rerun}", headers=API_KEY_HEADERS).json()["done"] == 0
    assert prediction_counts(db, registry.name) == (N_SENTENCES, N_SENTENCES)
    assert 'newsmodel_jobs{status="succeeded"} 2.0' in client.get("/metrics").text


def _leave_restore_lock_held(broker_url: str, visibility_timeout_s: int) -> float:
    """Take kombu's restore lock as a worker killed mid-scan leaves it (never released), with
    the expiry our broker options give it; returns the seconds the lock has left."""
    with Connection(broker_url, transport_options=broker_options(visibility_timeout_s)) as connection:
        channel = connection.default_channel
        key, expire = channel.unacked_mutex_key, channel.unacked_mutex_expire
    client = redis.Redis.from_url(broker_url)
    try:
        # kombu's own call (kombu.transport.redis.Mutex); held already if the worker died in it
        client.lock(key, timeout=expire).acquire(blocking=False)
        return float(client.pttl(key)) / 1000
    finally:
        client.close()
