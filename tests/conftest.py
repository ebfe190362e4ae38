"""Shared fixtures on real services (see tests/support/fixtures.py) and the run header."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests.support.fixtures import *  # noqa: F403 - the fixtures are the contract
from tests.support.fixtures import STARTUP_SECONDS
from tests.support.plan import service_plan


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which Postgres/Redis this run uses: the machine's or embedded ones."""
    return service_plan().header_lines()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Attach the log tails of the servers a failed test started (uvicorn, Celery)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for handle in getattr(item, "nm_log_sources", []):
            name = getattr(handle, "log_path", "server")
            report.sections.append((f"log tail {name}", handle.log_tail(80)))


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Print how long the session servers took to come up (MLflow is the slow one)."""
    if STARTUP_SECONDS:
        parts = ", ".join(f"{name} {secs:.1f} s" for name, secs in STARTUP_SECONDS.items())
        terminalreporter.write_line(f"service start-up: {parts}")


@pytest.fixture(autouse=True)
def _restore_mlflow_globals() -> Iterator[None]:
    """`mlflow.set_tracking_uri` / `set_registry_uri` are process-wide (and mirrored into
    MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI): undo whatever a test set, so one test's store
    never silently receives a later test's registrations (or its subprocesses' reads). What was
    set explicitly before the test is read from those variables, never from mlflow's resolved
    defaults (re-setting a resolved default would pin it)."""
    env_before = {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")}
    yield
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        mlflow.set_tracking_uri(env_before.get("MLFLOW_TRACKING_URI"))
        mlflow.set_registry_uri(env_before.get("MLFLOW_REGISTRY_URI"))
    for key in [k for k in os.environ if k.startswith("MLFLOW_") and k not in env_before]:
        del os.environ[key]
    os.environ.update(env_before)
