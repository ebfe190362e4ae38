"""Bad requests get the right 4xx with a message naming what to fix; docs, CORS and keys behave."""

from __future__ import annotations

import json

import pytest

from tests.app.conftest import API_KEY_HEADERS, Registry

pytestmark = pytest.mark.slow

LIMITS = {
    "APP_MAX_SENTENCES_PER_REQUEST": "4",
    "APP_MAX_CHARS_PER_SENTENCE": "100",
    "APP_MAX_BODY_BYTES": "4096",
}

# (case, json body, status, fragment the message must contain)
PREDICT_CASES = [
    ("empty list", {"sentences": []}, 422, "at least 1"),
    ("too many sentences", {"sentences": ["a b"] * 5}, 422, "APP_MAX_SENTENCES_PER_REQUEST"),
    ("sentence too long", {"sentences": ["x" * 101]}, 422, "APP_MAX_CHARS_PER_SENTENCE"),
    ("blank sentence", {"sentences": ["ok", "   "]}, 422, "sentence 1 is empty"),
    ("numbers, not strings", {"sentences": [1, 2]}, 422, "valid string"),
    ("string, not a list", {"sentences": "Seoul and Tokyo"}, 422, "valid list"),
    ("both text and sentences", {"text": "a", "sentences": ["b"]}, 422, "exactly one"),
    ("neither", {}, 422, "exactly one"),
    ("unknown field", {"sentences": ["a"], "lang": "en"}, 422, "lang"),
    ("null text", {"text": None}, 422, "exactly one"),
]


