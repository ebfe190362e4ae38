"""The Redis cache: hits on repeat, keyed by version; Redis stopped -> predict still answers
(hot sentences from the in-process near cache, new ones uncached)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from app.cache import analysis_key, cache_key, normalise_text
from tests.app.conftest import API_KEY_HEADERS, SENTENCES, Registry, wait_until

pytestmark = pytest.mark.slow


def test_cache_key_normalises_text_and_includes_version_variant_and_files() -> None:
    assert normalise_text("  Seoul\u00a0and\n Tokyo ") == "Seoul and Tokyo"
    key = cache_key("m", "1", "int8", "ab" * 32, "Seoul  and Tokyo")
    assert key == cache_key("m", "1", "int8", "ab" * 32, " Seoul and Tokyo")
    for other in (
        cache_key("m", "2", "int8", "ab" * 32, "Seoul and Tokyo"),
        cache_key("n", "1", "int8", "ab" * 32, "Seoul and Tokyo"),
        cache_key("m", "1", "fp32", "ab" * 32, "Seoul and Tokyo"),
        cache_key("m", "1", "int8", "cd" * 32, "Seoul and Tokyo"),
    ):
        assert other != key


def test_analysis_key_is_the_exact_text_and_date() -> None:
    """Mention offsets point into the exact text: no normalisation; the date changes who a
    leader's name stands for."""
    key = analysis_key("Seoul and Tokyo", None)
    assert key == analysis_key("Seoul and Tokyo", None)
    assert key != analysis_key("Seoul  and Tokyo", None)
    assert key != analysis_key("Seoul and Tokyo", dt.date(1960, 1, 1))


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_redis_stopped_predict_still_answers(
    registry: Registry, app_env: dict[str, str], private_redis, start_uvicorn, api
) -> None:
    registry.set_alias(registry.register("a"))
    env = {**app_env, "REDIS_URL": private_redis.url, "APP_CACHE_RETRY_S": "1"}
    server = start_uvicorn(env=env)
    client = api(server.url)

    first = client.post("/v1/predict", json={"sentences": SENTENCES}).json()
    again = client.post("/v1/predict", json={"sentences": SENTENCES}).json()
    assert [p["cached"] for p in first["predictions"]] == [False] * 3
    assert [p["cached"] for p in again["predictions"]] == [True] * 3
    assert again["predictions"][0]["probabilities"] == first["predictions"][0]["probabilities"]
    assert _metric(client.get("/metrics").text, "newsmodel_cache_hits_total") == 3

    private_redis.stop()
    t0 = time.monotonic()
    near = client.post("/v1/predict", json={"sentences": SENTENCES})  # the near cache holds them
    assert near.status_code == 200, near.text
    assert [p["cached"] for p in near.json()["predictions"]] == [True] * 3
    fresh = [f"{s} (Redis is down)" for s in SENTENCES]
    r = client.post("/v1/predict", json={"sentences": fresh})
    assert r.status_code == 200, r.text
    assert [p["cached"] for p in r.json()["predictions"]] == [False] * 3
    assert time.monotonic() - t0 < 5
    for _ in range(5):  # while Redis is marked down, requests do not pay a timeout each
        assert client.post("/v1/predict", json={"text": "Seoul and Tokyo"}).status_code == 200

    ready = client.get("/ready")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["cache"]["ok"] is False and "down" in checks["cache"]["detail"]
    assert checks["jobs"]["ok"] is False
    r = client.post("/v1/jobs", json={}, headers=API_KEY_HEADERS)
    assert r.status_code == 503
    assert "Redis" in r.json()["detail"] and "REDIS_URL" in r.json()["detail"]
    assert client.get("/health").status_code == 200

    private_redis.start()

    def cache_back() -> bool:
        assert client.post("/v1/predict", json={"text": "Seoul and Tokyo"}).status_code == 200
        return bool(client.get("/ready").json()["checks"]["cache"]["ok"])

    wait_until(cache_back, 20, "the cache to come back")
    assert client.get("/ready").json()["checks"]["cache"]["ok"] is True
