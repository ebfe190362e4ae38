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
    """`newsmodel.registry.tracking.connect` points mlflow's process-wide tracking and registry
    URIs (and their environment variables) at the store it was given; without this, one test's
    store would silently receive a later test's registrations (and its subprocesses' reads)."""
    env_before = {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")}
    mlflow = sys.modules.get("mlflow")
    uris = (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) if mlflow else None
    yield
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        mlflow.set_tracking_uri(uris[0] if uris else None)
        mlflow.set_registry_uri(uris[1] if uris else None)
    # After the URIs: mlflow mirrors them into MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI.
    for key in [k for k in os.environ if k.startswith("MLFLOW_") and k not in env_before]:
        del os.environ[key]
    os.environ.update(env_before)