def _assert_error(r, status: int, fragment: str, case: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, f"{case}: {r.status_code} {r.text}"
    body = r.json()
    assert set(body) == {"error", "detail"}, f"{case}: {body}"
    assert fragment in body["detail"], f"{case}: {body['detail']!r} lacks {fragment!r}"
    assert "Traceback" not in r.text


def test_bad_requests_get_clear_4xx(registry: Registry, app_env: dict[str, str], start_uvicorn, api) -> None:
    registry.set_alias(registry.register("a"))
    server = start_uvicorn(env={**app_env, **LIMITS})
    client = api(server.url)
    assert client.post("/v1/predict", json={"sentences": ["Seoul and Tokyo"] * 4}).status_code == 200

    for case, body, status, fragment in PREDICT_CASES:
        _assert_error(client.post("/v1/predict", json=body), status, fragment, case)

    r = client.post("/v1/predict", content=b'{"sentences": [', headers={"Content-Type": "application/json"})
    _assert_error(r, 422, "JSON", "malformed JSON")
    huge = json.dumps({"sentences": ["word " * 1000]}).encode()
    _assert_error(client.post("/v1/predict", content=huge), 413, "APP_MAX_BODY_BYTES", "huge body")

    def chunks():  # no Content-Length: the limit must still hold while streaming
        for _ in range(10):
            yield b" " * 1000

    r = client.post("/v1/predict", content=chunks(), headers={"Content-Type": "application/json"})
    _assert_error(r, 413, "APP_MAX_BODY_BYTES", "huge chunked body")

    # Jobs need a key; a wrong key and a missing key are both 401 with a message.
    _assert_error(client.post("/v1/jobs", json={}), 401, "X-API-Key", "no key")
    _assert_error(client.post("/v1/jobs", json={}, headers={"X-API-Key": "nope"}), 401, "invalid", "bad key")
    _assert_error(client.get("/v1/jobs/abc", headers={"X-API-Key": "nope"}), 401, "invalid", "bad key on get")
    _assert_error(client.get("/v1/jobs/abc", headers=API_KEY_HEADERS), 404, "abc", "unknown job")
    _assert_error(client.delete("/v1/jobs/abc", headers=API_KEY_HEADERS), 404, "abc", "cancel unknown job")
    _assert_error(
        client.post("/v1/jobs", json={"limit": 0}, headers=API_KEY_HEADERS), 422, "limit", "limit 0"
    )
    _assert_error(
        client.post("/v1/jobs", json={"kind": "x"}, headers=API_KEY_HEADERS), 422, "kind", "bad kind"
    )
    _assert_error(client.get("/v1/nothing-here"), 404, "Not Found", "unknown route")
    _assert_error(client.get("/v1/predict"), 405, "Method Not Allowed", "wrong method")

    # Queue a job (no worker runs here), then cancel it: queued -> cancelled, then 409.
    r = client.post("/v1/jobs", json={"limit": 10}, headers=API_KEY_HEADERS)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["runner"] == "celery"
    r = client.delete(f"/v1/jobs/{job['id']}", headers=API_KEY_HEADERS)
    assert r.status_code == 202 and r.json()["status"] == "cancelled"
    _assert_error(client.delete(f"/v1/jobs/{job['id']}", headers=API_KEY_HEADERS), 409, "cancelled", "twice")

    # OpenAPI docs are served; CORS is closed by default.
    assert client.get("/docs").status_code == 200
    assert "/v1/predict" in client.get("/openapi.json").json()["paths"]
    r = client.options(
        "/v1/predict",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers
    metrics = client.get("/metrics").text
    assert 'route="/v1/predict",status="422"' in metrics


def test_predict_can_require_a_key(registry: Registry, app_env: dict[str, str], start_uvicorn, api) -> None:
    registry.set_alias(registry.register("a"))
    server = start_uvicorn(env={**app_env, "APP_REQUIRE_KEY_FOR_PREDICT": "true"})
    client = api(server.url)
    _assert_error(client.post("/v1/predict", json={"text": "Seoul"}), 401, "X-API-Key", "no key")
    r = client.post("/v1/predict", json={"text": "Seoul and Tokyo"}, headers=API_KEY_HEADERS)
    assert r.status_code == 200
    assert r.json()["predictions"][0]["country_pairs"] == [["JPN", "KOR"]]
    # who acts on whom, read with the article's date ("Khrushchev" is Moscow in 1960)
    body = {"sentences": ["Khrushchev warned Washington.", "Seoul and Tokyo met."], "date": "1960-05-01"}
    r = client.post("/v1/predict", json=body, headers=API_KEY_HEADERS)
    first, second = r.json()["predictions"]
    assert [d["label"] for d in first["directions"]] == ["RUS>USA"]
    assert first["directions"][0]["source"] == "RUS" and 0 < first["directions"][0]["confidence"] <= 1
    assert [d["label"] for d in second["directions"]] == ["JPN-KOR"]
    bad = client.post("/v1/predict", json={"text": "x", "date": "May 1960"}, headers=API_KEY_HEADERS)
    assert bad.status_code == 422
    # `directions: false` skips the parse (null: not parsed, unlike [] for none found), and that
    # lean analysis never stands in for a full one in the cache
    lean = {"sentences": ["Beijing warned Tokyo on Friday."], "directions": False}
    row = client.post("/v1/predict", json=lean, headers=API_KEY_HEADERS).json()["predictions"][0]
    assert row["directions"] is None and row["country_pairs"] == [["CHN", "JPN"]] and row["pair_readings"]
    full = client.post("/v1/predict", json={**lean, "directions": True}, headers=API_KEY_HEADERS).json()
    assert [d["label"] for d in full["predictions"][0]["directions"]] == ["CHN>JPN"]
    assert full["predictions"][0]["cached"]  # the model's row was cached; the parse was run now
    r = client.post("/v1/predict", json={"text": "x", "directions": "no"}, headers=API_KEY_HEADERS)
    _assert_error(r, 422, "directions", "directions not a boolean")
    # Korean sentences in the corpus wait for a model that reads Korean; /v1/model counts them
    from tests.app.jobdata import insert_sentences

    insert_sentences(app_env["DATABASE_URL"], 3, language="ko")
    model = client.get("/v1/model").json()
    assert model["serving"]["languages"] == ["en"]
    assert model["pending_by_language"] == {"ko": 3}
