"""The guards an internet-facing API needs, over HTTP on two real uvicorn replicas sharing Redis.

Rate limits per address and per API key (counted in Redis, so a client alternating between
replicas gets one budget), 429 with Retry-After, the lockout after wrong keys, X-Forwarded-For
believed only from a trusted proxy, the key required for predict in production, 413/408/415 for
bodies, security headers and no Server banner, and one-line refusals at start-up.

Each test talks from its own loopback address (127.0.0.x), so their counters never mix.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from app.rate_limits import KEY_PREFIX
from app.security_headers import API_CSP, DASHBOARD_CSP
from tests.support.fixtures import TEST_API_KEY
from tests.support.gcs import GcsEmulator
from tests.support.mlflow_server import MlflowServer
from tests.support.redis import PrivateRedis
from tests.support.services import UvicornServer, subprocess_env

pytestmark = pytest.mark.slow

SECOND_KEY = "second-test-key-abcdefghijkl"
PER_ADDRESS, PER_KEY, AUTH_FAILURES = 20, 30, 5
TRUSTED_PROXY = "127.0.0.2"
LIMITS = {
    "APP_RATE_LIMIT_PER_ADDRESS": f"{PER_ADDRESS}/minute",
    "APP_RATE_LIMIT_PER_KEY": f"{PER_KEY}/minute",
    "APP_AUTH_FAILURE_LIMIT": f"{AUTH_FAILURES} per 10 minutes",
    "APP_TRUSTED_PROXIES": TRUSTED_PROXY,
    "APP_MAX_BODY_BYTES": "4096",
    "APP_BODY_READ_TIMEOUT_S": "2",
    "API_KEYS": f"{TEST_API_KEY},{SECOND_KEY}",
}


@dataclass(frozen=True)
class Replicas:
    production: UvicornServer  # ENVIRONMENT=production
    test: UvicornServer  # ENVIRONMENT=test, same Redis
    redis_url: str

    def client(self, server: UvicornServer, address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=server.url, transport=transport, timeout=30)


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory,
    _base_env: dict[str, str],
    mlflow_server: MlflowServer,
    gcs_emulator: GcsEmulator,
) -> Iterator[Replicas]:
    root = tmp_path_factory.mktemp("guards")
    redis_server = PrivateRedis(root / "redis").start()
    env = {
        **_base_env,
        **LIMITS,
        "REDIS_URL": redis_server.url,
        "MLFLOW_TRACKING_URI": mlflow_server.tracking_uri,
        "STORAGE_EMULATOR_HOST": gcs_emulator.host,
        "REGISTERED_MODEL_NAME": "nm-guards-nothing-promoted",
    }
    servers = [
        UvicornServer("app.main:create_app", root, env={**env, "ENVIRONMENT": "production"}),
        UvicornServer("app.main:create_app", root, env=env),
    ]
    try:
        for server in servers:
            server.start(timeout=90)
        yield Replicas(servers[0], servers[1], redis_server.url)
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()


def _refused(r: httpx.Response, names: str) -> int:
    assert r.status_code == 429, (r.status_code, r.text)
    assert names in r.json()["detail"], r.text
    wait = int(r.headers["retry-after"])
    assert 1 <= wait <= 600, wait
    return wait


def test_the_address_limit_is_one_budget_across_replicas(replicas: Replicas) -> None:
    address = "127.0.0.11"
    with (
        replicas.client(replicas.production, address) as a,
        replicas.client(replicas.test, address) as b,
    ):
        statuses = [(a if i % 2 else b).get("/v1/model").status_code for i in range(PER_ADDRESS)]
        assert statuses == [200] * PER_ADDRESS
        wait = _refused(
            a.get("/v1/model"), f"APP_RATE_LIMIT_PER_ADDRESS {PER_ADDRESS} per 1 minute for {address}"
        )
        _refused(b.get("/v1/relations"), "APP_RATE_LIMIT_PER_ADDRESS")
        assert wait <= 60
        assert a.get("/health").status_code == 200 and b.get("/ready").status_code in (200, 503)
    with replicas.client(replicas.test, "127.0.0.19") as other:
        assert other.get("/v1/model").status_code == 200  # another address: its own budget
    stored = redis.Redis.from_url(replicas.redis_url).keys(f"{KEY_PREFIX}*")
    assert any(address.encode() in k for k in stored), stored


def test_a_valid_key_has_its_own_budget(replicas: Replicas) -> None:
    with replicas.client(replicas.test, "127.0.0.12") as client:
        keyed = {"X-API-Key": SECOND_KEY}
        statuses = [client.get("/v1/model", headers=keyed).status_code for _ in range(PER_KEY)]
        assert statuses == [200] * PER_KEY  # more than the address allows: the key's budget
        _refused(client.get("/v1/model", headers=keyed), "APP_RATE_LIMIT_PER_KEY")
        assert client.get("/v1/model").status_code == 200  # the address budget is untouched


def test_wrong_keys_lock_out_their_address_on_every_replica(replicas: Replicas) -> None:
    address = "127.0.0.13"
    with (
        replicas.client(replicas.test, address) as a,
        replicas.client(replicas.production, address) as b,
    ):
        for i in range(AUTH_FAILURES):
            r = (a if i % 2 else b).get("/v1/jobs/abc", headers={"X-API-Key": f"guess-{i}"})
            assert r.status_code == 401, r.text
        # Locked: even the right key is refused now, on both replicas, and signed webhooks too.
        _refused(a.get("/v1/jobs/abc", headers={"X-API-Key": TEST_API_KEY}), "failed authentications")
        _refused(b.get("/v1/jobs/abc", headers={"X-API-Key": TEST_API_KEY}), "APP_AUTH_FAILURE_LIMIT")
        hook = b.post("/v1/webhooks/mlflow", content=b"{}", headers={"X-MLflow-Signature": "v1,x"})
        _refused(hook, "failed authentications")
        assert a.get("/v1/model").status_code == 200  # without credentials: still served
    with replicas.client(replicas.test, "127.0.0.14") as other:
        assert other.get("/v1/jobs/abc", headers={"X-API-Key": TEST_API_KEY}).status_code == 404


def test_forwarded_for_is_believed_only_from_the_trusted_proxy(replicas: Replicas) -> None:
    with replicas.client(replicas.test, "127.0.0.15") as direct:
        for i in range(PER_ADDRESS):
            spoofed = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
            assert direct.get("/v1/model", headers=spoofed).status_code == 200
        # Twenty "different" clients were one address: the header was not believed.
        _refused(direct.get("/v1/model", headers={"X-Forwarded-For": "203.0.113.99"}), "for 127.0.0.15")
    with replicas.client(replicas.test, TRUSTED_PROXY) as proxy:
        client_a = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(PER_ADDRESS):
            assert proxy.get("/v1/model", headers=client_a).status_code == 200
        _refused(proxy.get("/v1/model", headers=client_a), "for 198.51.100.7")
        assert proxy.get("/v1/model", headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200


def test_predict_needs_a_key_in_production_only(replicas: Replicas) -> None:
    with replicas.client(replicas.production, "127.0.0.16") as prod:
        r = prod.post("/v1/predict", json={"text": "Seoul and Tokyo"})
        assert r.status_code == 401 and "X-API-Key" in r.json()["detail"], r.text
        keyed = prod.post(
            "/v1/predict", json={"text": "Seoul and Tokyo"}, headers={"X-API-Key": TEST_API_KEY}
        )
        assert keyed.status_code == 503, keyed.text  # past the key: nothing is promoted here
    with replicas.client(replicas.test, "127.0.0.16") as test_env:
        assert test_env.post("/v1/predict", json={"text": "Seoul and Tokyo"}).status_code == 503


def test_security_headers_on_every_response_and_no_server_banner(replicas: Replicas) -> None:
    with replicas.client(replicas.test, "127.0.0.17") as client:
        responses = {
            "json": client.get("/v1/model"),
            "404": client.get("/v1/nothing-here"),
            "422": client.get("/v1/relations/KOR-USA", params={"start": "0001-01-01"}),
            "413": client.post("/v1/predict", content=b"x" * 5000),
            "dashboard": client.get("/dashboard"),
            "docs": client.get("/docs"),
        }
    for name, r in responses.items():
        assert "server" not in r.headers, (name, r.headers)
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["referrer-policy"] == "no-referrer", name
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], name
    assert responses["json"].headers["content-security-policy"] == API_CSP
    assert responses["dashboard"].headers["content-security-policy"] == DASHBOARD_CSP
    assert "strict-transport-security" not in responses["json"].headers  # plain HTTP here


def _raw_request(port: int, head: bytes, trickle: bytes, every_s: float) -> tuple[bytes, float]:
    """Send `head`, then `trickle` one byte every `every_s`; the answer and when it came."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30, source_address=("127.0.0.18", 0)) as sock:
        sock.sendall(head)
        sock.settimeout(every_s)
        answer = b""
        for byte in trickle:
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                answer = b""
            if answer:
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
        sock.settimeout(30)
        while not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer, time.monotonic() - start


