"""Shared fixtures on real services (see tests/support/fixtures.py) and the run header."""

from __future__ import annotations

import pytest

from tests.support.fixtures import *  # noqa: F403 - the fixtures are the contract
from tests.support.plan import service_plan


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which Postgres/Redis this run uses: the machine's or embedded ones."""
    return service_plan().header_lines()
