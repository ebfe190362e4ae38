"""The model registry and its artifact store fail under a serving API: MLflow down, GCS down.

One private stack per module: a GCS emulator and two `mlflow server` replicas (A and B) on one
backend database, as a deployment with two registry replicas behind a load balancer has. The
API follows replica A; promotions go through B, so one can be made while A is down. Each test
restores what it breaks before it ends.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.app.conftest import wait_until
from tests.app.model_factory import register_model_version
from tests.reliability.figures import record_figures
from tests.reliability.traffic import Traffic
from tests.support.faults import Downtime
from tests.support.gcs import GcsEmulator
from tests.support.mlflow_server import MlflowServer
from tests.support.net import port_open
from tests.support.postgres import PostgresInstance

POLL_S = 1.0


@dataclass
class RegistryStack:
    gcs: GcsEmulator
    a: MlflowServer  # the replica the API follows
    _b: MlflowServer  # the replica promotions go through while A is down
    _b_started: Future[MlflowServer]
    backend_url: str

    @property
    def b(self) -> MlflowServer:
        """Replica B, once its start-up (begun in the background with the module) is done."""
        return self._b_started.result(timeout=180)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresInstance
) -> Iterator[RegistryStack]:
    """A private GCS emulator and two MLflow replicas sharing one backend database."""
    root = tmp_path_factory.mktemp("registry-stack")
    backend = postgres_server.create_database()
    gcs = GcsEmulator(root / "gcs").start()
    a = MlflowServer(root / "mlflow-a", backend, gcs.host, gcs.bucket)
    b = MlflowServer(root / "mlflow-b", backend, gcs.host, gcs.bucket)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlflow-b")
    try:
        a.start()  # first: it creates the schema; B then finds it in place
        # Only the MLflow-down test needs B: it starts while the artifact-store tests run on A.
        yield RegistryStack(gcs, a, b, pool.submit(b.start), backend)
    finally:
        pool.shutdown(wait=True)
        for server in (a, b):
            server.stop()
        gcs.stop()
        postgres_server.drop_database(backend)


@dataclass
class Versions:
    """Register and promote versions of one fresh model name through replica `tracking_uri`."""

    tracking_uri: str
    models: dict[str, Path]
    name: str = field(default_factory=lambda: f"nm-rel-{time.monotonic_ns() % 10**8}")

    def register(self, which: str) -> str:
        return register_model_version(self.tracking_uri, self.name, self.models[which])

    def promote(self, version: str) -> None:
        """The training package's promotion: stage Production and alias champion together."""
        from mlflow.tracking import MlflowClient

        from newsmodel.registry.promote import promote

        promote(MlflowClient(self.tracking_uri), self.name, version, "Production")


def _app_env(base: dict[str, str], stack: RegistryStack, name: str) -> dict[str, str]:
    return {
        **base,
        "MLFLOW_TRACKING_URI": stack.a.tracking_uri,
        "STORAGE_EMULATOR_HOST": stack.gcs.host,
        "REGISTERED_MODEL_NAME": name,
        "APP_POLL_INTERVAL_S": str(POLL_S),
        "APP_ORT_INTRA_OP_THREADS": "1",
        "APP_FAILED_RETRY_S": "2",
        # The server's download gives up on a silent artifact store after this (default 10 s).
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
    }


def _served_version(client: httpx.Client) -> str:
    r = client.post("/v1/predict", json={"text": "Seoul and Tokyo signed a trade pact."})
    assert r.status_code == 200, r.text
    return str(r.json()["model"]["version"])


def _ready(client: httpx.Client) -> tuple[int, dict]:
    r = client.get("/ready")
    return r.status_code, r.json()


@contextlib.contextmanager
def _restored(start: Callable[[], object], running: Callable[[], bool]) -> Iterator[None]:
    """Whatever happens in the block, the broken server is running again afterwards."""
    try:
        yield
    finally:
        if not running():
            start()


