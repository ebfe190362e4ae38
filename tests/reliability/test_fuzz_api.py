"""Bad input over HTTP: schemathesis from the app's own OpenAPI schema, and hand-made hostile
bodies (oversized, deeply nested, invalid UTF-8, wrong types). The server answers every one
with a 4xx naming the problem, never a 5xx or a traceback, and keeps serving.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.conftest import ApiServer
from tests.reliability.figures import record_figures
from tests.support.fixtures import TEST_API_KEY

SCHEMATHESIS_EXAMPLES = int(os.environ.get("NEWSMODEL_FUZZ_EXAMPLES", "100"))

# (case, body bytes, content type)
HOSTILE_BODIES: list[tuple[str, bytes, str]] = [
    ("empty body", b"", "application/json"),
    ("not JSON", b"Seoul and Tokyo", "application/json"),
    ("truncated JSON", b'{"sentences": ["a", ', "application/json"),
    ("JSON null", b"null", "application/json"),
    ("JSON array at top level", b'["Seoul and Tokyo"]', "application/json"),
    ("deeply nested arrays", b'{"sentences": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json"),
    (
        "deeply nested objects",
        b'{"text": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}",
        "application/json",
    ),
    ("oversized body (2 MB)", json.dumps({"sentences": ["word " * 400] * 1000}).encode(), "application/json"),
    ("invalid UTF-8", b'{"text": "Seoul \xff\xfe and Tokyo"}', "application/json"),
    ("lone surrogate escape", b'{"text": "Seoul \\ud800 Tokyo"}', "application/json"),
    ("NaN", b'{"text": NaN}', "application/json"),
    ("huge integer", b'{"sentences": [' + b"9" * 5000 + b"]}", "application/json"),
    ("duplicate keys", b'{"text": "a", "text": "b", "sentences": ["c"]}', "application/json"),
    ("text/plain content type", b'{"text": "Seoul and Tokyo"}', "text/plain"),
    ("form content type", b"text=Seoul", "application/x-www-form-urlencoded"),
    ("10k empty strings", json.dumps({"sentences": [""] * 10_000}).encode(), "application/json"),
]
# Odd but meaningful: Python's JSON decoder detects UTF-16 from the first bytes, and a NUL is
# a valid character. Either answer (200 or a 4xx) is fine; a 5xx is not.
DECODABLE = [
    ("UTF-16 body", '{"text": "Seoul and Tokyo"}'.encode("utf-16"), "application/json"),
    ("NUL in text", b'{"text": "Seoul\\u0000Tokyo"}', "application/json"),
]
TARGETS = [("POST", "/v1/predict"), ("POST", "/v1/jobs"), ("POST", "/v1/webhooks/mlflow")]


def _check(r: httpx.Response, case: str) -> None:
    assert r.status_code < 500, f"{case}: {r.status_code} {r.text[:300]}"
    assert r.status_code >= 400, f"{case}: accepted with {r.status_code}"
    assert "Traceback" not in r.text and 'File "' not in r.text, f"{case}: {r.text[:300]}"
    body = r.json()
    assert set(body) >= {"error", "detail"} and body["detail"], f"{case}: {body}"


def test_hostile_bodies_get_a_4xx_and_the_server_keeps_serving(api_server: ApiServer) -> None:
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=api_server.url, timeout=60, headers={"X-API-Key": TEST_API_KEY}) as client:
        for case, body, ctype in HOSTILE_BODIES:
            for method, path in TARGETS:
                r = client.request(method, path, content=body, headers={"Content-Type": ctype})
                label = f"{case} -> {method} {path}"
                if path == "/v1/webhooks/mlflow":  # unsigned: refused before the body is parsed
                    assert r.status_code in (401, 413, 422), f"{label}: {r.status_code} {r.text[:200]}"
                else:
                    _check(r, label)
                statuses[label] = r.status_code
        for case, body, ctype in DECODABLE:
            r = client.post("/v1/predict", content=body, headers={"Content-Type": ctype})
            assert r.status_code in (200, 422), f"{case}: {r.status_code} {r.text[:200]}"
            statuses[f"{case} -> POST /v1/predict"] = r.status_code
        # Still alive and still predicting after all of that.
        assert client.get("/health").status_code == 200
        r = client.post("/v1/predict", json={"text": "Seoul and Tokyo signed a trade pact."})
        assert r.status_code == 200 and r.json()["model"]["version"] == api_server.version
    server_errors = sum(1 for s in statuses.values() if s >= 500)
    record_figures(
        "bad-bodies",
        title="Hostile request bodies",
        section="bad-input",
        broken=f"{len(HOSTILE_BODIES)} hostile bodies (empty, truncated, 100k-deep nesting, 2 MB, "
        "invalid UTF-8, UTF-16, lone surrogates, NUL, NaN, huge numbers, wrong content types) sent to "
        + ", ".join(f"{m} {p}" for m, p in TARGETS),
        observed="every hostile body got a 4xx with an {error, detail} body and no traceback (413 for "
        "the 2 MB body; the "
        "UTF-16 body and the NUL character, both decodable, were answered 200); the server then "
        "still answered /health and /v1/predict",
        figures={
            "requests": len(statuses),
            "server_errors": server_errors,
            "status_counts": {
                str(s): list(statuses.values()).count(s) for s in sorted(set(statuses.values()))
            },
        },
    )


def _schemathesis() -> str:
    beside = Path(sys.executable).parent / "schemathesis"
    return str(beside) if beside.exists() else "schemathesis"


def test_openapi_fuzzing_finds_no_server_error(api_server: ApiServer, tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.json"
    argv = [
        _schemathesis(), "run", f"{api_server.url}/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", str(SCHEMATHESIS_EXAMPLES),
        "--seed", "20261121",
        "--generation-database", "none",
        "--workers", "1",
        "--request-timeout", "30",
        "--header", f"X-API-Key: {TEST_API_KEY}",
        "--report", "json", "--report-json-path", str(report),
        "--no-color",
    ]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    summary = _summary(json.loads(report.read_text()))
    assert summary["test_cases"] and summary["test_cases"] > 100, summary
    assert summary["test_cases_with_failures"] == 0 and summary["test_cases_errored"] == 0, output[-4000:]
    with httpx.Client(base_url=api_server.url, timeout=30) as client:
        assert client.post("/v1/predict", json={"text": "Seoul and Tokyo"}).status_code == 200
    record_figures(
        "fuzz-api",
        title="Property-based fuzzing of the API from its OpenAPI schema (schemathesis)",
        section="bad-input",
        broken=f"schemathesis generated valid and invalid requests for every operation in "
        f"/openapi.json (up to {SCHEMATHESIS_EXAMPLES} examples per operation and phase, seed "
        "20261121, with an API key)",
        observed="no response was a server error (check not_a_server_error); the server kept serving",
        figures={**summary, "server_errors": summary["test_cases_with_failures"]},
    )


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """The counts of schemathesis' JSON run report (schemathesis 4)."""
    operations = report.get("operations", {})
    cases = report.get("test_cases", {})
    return {
        "operations_tested": operations.get("tested"),
        "test_cases": cases.get("generated"),
        "test_cases_with_failures": cases.get("with_failures"),
        "test_cases_errored": cases.get("errored"),
        "phases": {name: p.get("status") for name, p in report.get("phases", {}).items()},
        "running_time_s": round(float(report.get("running_time", 0.0)), 1),
    }
