"""Shared fixtures on real services (see tests/support/fixtures.py) and the run header."""

from __future__ import annotations

import pytest

from tests.support.fixtures import *  # noqa: F403 - the fixtures are the contract
from tests.support.fixtures import STARTUP_SECONDS
from tests.support.plan import service_plan
from tests.support.training import *  # noqa: F403 - training fixtures shared across packages


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