def test_gcs_down_during_registration_is_a_clear_error_and_registers_nothing(
    stack: RegistryStack, tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    from app.registry import RegistryClient
    from newsmodel.errors import DependencyUnavailable

    # MLflow's client defaults (7 retries of up to 120 s, while the server's GCS client retries
    # for 120 s) stretch this failure over many minutes; bounded settings like the serving
    # client's (app/registry.py: 1 retry, 10 s) make it observable in a test.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    versions = Versions(stack.a.tracking_uri, tiny_models)
    client = MlflowClient(stack.a.tracking_uri)
    fault = Downtime()
    with _restored(stack.gcs.start, lambda: port_open("127.0.0.1", stack.gcs.port)), fault.broken():
        stack.gcs.stop()
        t0 = time.monotonic()
        with pytest.raises(DependencyUnavailable) as caught:
            versions.register("a")
        failed_after_s = round(time.monotonic() - t0, 1)
        message = str(caught.value)
        during = client.search_model_versions(f"name='{versions.name}'")
    assert "Artifact store" in message and "GCS_BUCKET" in message, message
    assert "set MLFLOW_TRACKING_URI" not in message, message  # the tracking server did answer
    assert during == [], [(v.version, v.source) for v in during]  # nothing registered

    # Restored: the same registration works and every file the server needs is there.
    version = versions.register("a")
    recovery_s = fault.recovered()
    registered = client.search_model_versions(f"name='{versions.name}'")
    assert [v.version for v in registered] == [version] == ["1"]
    files = (
        RegistryClient(stack.a.tracking_uri, versions.name).download(version, tmp_path / "dl", "int8").path
    )
    for name in (
        "artifacts/label_map.json",
        "artifacts/model.int8.onnx",
        "artifacts/tokenizer/tokenizer.json",
    ):
        assert (files / name).stat().st_size > 0, name

    record_figures(
        "gcs-down-registration",
        title="Artifact store (GCS) down during registration",
        section="faults",
        broken="private GCS emulator stopped while a model version was being logged and registered "
        "through the MLflow server (proxied artifacts)",
        observed=f"registration raised DependencyUnavailable after {failed_after_s} s; no model "
        "version was created; after the restore the same registration succeeded and all files "
        "downloaded. The message names the artifact store behind the server (not MLFLOW_TRACKING_URI)",
        figures={
            "versions_registered_during_outage": len(during),
            "versions_pointing_at_missing_files": 0,
            "error_after_s": failed_after_s,
            "error": message[:160] + ("..." if len(message) > 160 else ""),
            "client_retry_settings": "MLFLOW_HTTP_REQUEST_MAX_RETRIES=1, MLFLOW_HTTP_REQUEST_TIMEOUT=5",
            "down_s": fault.down_s,
            "recovery_s": recovery_s,
            "recovery_means": "restore -> a registration completed with every file downloadable",
        },
        notes=[
            "With MLflow's default client retries the same failure takes many minutes (each "
            "upload waits out the server's 120 s GCS retry, up to 7 times); bound "
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES/TIMEOUT where a fast failure matters more than "
            "riding out a short outage."
        ],
    )


def test_gcs_down_during_a_model_download_keeps_the_old_model_serving(
    stack: RegistryStack, tiny_models: dict[str, Path], base_service_env: dict[str, str], start_uvicorn
) -> None:
    versions = Versions(stack.a.tracking_uri, tiny_models)
    v1, v2 = versions.register("a"), versions.register("b")
    versions.promote(v1)
    server = start_uvicorn(env=_app_env(base_service_env, stack, versions.name))
    client = httpx.Client(base_url=server.url, timeout=30)
    fault = Downtime()
    try:
        assert _served_version(client) == v1
        with Traffic(server.url) as traffic:
            wait_until(lambda: traffic.count() >= 20, 30, "traffic on v1")
            with _restored(stack.gcs.start, lambda: port_open("127.0.0.1", stack.gcs.port)), fault.broken():
                stack.gcs.stop()
                versions.promote(v2)  # registry metadata only: works without the artifact store
                promoted_at = time.monotonic()

                def load_failed() -> bool:
                    error = client.get("/v1/model").json()["following"]["load_error"]
                    return error is not None and error["version"] == v2

                wait_until(load_failed, 90, f"the server to fail downloading v{v2}", interval=0.5)
                failed_after_s = round(time.monotonic() - promoted_at, 1)
                status, ready = _ready(client)
                model = client.get("/v1/model").json()
                on_v1 = traffic.count(v1, since=promoted_at)
                stack.gcs.start()
            wait_until(lambda: traffic.first_received(v2) is not None, 90, f"v{v2} to be served", 0.2)
            recovery_s = round((traffic.first_received(v2) or 0) - (fault.restored_at or 0), 3)
            fault.recovered()
            wait_until(lambda: traffic.count(v2) >= 10, 30, f"traffic on v{v2}")
    finally:
        client.close()
    assert status == 200 and ready["checks"]["model"]["ok"] is True
    assert ready["checks"]["model"]["load_error"]["version"] == v2
    assert model["serving"]["version"] == v1 and on_v1 > 0
    assert traffic.failures == [], traffic.failures[:3]
    assert traffic.versions() == {v1, v2}
    first_v2 = traffic.first_received(v2) or 0.0
    assert all(s.received < first_v2 + 0.5 or s.version == v2 for s in traffic.snapshot())

    record_figures(
        "gcs-down-download",
        title="Artifact store (GCS) down during a model download on the server",
        section="faults",
        broken=f"private GCS emulator stopped, then v{v2} promoted: the API had to download it",
        observed=f"the download failed after {failed_after_s} s and was reported in /v1/model and "
        f"/ready (200: v{v1} still loaded); v{v1} kept answering; after the restore the server "
        f"retried (APP_FAILED_RETRY_S=2) and swapped to v{v2} without a failed request",
        figures={
            **traffic.figures(),
            "served_old_version_during_outage": on_v1,
            "download_failure_reported_after_s": failed_after_s,
            "down_s": fault.down_s,
            "recovery_s": recovery_s,
            "recovery_means": f"restore -> first response from v{v2}",
        },
    )


def test_mlflow_down_keeps_serving_and_a_promotion_made_meanwhile_is_picked_up(
    stack: RegistryStack, tiny_models: dict[str, Path], base_service_env: dict[str, str], start_uvicorn
) -> None:
    versions = Versions(stack.b.tracking_uri, tiny_models)
    v1 = versions.register("a")
    versions.promote(v1)
    server = start_uvicorn(env=_app_env(base_service_env, stack, versions.name))
    client = httpx.Client(base_url=server.url, timeout=30)
    fault = Downtime()
    try:
        assert _served_version(client) == v1
        with Traffic(server.url) as traffic:
            wait_until(lambda: traffic.count() >= 20, 30, "traffic on v1")
            with _restored(stack.a.start, lambda: port_open("127.0.0.1", stack.a.port)), fault.broken():
                stack.a.stop()
                seen_down = wait_until(
                    lambda: bool(_ready(client)[1]["checks"]["model"].get("registry_error")),
                    20,
                    "/ready to report the registry unreachable",
                )
                status, ready = _ready(client)
                # Meanwhile someone promotes a new version through the other replica.
                v2 = versions.register("b")
                versions.promote(v2)
                time.sleep(3 * POLL_S)
                still_v1 = _served_version(client) == v1
                stack.a.start()
            wait_until(lambda: traffic.first_received(v2) is not None, 60, f"v{v2} to be served", 0.2)
            recovery_s = round((traffic.first_received(v2) or 0) - (fault.restored_at or 0), 3)
            fault.recovered()
            wait_until(lambda: traffic.count(v2) >= 10, 30, f"traffic on v{v2}")
            after_status, after = _ready(client)
    finally:
        client.close()
    assert status == 200 and ready["checks"]["model"]["ok"] is True  # the loaded model still serves
    assert ready["status"] == "degraded" and ready["checks"]["registry"]["ok"] is False, ready
    assert stack.a.tracking_uri in ready["checks"]["registry"]["detail"]
    registry_error = ready["checks"]["model"]["registry_error"]
    assert "MLFLOW_TRACKING_URI" in registry_error and stack.a.tracking_uri in registry_error
    assert still_v1
    assert after_status == 200 and "registry_error" not in after["checks"]["model"]
    assert after["checks"]["registry"]["ok"] is True
    assert traffic.failures == [], traffic.failures[:3]
    assert traffic.versions() == {v1, v2}

    record_figures(
        "mlflow-down",
        title="MLflow server down; a promotion made meanwhile through another replica",
        section="faults",
        broken=f"the MLflow replica the API follows stopped for {fault.down_s} s; v{v2} registered "
        "and promoted through the other replica while it was down",
        observed=f"predict kept answering from v{v1}; /ready stayed 200 (the loaded model serves) "
        f"with status 'degraded' and checks.registry naming MLFLOW_TRACKING_URI "
        f"(seen {seen_down:.1f} s after the stop); once the replica was back the next poll loaded v{v2}",
        figures={
            **traffic.figures(),
            "ready_reported_registry_down_after_s": round(seen_down, 2),
            "down_s": fault.down_s,
            "recovery_s": recovery_s,
            "recovery_means": f"replica healthy again -> first response from v{v2} (poll {POLL_S:g} s)",
        },
    )


def test_promotion_under_load_every_response_names_a_live_version(
    stack: RegistryStack, tiny_models: dict[str, Path], base_service_env: dict[str, str], start_uvicorn
) -> None:
    versions = Versions(stack.a.tracking_uri, tiny_models)
    v1, v2 = versions.register("a"), versions.register("b")
    versions.promote(v1)
    server = start_uvicorn(env=_app_env(base_service_env, stack, versions.name))
    client = httpx.Client(base_url=server.url, timeout=30)
    try:
        assert _served_version(client) == v1
        with Traffic(server.url, threads=4) as traffic:
            wait_until(lambda: traffic.count() >= 50, 30, "traffic on v1")
            promote_started = time.monotonic()
            versions.promote(v2)
            promote_done = time.monotonic()
            wait_until(lambda: traffic.count(v2) >= 50, 60, f"50 responses from v{v2}")
        load_s = client.get("/v1/model").json()["serving"]["load_seconds"]
    finally:
        client.close()
    samples = traffic.snapshot()
    first_v2 = min(s.received for s in samples if s.version == v2)
    # Live at that moment: v2 never answers before its promotion began; v1 answers only until
    # the server's next check loaded v2 (poll + load), and never again once v2 has answered.
    early_v2 = [s for s in samples if s.version == v2 and s.received < promote_started]
    late_v1 = [s for s in samples if s.version == v1 and s.sent > first_v2]
    stale_bound = promote_done + POLL_S + load_s + 2.0
    stale_v1 = [s for s in samples if s.version == v1 and s.sent > stale_bound]
    assert traffic.failures == [], traffic.failures[:3]
    assert {s.version for s in samples} == {v1, v2}
    assert early_v2 == [] and late_v1 == [] and stale_v1 == []

    record_figures(
        "promotion-under-load",
        title="A promotion under load",
        section="faults",
        broken="v2 promoted (stage Production + alias champion) while 4 clients sent predictions "
        "continuously",
        observed="every request answered 200; no response named v2 before the promotion or v1 "
        "after the first v2 response (no flapping); v1 answered only until the next poll loaded v2",
        figures={
            **traffic.figures(),
            "responses_v1": sum(1 for s in samples if s.version == v1),
            "responses_v2": sum(1 for s in samples if s.version == v2),
            "responses_naming_a_version_not_live": len(early_v2) + len(late_v1) + len(stale_v1),
            "promotion_to_first_v2_s": round(first_v2 - promote_done, 3),
            "poll_interval_s": POLL_S,
            "load_seconds": load_s,
        },
    )
