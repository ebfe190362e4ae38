"""Session and function fixtures on real services, shared by every test package.

Re-exported by `tests/conftest.py`. Names and scopes are a contract with the other areas:
postgres_server, database_url, db, sqlite_url, redis_server, redis_url, private_redis,
settings_env, gcs_emulator, mlflow_server, base_service_env, service_env, start_uvicorn,
start_celery_worker, rollback_db, db_session. Every fixture stops what it started, also when the
test fails.

Two ways to own a test's rows on Postgres: `db` (a URL; every table emptied first) for tests
whose rows other processes must see, and `rollback_db` / `db_session` (a Database / Session
whose work is rolled back after the test; nothing committed, nothing truncated) for tests
that run the code in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from newsmodel.db.session import Database, build_engine
from tests.support.db import dispose_database, rolled_back
from tests.support.gcs import GcsEmulator
from tests.support.mlflow_server import MlflowServer
from tests.support.plan import service_plan
from tests.support.postgres import PostgresInstance, start_postgres
from tests.support.redis import PrivateRedis, RedisInstance, start_redis
from tests.support.services import CeleryWorker, UvicornServer

__all__ = [
    "STARTUP_SECONDS",
    "TEST_API_KEY",
    "TEST_WEBHOOK_SECRET",
    "UNREACHED_RATE",
    "_base_env",
    "_rollback_engine",
    "base_service_env",
    "database_url",
    "db",
    "db_session",
    "gcs_emulator",
    "mlflow_server",
    "postgres_server",
    "private_redis",
    "redis_server",
    "redis_url",
    "rollback_db",
    "service_env",
    "settings_env",
    "sqlite_url",
    "start_celery_worker",
    "start_uvicorn",
]

#: Seconds each session server took to answer (printed in the terminal summary).
STARTUP_SECONDS: dict[str, float] = {}

TEST_API_KEY = "test-api-key-0123456789"
TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789"
UNREACHED_RATE = "1000000/minute"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresInstance]:
    """The Postgres server of this session (`.kind` machine|embedded, `.admin_url`,
    `.create_database()`, `.drop_database(url)`); databases it created are dropped at the end."""
    plan = service_plan()
    server = start_postgres(force_embedded=plan.postgres == "embedded")
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
    """Close the pool the tests' `session_scope(url)` helper kept open for this database."""
    dispose_database(url)


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


@pytest.fixture(scope="session")
def _rollback_engine(postgres_server: PostgresInstance) -> Iterator[Engine]:
    """A migrated database of its own that nothing ever commits to (see `rollback_db`)."""
    from newsmodel.db.migrate import upgrade

    url = postgres_server.create_database()
    upgrade(url)
    engine = build_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


@pytest.fixture
def rollback_db(_rollback_engine: Engine) -> Iterator[Database]:
    """A Database on Postgres whose units of work are SAVEPOINTs inside one transaction that is
    rolled back after the test: the code under test commits as usual, the test leaves nothing."""
    url = _rollback_engine.url.render_as_string(hide_password=False)
    with rolled_back(_rollback_engine, url) as db:
        yield db


@pytest.fixture
def db_session(rollback_db: Database) -> Iterator[Session]:
    """A Session in `rollback_db`'s transaction, for a test's own setup and checks."""
    session = rollback_db.session()
    try:
        yield session
    finally:
        session.close()


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
    """The Redis behind `redis_url` (`.kind` machine|embedded, `.url`, `.flush()`, `.stoppable`).

    `.stop()`/`.start()` work only for an embedded server; the machine's Redis is shared with
    other sessions, so they raise there. Fault tests take `private_redis`, a server of their own.
    """
    plan = service_plan()
    server = start_redis(tmp_path_factory.mktemp("redis"), force_embedded=plan.redis == "embedded")
    try:
        yield server
    finally:
        server.close()


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


def attach_log(request: pytest.FixtureRequest, handle: Any) -> None:
    """Have `handle.log_tail()` appended to the report if this test fails (see conftest)."""
    sources = getattr(request.node, "nm_log_sources", None)
    if sources is None:
        sources = []
        request.node.nm_log_sources = sources
    sources.append(handle)


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsEmulator]:
    """gcp-storage-emulator with a default bucket: `.host` (STORAGE_EMULATOR_HOST value),
    `.bucket`, `.env`, `.client()` (a google-cloud-storage client bound to it)."""
    emulator = GcsEmulator(tmp_path_factory.mktemp("gcs"))
    try:
        emulator.start()
        STARTUP_SECONDS["gcp-storage-emulator"] = emulator.started_in_s or 0.0
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def mlflow_server(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresInstance, gcs_emulator: GcsEmulator
) -> Iterator[MlflowServer]:
    """One `mlflow server` per session: its own Postgres database as backend store, proxied
    artifacts on gs://BUCKET/mlartifacts in the emulator. `.tracking_uri`, `.env`."""
    backend = postgres_server.create_database()
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"), backend, gcs_emulator.host, gcs_emulator.bucket)
    try:
        server.start()
        STARTUP_SECONDS["mlflow server"] = server.started_in_s or 0.0
        yield server
    finally:
        server.stop()
        postgres_server.drop_database(backend)


