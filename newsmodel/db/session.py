"""Engines and sessions, built on demand from a URL (never at import time).

`connect()` turns "the database is not there" into one DependencyUnavailable line that names
DATABASE_URL and the address tried, within seconds rather than a driver's default timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from newsmodel.errors import DependencyUnavailable
from newsmodel.net import resolve_host
from newsmodel.settings import redact_url

__all__ = ["connect", "get_engine", "normalize_url", "session_scope"]

CONNECT_TIMEOUT_S = 5


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def normalize_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg2 here (SQLAlchemy 2.1 defaults to psycopg 3,
    which is not installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One pooled engine per URL per process (create after fork in workers)."""
    url = normalize_url(url)
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S} if url.startswith("postgres") else {},
        )
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        # ImportError: a dialect whose driver is not installed (mysql://, oracle://...).
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DependencyUnavailable(
            "database", "DATABASE_URL", redact_url(url), f"invalid URL ({reason})"
        ) from exc


def connect(url: str) -> Engine:
    """Return the engine after checking the database answers; raise one actionable line if not."""
    engine = get_engine(url)
    host = make_url(url).host
    if host:
        try:
            # The driver's connect_timeout does not cover name resolution.
            resolve_host(host, make_url(url).port or 5432, CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise DependencyUnavailable("database", "DATABASE_URL", redact_url(url), str(exc)) from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise DependencyUnavailable("database", "DATABASE_URL", redact_url(url), reason) from exc
    return engine


@lru_cache(maxsize=8)
def _sessionmaker(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = _sessionmaker(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