def test_body_limits_413_408_415(replicas: Replicas) -> None:
    server = replicas.test
    with replicas.client(server, "127.0.0.18") as client:
        too_big = client.post("/v1/predict", json={"sentences": ["word " * 1000]})
        assert too_big.status_code == 413 and "APP_MAX_BODY_BYTES" in too_big.json()["detail"]
        gz = client.post(
            "/v1/predict",
            content=b"\x1f\x8b\x08\x00",
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert gz.status_code == 415 and "uncompressed" in gz.json()["detail"], gz.text
    body = b'{"text": "Seoul and Tokyo signed a trade pact."}' + b" " * 200
    head = (
        f"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    answer, took = _raw_request(server.port, head, body, every_s=0.25)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"APP_BODY_READ_TIMEOUT_S" in answer
    assert 1.5 < took < 10, took  # the 2 s limit, not the 50 s the trickle would take


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"API_KEYS": "short-key"}, "API_KEYS: key(s) 1 shorter than 16 characters"),
        ({"API_KEYS": f"{TEST_API_KEY},tiny"}, "API_KEYS: key(s) 2 shorter than 16"),
        ({"APP_RATE_LIMIT_PER_KEY": "lots"}, "APP_RATE_LIMIT_PER_KEY"),
        ({"APP_TRUSTED_PROXIES": "10.0.0.0/33"}, "APP_TRUSTED_PROXIES"),
        ({"ENVIRONMENT": "production", "API_KEYS": "change-me"}, "API_KEYS must be set to real secrets"),
    ],
)
def test_start_up_refuses_bad_guards_with_one_line(
    env: dict[str, str], message: str, _base_env: dict[str, str], tmp_path: Path
) -> None:
    argv = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", "1"]
    proc = subprocess.run(
        argv,
        env=subprocess_env({**_base_env, **env}),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines and message in lines[-1], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
