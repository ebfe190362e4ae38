"""The server fixtures end to end: MLflow on Postgres + GCS emulator, uvicorn, Celery."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import psutil
import pytest
from celery import Celery


def test_mlflow_run_artifact_round_trip(mlflow_server, gcs_emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts

    client = MlflowClient(tracking_uri=mlflow_server.tracking_uri)
    experiment_id = client.create_experiment(f"smoke-{os.getpid()}-{time.time_ns()}")
    run = client.create_run(experiment_id)
    payload = tmp_path / "note.txt"
    payload.write_text("country pairs are fun\n")
    client.log_param(run.info.run_id, "kind", "smoke")
    client.log_artifact(run.info.run_id, str(payload), artifact_path="files")
    client.set_terminated(run.info.run_id)

    # Clients see proxied URIs: no GCS access needed on their side.
    assert client.get_run(run.info.run_id).info.artifact_uri.startswith("mlflow-artifacts:/")

    # Back through the server.
    local = download_artifacts(
        run_id=run.info.run_id,
        artifact_path="files/note.txt",
        dst_path=str(tmp_path / "dl"),
        tracking_uri=mlflow_server.tracking_uri,
    )
    assert Path(local).read_text() == "country pairs are fun\n"

    # And straight from the emulator's bucket, where the server put it.
    blobs = [
        b
        for b in gcs_emulator.client().list_blobs(gcs_emulator.bucket)
        if b.name.endswith(f"{run.info.run_id}/artifacts/files/note.txt")
    ]
    assert len(blobs) == 1
    assert blobs[0].name.startswith("mlartifacts/")
    assert blobs[0].download_as_text() == "country pairs are fun\n"


def test_mlflow_backend_store_is_postgres(mlflow_server) -> None:  # type: ignore[no-untyped-def]
    assert mlflow_server.backend_store_uri.startswith("postgresql")
    assert httpx.get(f"{mlflow_server.tracking_uri}/health", timeout=5).text.strip() == "OK"


def test_service_env_points_at_every_service(
    service_env, mlflow_server, gcs_emulator, redis_url, database_url
) -> None:  # type: ignore[no-untyped-def]
    assert service_env["MLFLOW_TRACKING_URI"] == mlflow_server.tracking_uri
    assert service_env["STORAGE_EMULATOR_HOST"] == gcs_emulator.host
    assert service_env["REDIS_URL"] == redis_url
    assert service_env["DATABASE_URL"] == database_url
    assert service_env["ENVIRONMENT"] == "test"


def test_start_uvicorn_serves_and_stops(start_uvicorn, base_service_env) -> None:  # type: ignore[no-untyped-def]
    server = start_uvicorn("tests.support.sample_services:create_app", env=base_service_env)
    got = httpx.get(f"{server.url}/env/DATABASE_URL", timeout=5).json()
    assert got == {"DATABASE_URL": base_service_env["DATABASE_URL"]}
    server.stop()
    assert not server.alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/health", timeout=2)


def test_start_uvicorn_reports_a_broken_app(start_uvicorn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match=r"ModuleNotFoundError|No module named|exited"):
        start_uvicorn("tests.support.does_not_exist:create_app", timeout=30)


def test_start_celery_worker_runs_tasks_and_dies_when_killed(start_celery_worker, base_service_env) -> None:  # type: ignore[no-untyped-def]
    worker = start_celery_worker(
        "tests.support.sample_services:celery_app", env=base_service_env, pool="prefork", concurrency=1
    )
    assert worker.ping()
    children = worker.children()
    assert children, "a prefork worker has pool children"
    redis_url = base_service_env["REDIS_URL"]
    client = Celery("client", broker=redis_url, backend=redis_url)
    try:
        assert client.send_task("sample.add", args=(2, 3)).get(timeout=30) == 5
    finally:
        client.close()
    worker.kill()
    assert not worker.alive()
    assert not any(
        psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in children
    )
