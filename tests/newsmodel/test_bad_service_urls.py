"""A wrong DATABASE_URL, an unreachable Redis or MLflow: the command exits non-zero within
seconds with ONE line naming the variable and the address, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsmodel.dependency_checks import check_mlflow, check_redis
from newsmodel.errors import DependencyUnavailable
from tests.support.net import free_port

# Interpreter start-up under a loaded 2-core machine is most of this; the checks time out at 3-5 s.
MAX_SECONDS = 20.0


def _newsmodel(
    args: list[str], env: dict[str, str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], float]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    base.update({"ENVIRONMENT": "development", "NEWSMODEL_STATE_DIR": str(cwd / "var"), **env})
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "newsmodel.cli", *args],
        env=base,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc, time.monotonic() - start


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], elapsed: float, *needles: str) -> None:
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode != 0
    assert elapsed < MAX_SECONDS, f"took {elapsed:.1f} s"
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    for needle in needles:
        assert needle in output, output


_closed = free_port()
BAD_DATABASE_URLS = {
    "unreachable-port": (f"postgresql://postgres@127.0.0.1:{_closed}/newsmodel", f"127.0.0.1:{_closed}"),
    "bad-scheme": ("mongodb://127.0.0.1:27017/newsmodel", "mongodb://127.0.0.1:27017"),
    "unknown-host": ("postgresql://postgres@no-such-host.invalid:5432/newsmodel", "no-such-host.invalid"),
    "not-a-url": ("newsmodel-db", "newsmodel-db"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATABASE_URLS))
def test_db_check_with_a_wrong_database_url(case: str, tmp_path: Path) -> None:
    url, address = BAD_DATABASE_URLS[case]
    proc, elapsed = _newsmodel(["db", "check"], {"DATABASE_URL": url}, tmp_path)
    _assert_one_line_error(proc, elapsed, "DATABASE_URL", address)


def test_db_upgrade_with_a_wrong_database_url_writes_nothing(tmp_path: Path) -> None:
    url, address = BAD_DATABASE_URLS["unreachable-port"]
    proc, elapsed = _newsmodel(["db", "upgrade"], {"DATABASE_URL": url}, tmp_path)
    _assert_one_line_error(proc, elapsed, "DATABASE_URL", address)


def test_db_password_is_not_printed(tmp_path: Path) -> None:
    proc, elapsed = _newsmodel(
        ["db", "check"], {"DATABASE_URL": f"postgresql://u:hunter2@127.0.0.1:{_closed}/x"}, tmp_path
    )
    _assert_one_line_error(proc, elapsed, "DATABASE_URL", "***")
    assert "hunter2" not in proc.stdout + proc.stderr


BAD_REDIS_URLS = {
    "unreachable-port": (f"redis://127.0.0.1:{_closed}/0", f"127.0.0.1:{_closed}"),
    "bad-scheme": ("http://127.0.0.1:6379/0", "http://127.0.0.1:6379"),
    "unknown-host": ("redis://no-such-host.invalid:6379/0", "no-such-host.invalid"),
}


@pytest.mark.parametrize("case", sorted(BAD_REDIS_URLS))
def test_health_with_an_unreachable_redis(case: str, tmp_path: Path) -> None:
    url, address = BAD_REDIS_URLS[case]
    proc, elapsed = _newsmodel(["health", "--service", "redis"], {"REDIS_URL": url}, tmp_path)
    _assert_one_line_error(proc, elapsed, "REDIS_URL", address)


BAD_MLFLOW_URIS = {
    "unreachable-port": (f"http://127.0.0.1:{_closed}", f"127.0.0.1:{_closed}"),
    "bad-scheme": ("ftp://127.0.0.1:5000", "ftp://127.0.0.1:5000"),
    "unknown-host": ("http://no-such-host.invalid:5000", "no-such-host.invalid"),
}


@pytest.mark.parametrize("case", sorted(BAD_MLFLOW_URIS))
def test_health_with_an_unreachable_mlflow(case: str, tmp_path: Path) -> None:
    uri, address = BAD_MLFLOW_URIS[case]
    proc, elapsed = _newsmodel(["health", "--service", "mlflow"], {"MLFLOW_TRACKING_URI": uri}, tmp_path)
    _assert_one_line_error(proc, elapsed, "MLFLOW_TRACKING_URI", address)


def test_health_stops_at_the_first_missing_dependency(tmp_path: Path) -> None:
    proc, _elapsed = _newsmodel(
        ["health"],
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'ok.db'}", "REDIS_URL": f"redis://127.0.0.1:{_closed}/0"},
        tmp_path,
    )
    assert proc.returncode != 0
    assert "ok  database" in proc.stdout
    assert "REDIS_URL" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_health_refuses_placeholder_secrets_in_production(tmp_path: Path) -> None:
    proc, elapsed = _newsmodel(["health"], {"ENVIRONMENT": "production"}, tmp_path)
    _assert_one_line_error(proc, elapsed, "API_KEYS", "WEBHOOK_SECRET")


def test_redis_that_stops_is_reported_with_its_address(private_redis) -> None:  # type: ignore[no-untyped-def]
    assert check_redis(private_redis.url).detail == "PING ok"
    private_redis.stop()
    start = time.monotonic()
    with pytest.raises(DependencyUnavailable) as err:
        check_redis(private_redis.url)
    assert time.monotonic() - start < 5
    assert err.value.variable == "REDIS_URL"
    assert f"127.0.0.1:{private_redis.port}" in str(err.value)


def test_mlflow_that_answers_something_else_is_unavailable(private_redis) -> None:  # type: ignore[no-untyped-def]
    # A port that is open but is not an MLflow server (here: Redis).
    with pytest.raises(DependencyUnavailable, match="MLFLOW_TRACKING_URI"):
        check_mlflow(f"http://127.0.0.1:{private_redis.port}")


def test_a_tracking_store_mlflow_refuses_is_unavailable_not_a_traceback(tmp_path: Path) -> None:
    from newsmodel.registry.tracking import connect

    # MLflow 3 refuses the file store (maintenance mode) when the client is built.
    with pytest.raises(DependencyUnavailable, match="MLFLOW_TRACKING_URI"):
        connect(f"file://{tmp_path / 'mlruns'}")
