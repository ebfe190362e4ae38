"""Serving test helpers: tiny registered model versions, promotion, and a client that keeps sending."""

from __future__ import annotations

import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.app.model_factory import build_model_dir, register_model_version
from tests.support.fixtures import TEST_API_KEY
from tests.support.mlflow_server import MlflowServer

API_KEY_HEADERS = {"X-API-Key": TEST_API_KEY}
SENTENCES = [
    "Seoul and Tokyo signed a trade pact on Monday.",
    "North Korea fired a missile over Japan, drawing condemnation from Washington.",
    "China and India held talks on their disputed border.",
]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two artifact folders that answer differently: 'a' favours conflict, 'b' cooperation."""
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "a": build_model_dir(root / "a", seed=1, favour_label=0),
        "b": build_model_dir(root / "b", seed=2, favour_label=2),
    }


@dataclass
class Registry:
    """Register and promote versions of one fresh registered model on the test MLflow server."""

    tracking_uri: str
    models: dict[str, Path]
    name: str = field(default_factory=lambda: f"nm-test-{uuid.uuid4().hex[:8]}")

    def register(self, which: str = "a") -> str:
        return register_model_version(self.tracking_uri, self.name, self.models[which])

    def client(self):  # type: ignore[no-untyped-def]
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def promote_stage(self, version: str, stage: str = "Production") -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            self.client().transition_model_version_stage(
                self.name, version, stage, archive_existing_versions=True
            )

    def set_alias(self, version: str, alias: str = "champion") -> None:
        self.client().set_registered_model_alias(self.name, alias, version)


@pytest.fixture
def registry(mlflow_server: MlflowServer, tiny_models: dict[str, Path]) -> Registry:
    return Registry(mlflow_server.tracking_uri, tiny_models)


@pytest.fixture
def app_env(service_env: dict[str, str], registry: Registry) -> dict[str, str]:
    """Env for the API / worker subprocesses, following this test's registered model."""
    return {
        **service_env,
        "REGISTERED_MODEL_NAME": registry.name,
        "APP_POLL_INTERVAL_S": "1",
        "APP_ORT_INTRA_OP_THREADS": "1",
    }


@dataclass
class Hammer:
    """A client that keeps posting predictions from a few threads until stopped."""

    url: str
    threads: int = 4
    ok: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self._stop.is_set():
                try:
                    r = client.post("/v1/predict", json={"sentences": SENTENCES})
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if r.status_code != 200:
                    self.failures.append(f"{r.status_code}: {r.text[:200]}")
                else:
                    self.ok.append((time.monotonic(), r.json()["model"]["version"]))

    def __enter__(self) -> Hammer:
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for t in self._workers:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for t in self._workers:
            t.join(timeout=30)

    def first_time_on(self, version: str) -> float | None:
        times = [t for t, v in list(self.ok) if v == version]
        return min(times) if times else None


@pytest.fixture
def hammer() -> Callable[[str], Hammer]:
    return lambda url: Hammer(url)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll until true; return the seconds waited, or fail the test naming what never happened."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def broker_options(visibility_timeout_s: int) -> dict[str, Any]:
    """The Redis transport options our Celery config gives a worker at this visibility timeout."""
    from app.celery_app import celery_config
    from app.settings import AppSettings

    settings = AppSettings(environment="test", celery_visibility_timeout_s=visibility_timeout_s)
    return dict(celery_config(settings)["broker_transport_options"])


def wait_for_relations(client: httpx.Client, model_name: str, timeout: float = 60.0) -> dict[str, Any]:
    """`GET /v1/relations` for `model_name` once its index exists (404 until then)."""
    found: dict[str, Any] = {}

    def indexed() -> bool:
        r = client.get("/v1/relations", params={"model_name": model_name})
        if r.status_code == 200:
            found.update(r.json())
        return r.status_code == 200

    wait_until(indexed, timeout, f"the relation index of {model_name}", interval=0.5)
    return found


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[Callable[[str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(url: str) -> httpx.Client:
        client = httpx.Client(base_url=url, timeout=30)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
