"""A named lock held across processes for as long as a piece of work runs.

Postgres: a session-level advisory lock on a dedicated connection (as the crawler's per-source
lock): the server drops it the moment the holder dies, so a crashed run never leaves a stale
lock. SQLite (the embedded demo, one machine): an OS file lock in `lock_dir`, released by the
kernel when the process dies.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from newsmodel.db.session import CONNECT_TIMEOUT_S, Database
from newsmodel.errors import NewsmodelError

__all__ = ["LockBusy", "advisory_key", "held_lock"]


class LockBusy(NewsmodelError):
    """Another process holds the lock."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def _postgres_lock(db: Database, name: str, key: int) -> Iterator[None]:
    # Its own connection, outside the pool: the work below may take every pooled one (the
    # crawler's runs would otherwise wait for a connection no run can give back).
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
            raise LockBusy(f"{name} is held by another process")
        try:
            yield
        finally:
            # A connection lost with the database took the lock with it; raising here would
            # hide the work's own error.
            with contextlib.suppress(SQLAlchemyError):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        with contextlib.suppress(SQLAlchemyError):
            conn.close()
        engine.dispose()


@contextmanager
def _file_lock(lock_dir: Path, name: str) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_dir / f"{name}.lock"), timeout=0, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(f"{name} is held by another process") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def held_lock(db: Database, name: str, lock_dir: Path, *, namespace: str = "") -> Iterator[None]:
    """Hold `name` while the block runs; LockBusy at once if another process holds it.

    `namespace` prefixes the advisory key only (the crawler's per-source keys), so lock names
    of different owners never collide in Postgres; the file lock is `lock_dir/NAME.lock`."""
    if db.dialect == "postgresql":
        with _postgres_lock(db, name, advisory_key(namespace + name)):
            yield
    else:
        with _file_lock(lock_dir, name):
            yield
