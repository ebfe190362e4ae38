"""Embedded mode (no REDIS_URL): the cache lives in memory and jobs run in a thread of the API."""

from __future__ import annotations

import pytest

from tests.app.conftest import API_KEY_HEADERS, SENTENCES, Registry, wait_for_relations, wait_until
from tests.app.jobdata import insert_sentences, prediction_counts

pytestmark = pytest.mark.slow


def test_embedded_mode_caches_in_memory_and_runs_jobs_in_process(
    sqlite_url: str, registry: Registry, app_env: dict[str, str], start_uvicorn, api
) -> None:
    registry.set_alias(registry.register("a"))
    insert_sentences(sqlite_url, 40)
    env = {k: v for k, v in app_env.items() if k != "REDIS_URL"}
    env.update({"DATABASE_URL": sqlite_url, "APP_SCORE_CHUNK_SIZE": "16"})
    server = start_uvicorn(env=env)
    client = api(server.url)
    assert "embedded mode" in server.log_tail(200)

    first = client.post("/v1/predict", json={"sentences": SENTENCES}).json()
    again = client.post("/v1/predict", json={"sentences": SENTENCES}).json()
    assert [p["cached"] for p in first["predictions"]] == [False] * 3
    assert [p["cached"] for p in again["predictions"]] == [True] * 3
    ready = client.get("/ready").json()
    assert ready["checks"]["cache"]["kind"] == "memory" and ready["checks"]["jobs"]["runner"] == "in-process"

    r = client.post("/v1/jobs", json={}, headers=API_KEY_HEADERS)
    assert r.status_code == 202 and r.json()["runner"] == "in-process"
    job_id = r.json()["id"]
    wait_until(
        lambda: client.get(f"/v1/jobs/{job_id}", headers=API_KEY_HEADERS).json()["status"] == "succeeded",
        60,
        "the in-process job",
    )
    assert client.get(f"/v1/jobs/{job_id}", headers=API_KEY_HEADERS).json()["done"] == 40
    assert prediction_counts(sqlite_url, registry.name) == (40, 40)
    # The job's version is indexed in the same thread once it succeeds.
    relations = wait_for_relations(client, registry.name)
    assert relations["pairs"][0]["pair"] == "JPN-KOR" and relations["pairs"][0]["sentence_count"] == 40
    # ... and judged for drift right after (one day of 40 sentences: too few to judge, estimated
    # accuracy from the served model's confidence beside it)
    wait_until(
        lambda: bool(client.get("/v1/monitoring/drift").json().get("estimated_accuracy")),
        60,
        "the drift series",
    )
    drift = client.get("/v1/monitoring/drift").json()
    assert {p["status"] for s in drift["series"] for p in s["points"]} == {"too_few"}
    assert "unknown_token_rate" in {s["statistic"] for s in drift["series"]}  # the served tokenizer's
