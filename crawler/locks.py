"""One run per source at a time, across every process that crawls into the same database.

Postgres: a session-level advisory lock on a dedicated connection. The server drops it the
moment the holding process dies (its connection closes), so a crashed run never leaves a
stale lock and no lease expiry has to be guessed. SQLite (the embedded demo, one machine):
an OS file lock next to the state dir, released by the kernel when the process dies.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from crawler.errors import SourceBusy
from newsmodel.db.session import CONNECT_TIMEOUT_S, Database

__all__ = ["advisory_key", "source_lock"]


def advisory_key(source_name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, namespaced to the crawler."""
    digest = hashlib.sha256(f"newsmodel.crawler:{source_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _postgres_lock(db: Database, source_name: str) -> Iterator[None]:
    """The lock's connection lives for the whole run, outside the Database's pool.

    Taken from the pool it would starve it: with more sources running than pool slots, the
    next store write would wait for a connection that no run can give back while the event
    loop is blocked in that wait.
    """
    key = advisory_key(source_name)
    engine = create_engine(
        db.engine.url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise db.unavailable(exc) from exc
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if not got:
            raise SourceBusy(source_name)
        try:
            yield
        finally:
            # A connection lost with the database (restart, failover) took the lock with it;
            # raising here would hide the run's own, actionable error.
            with contextlib.suppress(SQLAlchemyError):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        with contextlib.suppress(SQLAlchemyError):
            conn.close()
        engine.dispose()


@contextmanager
def _file_lock(lock_dir: Path, source_name: str) -> Iterator[None]:
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_dir / f"{source_name}.lock"), timeout=0, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise SourceBusy(source_name) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def source_lock(db: Database, source_name: str, lock_dir: Path) -> Iterator[None]:
    """Hold the run lock of one source; raise SourceBusy at once if another process has it."""
    if db.dialect == "postgresql":
        with _postgres_lock(db, source_name):
            yield
    else:
        with _file_lock(lock_dir, source_name):
            yield
