"""Session and function fixtures on real services, shared by every test package.

Re-exported by `tests/conftest.py`. Names and scopes are a contract with the other areas:
postgres_server, database_url, db, sqlite_url, redis_url, redis_server, private_redis,
settings_env (and, in step 2, gcs_emulator, mlflow_server, service_env, start_uvicorn,
start_celery_worker).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.plan import service_plan
from tests.support.postgres import PostgresInstance, start_postgres
from tests.support.redis import PrivateRedis, RedisInstance, start_redis

__all__ = [
    "database_url",
    "db",
    "postgres_server",
    "private_redis",
    "redis_server",
    "redis_url",
    "settings_env",
    "sqlite_url",
]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresInstance]:
    """The Postgres server of this session (`.kind` machine|embedded, `.admin_url`,
    `.create_database()`, `.drop_database(url)`); databases it created are dropped at the end."""
    plan = service_plan()
    server = start_postgres(tmp_path_factory.mktemp("postgres"), force_embedded=plan.postgres == "embedded")
    try:
        if server.kind == "machine":
            server.drop_orphans()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def database_url(postgres_server: PostgresInstance) -> Iterator[str]:
    """A throwaway Postgres database migrated to head, created and dropped by this session."""
    from newsmodel.db.migrate import upgrade

    url = postgres_server.create_database()
    try:
        upgrade(url)
        yield url
    finally:
        _dispose_cached_engine(url)
        postgres_server.drop_database(url)


def _dispose_cached_engine(url: str) -> None:
    """Close pools the code under test left in `newsmodel.db.session`'s cache."""
    from newsmodel.db import session as db_session

    with contextlib.suppress(Exception):
        db_session.get_engine(url).dispose()


def _truncate_all(url: str) -> None:
    from newsmodel.db.models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def db(database_url: str) -> str:
    """The session database with every table emptied first: each test owns its rows."""
    _truncate_all(database_url)
    return database_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A SQLite file database in tmp_path, migrated to head."""
    from newsmodel.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'newsmodel.db'}"
    upgrade(url)
    try:
        yield url
    finally:
        _dispose_cached_engine(url)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisInstance]:
    """The Redis behind `redis_url` (`.kind` machine|embedded, `.url`, `.flush()`).

    It is shared by the session, so it cannot be stopped by a test: fault tests take
    `private_redis`, a server of their own.
    """
    plan = service_plan()
    server = start_redis(tmp_path_factory.mktemp("redis"), force_embedded=plan.redis == "embedded")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisInstance) -> str:
    """redis://HOST:PORT/<index>: a DB index owned by this session, flushed at start."""
    return redis_server.url


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own on a free port: `.url`, `.stop()`, `.start()` (same
    port and URL), `.kill()`. Stopped at the end of the test whatever happened."""
    server = PrivateRedis(tmp_path / "private-redis").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set environment variables for in-process code and clear the `get_settings()` cache.

    Usage: `settings_env(DATABASE_URL=db, ENVIRONMENT="test")`; `None` deletes a variable.
    Everything is undone after the test.
    """
    from newsmodel.settings import get_settings

    def apply(**values: str | None) -> None:
        for key, value in values.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    get_settings.cache_clear()
    yield apply
    get_settings.cache_clear()
