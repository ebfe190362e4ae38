"""Fault-test fixtures: a private Postgres per test, and the serving helpers of tests/app.

Every dependency a reliability test breaks is its own (private Postgres, private Redis, private
GCS emulator and MLflow servers, its own uvicorn and Celery processes); the machine's shared
servers are only used for what a test never breaks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.app.conftest import Registry, registry, tiny_models  # noqa: F401 - fixtures re-used
from tests.support.faults import PrivatePostgres

__all__ = ["PrivateDatabase", "Registry"]


@dataclass(frozen=True)
class PrivateDatabase:
    """A migrated database on a Postgres cluster of this test's own: `.url`, `.server`."""

    server: PrivatePostgres
    url: str


@pytest.fixture
def private_pg() -> Iterator[PrivateDatabase]:
    """A fresh Postgres cluster (free port, temp dir) with the schema at head; deleted afterwards."""
    from newsmodel.db.migrate import upgrade
    from newsmodel.db.session import get_engine

    server = PrivatePostgres().start()
    try:
        url = server.create_database("newsmodel")
        upgrade(url)
        yield PrivateDatabase(server, url)
        with contextlib.suppress(Exception):
            get_engine(url).dispose()
    finally:
        server.cleanup()
