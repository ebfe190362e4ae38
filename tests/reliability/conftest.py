"""Fault-test fixtures: a private Postgres per test, and the serving helpers of tests/app.

Every dependency a reliability test breaks is its own (private Postgres, private Redis, private
GCS emulator and MLflow servers, its own uvicorn and Celery processes); the machine's shared
servers are only used for what a test never breaks.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.app.conftest import Registry, app_env, registry, tiny_models  # noqa: F401 - fixtures re-used
from tests.support.faults import PrivatePostgres, RestartableRedis
from tests.support.gcs import GcsEmulator
from tests.support.mlflow_server import MlflowServer
from tests.support.redis import PrivateRedis
from tests.support.services import UvicornServer

__all__ = ["ApiServer", "PrivateDatabase", "Registry", "plant_pickle"]


@dataclass(frozen=True)
class PrivateDatabase:
    """A migrated database on a Postgres cluster of this test's own: `.url`, `.server`."""

    server: PrivatePostgres
    url: str


@pytest.fixture
def private_pg() -> Iterator[PrivateDatabase]:
    """A fresh Postgres cluster (free port, temp dir) with the schema at head; deleted afterwards."""
    from newsmodel.db.migrate import upgrade
    from tests.support.db import dispose_database

    server = PrivatePostgres().start()
    try:
        url = server.create_database("newsmodel")
        upgrade(url)
        yield PrivateDatabase(server, url)
        dispose_database(url)
    finally:
        server.cleanup()


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[RestartableRedis]:
    """A redis-server of this test's own with the append-only file on (as in compose)."""
    server = RestartableRedis(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class ApiServer:
    """The app (under the audit hook of `audited_app`) serving a version with a planted pickle."""

    url: str
    pid: int
    model_name: str
    version: str
    models_dir: Path
    audit_log: Path
    pickle_marker: Path


def plant_pickle(model_dir: Path, marker: Path) -> list[Path]:
    """Put pickles that create `marker` when unpickled where a careless loader would find them."""
    import os
    import pickle

    class Payload:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.mkdir, (str(marker),))

    data = pickle.dumps(Payload())
    planted = [model_dir / "tokenizer" / "evil.pkl", model_dir / "tokenizer" / "pytorch_model.bin"]
    for path in planted:
        path.write_bytes(data)
    return planted


@pytest.fixture(scope="package")
def api_server(
    tmp_path_factory: pytest.TempPathFactory,
    mlflow_server: MlflowServer,
    gcs_emulator: GcsEmulator,
    tiny_models: dict[str, Path],  # noqa: F811 - the fixture imported above
    _base_env: dict[str, str],
) -> Iterator[ApiServer]:
    """One API server for the bad-input, security and fuzzing tests (they only send requests).

    It serves a registered version whose tokenizer folder also holds pickles that would
    create a marker directory if anything unpickled them. Its own Redis, so the jobs the
    fuzzer submits reach no other test's worker.
    """
    root = tmp_path_factory.mktemp("api-server")
    model_dir = root / "planted-model"
    shutil.copytree(tiny_models["a"], model_dir)
    marker = root / "UNPICKLED"
    plant_pickle(model_dir, marker)
    planted = Registry(mlflow_server.tracking_uri, {"planted": model_dir})
    version = planted.register("planted")
    planted.set_alias(version)
    redis = PrivateRedis(root / "redis").start()
    env = {
        **_base_env,
        "MLFLOW_TRACKING_URI": mlflow_server.tracking_uri,
        "STORAGE_EMULATOR_HOST": gcs_emulator.host,
        "REDIS_URL": redis.url,
        "REGISTERED_MODEL_NAME": planted.name,
        "APP_POLL_INTERVAL_S": "30",
        "APP_ORT_INTRA_OP_THREADS": "1",
        "APP_MODEL_CACHE_DIR": str(root / "models"),
        "NM_AUDIT_LOG": str(root / "audit.jsonl"),
    }
    server = UvicornServer("tests.reliability.audited_app:create_app", root, env=env)
    try:
        server.start(health_path="/ready", timeout=90)
        yield ApiServer(
            server.url, server.pid, planted.name, version, root / "models", root / "audit.jsonl", marker
        )
    finally:
        server.stop()
        redis.stop()