@pytest.fixture(scope="session")
def _base_env(tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "API_KEYS": TEST_API_KEY,
        "WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "NEWSMODEL_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "LOG_FORMAT": "console",
        "PYTHONUNBUFFERED": "1",
        # The suite drives servers from one loopback address far past any real client: the
        # limiter runs (Redis-backed) with limits no test reaches, except the tests of limits.
        "APP_RATE_LIMIT_PER_ADDRESS": UNREACHED_RATE,
        "APP_RATE_LIMIT_PER_KEY": UNREACHED_RATE,
        "APP_AUTH_FAILURE_LIMIT": UNREACHED_RATE,
        # Workers of parallel tests would all bind the default port; a test of the worker's
        # /metrics gives its worker a free one.
        "APP_WORKER_METRICS_PORT": "0",
    }


@pytest.fixture
def base_service_env(_base_env: dict[str, str]) -> dict[str, str]:
    """Env for subprocesses that need only Postgres and Redis (no MLflow start-up cost):
    ENVIRONMENT=test, DATABASE_URL, REDIS_URL, API_KEYS, WEBHOOK_SECRET, NEWSMODEL_STATE_DIR."""
    return dict(_base_env)


@pytest.fixture
def service_env(
    _base_env: dict[str, str], mlflow_server: MlflowServer, gcs_emulator: GcsEmulator
) -> dict[str, str]:
    """`base_service_env` plus MLFLOW_TRACKING_URI and STORAGE_EMULATOR_HOST (a fresh copy per test)."""
    return {
        **_base_env,
        "MLFLOW_TRACKING_URI": mlflow_server.tracking_uri,
        "STORAGE_EMULATOR_HOST": gcs_emulator.host,
    }


@pytest.fixture
def start_uvicorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., UvicornServer]]:
    """Factory: `start_uvicorn(app_factory="app.main:create_app", env=..., factory=True,
    health_path="/health", timeout=60, extra_args=())` -> handle with `.url`, `.port`, `.pid`,
    `.stop()`, `.kill()`, `.log_tail()`. Waits for the health path; everything it started is
    stopped at the end of the test and the logs are shown if the test fails."""
    started: list[UvicornServer] = []

    def start(
        app_factory: str = "app.main:create_app",
        env: Mapping[str, str] | None = None,
        factory: bool = True,
        health_path: str | None = "/health",
        timeout: float = 60.0,
        extra_args: Sequence[str] = (),
    ) -> UvicornServer:
        server = UvicornServer(app_factory, tmp_path, env=env, factory=factory, extra_args=extra_args)
        started.append(server)
        attach_log(request, server)
        return server.start(health_path=health_path, timeout=timeout)

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def start_celery_worker(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., CeleryWorker]]:
    """Factory: `start_celery_worker(app="app.celery_app:celery_app", env=..., queues=None,
    pool="solo", concurrency=1, broker_url=None (default env CELERY_BROKER_URL or REDIS_URL),
    extra_args=(), timeout=90)` -> handle with `.pid`, `.hostname`, `.ping()`, `.stop()`
    (warm shutdown), `.kill()` (SIGKILL the whole worker), `.children()`, `.log_tail()`.
    Returns once the worker answers a ping; stopped at the end of the test.

    The session's Redis DB is flushed first: Celery messages an earlier test left queued
    (its worker gone) would otherwise be delivered to this test's worker."""
    import redis

    session_redis = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        session_redis.flushdb()
    finally:
        session_redis.close()
    started: list[CeleryWorker] = []

    def start(
        app: str = "app.celery_app:celery_app",
        env: Mapping[str, str] | None = None,
        queues: Sequence[str] | str | None = None,
        pool: str = "solo",
        concurrency: int = 1,
        broker_url: str | None = None,
        extra_args: Sequence[str] = (),
        timeout: float = 90.0,
    ) -> CeleryWorker:
        worker = CeleryWorker(
            app,
            tmp_path,
            env=env,
            queues=queues,
            pool=pool,
            concurrency=concurrency,
            broker_url=broker_url,
            extra_args=extra_args,
        )
        started.append(worker)
        attach_log(request, worker)
        return worker.start(timeout=timeout)

    try:
        yield start
    finally:
        for worker in started:
            worker.stop(timeout=15)
