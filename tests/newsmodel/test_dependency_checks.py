"""`newsmodel health` and newsmodel.dependency_checks against the real session services."""

from __future__ import annotations

import os
import subprocess
import sys

from newsmodel.dependency_checks import check_database, check_mlflow, check_redis


def test_checks_pass_on_real_services(database_url: str, redis_url: str, mlflow_server) -> None:  # type: ignore[no-untyped-def]
    assert check_database(database_url).service == "database"
    assert check_redis(redis_url).detail == "PING ok"
    assert check_mlflow(mlflow_server.tracking_uri).detail == "tracking server /health ok"


def test_health_command_reports_every_dependency(service_env: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, **service_env}
    proc = subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", "health"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["database", "Redis", "MLflow"]
    assert service_env["MLFLOW_TRACKING_URI"] in proc.stdout
