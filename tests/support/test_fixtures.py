"""The shared fixtures themselves: each gives a real, isolated, working service."""

from __future__ import annotations

import os

import pytest
import redis
from sqlalchemy import create_engine, inspect, text

from newsmodel.db.models import Base, Source
from tests.support.db import session_scope


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_database_url_is_migrated_postgres(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert engine.dialect.name == "postgresql"
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_db_truncates_between_tests(db: str) -> None:
    assert _count(db, "sources") == 0
    with session_scope(db) as session:
        session.add(Source(name="s", kind="rss", url="http://x", country="KOR", language="en"))
    assert _count(db, "sources") == 1


def test_db_truncates_between_tests_again(db: str) -> None:
    assert _count(db, "sources") == 0


def test_sqlite_url_is_migrated(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_redis_url_is_a_private_db_index(redis_url: str) -> None:
    """The session's DB index is never DB 0 and, on a shared server, is claimed by this process.

    (Whether it is empty depends on which tests ran before; the fixture flushes it once at start.)
    """
    base, _, index = redis_url.rpartition("/")
    assert index.isdigit() and int(index) >= 1, redis_url
    admin = redis.Redis.from_url(f"{base}/0")
    try:
        owner = admin.get(f"newsmodel-tests:db-index:{index}")
        # A private server (embedded mode) has no lock: nobody else can use it.
        assert owner is None or owner == str(os.getpid()).encode(), (owner, os.getpid())
    finally:
        admin.close()
    client = redis.Redis.from_url(redis_url)
    try:
        client.set("newsmodel-tests:probe", "1")
        assert client.get("newsmodel-tests:probe") == b"1"
    finally:
        client.delete("newsmodel-tests:probe")
        client.close()


def test_private_redis_stops_and_starts_on_the_same_url(private_redis) -> None:  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(private_redis.url, socket_connect_timeout=1)
    assert client.ping()
    private_redis.stop()
    try:
        client.ping()
        raise AssertionError("ping succeeded while the server was stopped")
    except redis.ConnectionError:
        pass
    private_redis.start()
    assert client.ping()
    client.close()


def test_redis_server_refuses_to_stop_a_shared_redis(redis_server) -> None:  # type: ignore[no-untyped-def]
    if redis_server.stoppable:
        redis_server.stop()
        redis_server.start()
        client = redis.Redis.from_url(redis_server.url)
        assert client.ping()
        client.close()
    else:
        with pytest.raises(RuntimeError, match="private_redis"):
            redis_server.stop()
