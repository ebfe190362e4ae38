"""Migrations: up, all the way down, up again, on Postgres and SQLite; models and migrations agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from newsmodel.db.migrate import current_revision, downgrade, head_revision, upgrade
from newsmodel.db.models import Base

SCHEMA_TABLES = set(Base.metadata.tables)


@pytest.fixture
def empty_postgres(postgres_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, unmigrated database (the session database must stay at head for others)."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)


@pytest.fixture
def empty_sqlite(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'roundtrip.db'}"


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _enum_types(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE t.typtype = 'e' AND n.nspname = 'public'"
                )
            )
            return {r[0] for r in rows}
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["empty_postgres", "empty_sqlite"])
def test_upgrade_downgrade_upgrade(database: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(database)
    head = head_revision(url)
    assert head is not None

    upgrade(url)
    assert current_revision(url) == head
    assert _tables(url) >= SCHEMA_TABLES

    downgrade(url, "base")
    assert current_revision(url) is None
    assert _tables(url) - {"alembic_version"} == set()
    if url.startswith("postgresql"):
        # Leftover enum types would make the next upgrade fail with "type already exists".
        assert _enum_types(url) == set()

    upgrade(url)
    assert current_revision(url) == head
    assert _tables(url) >= SCHEMA_TABLES


def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_models_and_migrations_agree_on_postgres(database_url: str) -> None:
    assert _diff(database_url) == []


def test_models_and_migrations_agree_on_sqlite(sqlite_url: str) -> None:
    assert _diff(sqlite_url) == []
