"""Database handles for tests: committed work on a URL, and a Database that never commits.

Tests whose rows other processes must see (uvicorn, Celery workers, the crawler CLI) write
through `session_scope(url)`, a committed unit of work on the session's database (the `db`
fixture empties it first). Tests that run the code in-process use `rollback_db` /
`db_session` instead: every unit of work there is a SAVEPOINT inside one outer transaction
that is rolled back after the test, so nothing is committed and nothing needs truncating.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from newsmodel.db.session import Database
from newsmodel.settings import redact_url

__all__ = ["as_database", "dispose_database", "rolled_back", "session_scope"]

_databases: dict[str, Database] = {}


def as_database(target: Database | str) -> Database:
    """A Database for a URL (one per URL for the whole test session), or the one given."""
    if isinstance(target, Database):
        return target
    if target not in _databases:
        _databases[target] = Database.from_url(target)
    return _databases[target]


def dispose_database(url: str) -> None:
    """Close the pool `as_database(url)` opened (before the database is dropped)."""
    db = _databases.pop(url, None)
    if db is not None:
        with contextlib.suppress(Exception):
            db.dispose()


@contextmanager
def session_scope(target: Database | str) -> Iterator[Session]:
    """A unit of work on `target`, committed at the end of the block."""
    with as_database(target).transaction() as session:
        yield session


@contextmanager
def rolled_back(engine: Engine, url: str) -> Iterator[Database]:
    """A Database bound to one connection inside a transaction that is rolled back at the end."""
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield Database(conn, address=redact_url(url))
    finally:
        outer.rollback()
        conn.close()
