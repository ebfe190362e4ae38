"""The corpus database of one process: `Database` holds the engine, its sessions and transactions.

An entry point builds one `Database` (the API's lifespan, a Celery worker process after the
fork, a CLI command, a crawl session) and disposes of it when it stops; everything below it
receives a `Session` (one transaction's work, never committed by the callee) or, for work that
spans several transactions on purpose (a scoring chunk, an index build, preprocessing in
batches), the `Database` itself as its unit of work. No code below an entry point sees a URL.

Connection trouble becomes one DependencyUnavailable line that names DATABASE_URL and the
address tried (password hidden), within seconds rather than a driver's default timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from newsmodel.errors import DependencyUnavailable
from newsmodel.net import resolve_host
from newsmodel.settings import redact_url

__all__ = [
    "CONNECTION_ERRORS",
    "CONNECT_TIMEOUT_S",
    "Database",
    "build_engine",
    "database_unavailable",
    "normalize_url",
    "open_database",
    "session_unavailable",
]

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


def _first_line(exc: BaseException) -> str:
    source = getattr(exc, "orig", None) or exc
    lines = str(source).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def database_unavailable(address: str, exc: BaseException) -> DependencyUnavailable:
    """The one line a user reads when the database at `address` (already redacted) fails."""
    return DependencyUnavailable("database", "DATABASE_URL", address, _first_line(exc))


def session_unavailable(session: Session, exc: BaseException) -> DependencyUnavailable:
    """`database_unavailable` for the database a session is bound to (its address redacted)."""
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    return database_unavailable(redact_url(url), exc)


def build_engine(url: str) -> Engine:
    """A new pooled engine for `url` (SQLite: WAL, foreign keys, a busy timeout; its folder made)."""
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


# Errors that mean "the database is not there" (refused, restarted, dropped the connection),
# as opposed to a statement the database refused.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


class Database:
    """One process's handle on the corpus database: an engine, its session factory, its address.

    `transaction()` is the unit of work: a session that commits when the block ends and rolls
    back if it raises. `session()` is a plain session for callers that manage it themselves.
    """

    def __init__(self, bind: Engine | Connection, *, address: str | None = None) -> None:
        self.bind = bind
        engine = bind if isinstance(bind, Engine) else bind.engine
        self.engine = engine
        self.address = address or redact_url(engine.url.render_as_string(hide_password=False))
        # Bound to a connection already in a transaction (tests): every unit of work becomes a
        # SAVEPOINT inside it, so the test rolls back everything at the end.
        mode: Literal["create_savepoint", "conditional_savepoint"] = (
            "create_savepoint" if isinstance(bind, Connection) else "conditional_savepoint"
        )
        self._sessions = sessionmaker(bind, expire_on_commit=False, join_transaction_mode=mode)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Build the engine now (an invalid URL fails here); nothing connects yet."""
        return cls(build_engine(url), address=redact_url(url))

    @classmethod
    def connect(cls, url: str) -> Database:
        """Build it and check the database answers: one actionable line if it does not."""
        db = cls.from_url(url)
        try:
            db.check()
        except DependencyUnavailable:
            db.dispose()
            raise
        return db

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def check(self) -> None:
        """SELECT 1 within CONNECT_TIMEOUT_S (name resolution included), or DependencyUnavailable."""
        url = self.engine.url
        if url.host:
            try:
                # The driver's connect_timeout does not cover name resolution.
                resolve_host(url.host, url.port or 5432, CONNECT_TIMEOUT_S)
            except OSError as exc:
                raise database_unavailable(self.address, exc) from exc
        try:
            with self.bind.connect() if isinstance(self.bind, Engine) else _borrowed(self.bind) as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise database_unavailable(self.address, exc) from exc

    def unavailable(self, exc: BaseException) -> DependencyUnavailable:
        return database_unavailable(self.address, exc)

    def session(self) -> Session:
        """A new session; the caller commits (or not) and closes it."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error. A lost or refused connection
        becomes DependencyUnavailable; other database errors pass through for the caller to name."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except CONNECTION_ERRORS as exc:
            session.rollback()
            raise self.unavailable(exc) from exc
        except DBAPIError as exc:
            session.rollback()
            if exc.connection_invalidated:
                raise self.unavailable(exc) from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close the pool's connections (the process stops, or a worker child is done)."""
        if isinstance(self.bind, Engine):
            self.bind.dispose()


@contextmanager
def open_database(url: str) -> Iterator[Database]:
    """A command's Database: checked now (one line if it does not answer), disposed at the end."""
    db = Database.connect(url)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def _borrowed(conn: Connection) -> Iterator[Connection]:
    """A connection someone else owns (tests' outer transaction): use it, never close it."""
    yield conn
