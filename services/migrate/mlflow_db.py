#!/usr/bin/env python3
"""Prepare MLflow's backend database for the migrate container and say what to do with it.

`mlflow db upgrade` is only safe on a database that already holds MLflow's schema, and it
is only needed there: `mlflow server` creates the schema itself on a fresh database when it
starts (once, in the CLI process, before its workers fork). So the migrate container asks
this script, which prints one word on stdout:

    existing   MLflow tables are there: run `mlflow db upgrade "$MLFLOW_BACKEND_STORE_URI"`
    fresh      the database is empty (created now if it was missing): nothing to upgrade
    none       MLFLOW_BACKEND_STORE_URI is not set: this deployment has no MLflow database

It refuses (exit 2, one line on stderr) when MLflow would share the corpus database — both
use Alembic's `alembic_version` table, so the two schemas would overwrite each other's
revision — or when the database holds tables that are not MLflow's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

__all__ = ["MlflowDatabaseError", "classify", "ensure_database", "main", "prepare", "same_database"]

# Tables every MLflow tracking schema has had since its first Alembic revision.
MLFLOW_MARKER_TABLES = frozenset({"alembic_version", "experiments", "runs"})


class MlflowDatabaseError(Exception):
    """A one-line reason the MLflow database cannot be prepared."""


def _safe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def same_database(a: URL, b: URL) -> bool:
    """True when two URLs name the same database on the same server (driver aside)."""
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return os.path.abspath(a.database or "") == os.path.abspath(b.database or "")

    def where(url: URL) -> tuple[str, int, str | None]:
        # A unix-socket URL carries its directory in ?host=... instead of the host part.
        host = url.host or str(url.query.get("host") or "localhost")
        return host, url.port or 5432, url.database

    return where(a) == where(b)


def _postgres_connect_args(url: URL) -> Mapping[str, object]:
    return {"connect_timeout": 10} if url.get_backend_name() == "postgresql" else {}


def ensure_database(url: URL) -> bool:
    """Create the Postgres database named in `url` if it is missing; True when created.

    Uses the same role, connected to the `postgres` maintenance database; the role needs
    CREATEDB (the compose superuser has it; on Cloud SQL, Terraform creates the database).
    """
    if url.get_backend_name() != "postgresql" or not url.database:
        return False
    admin = create_engine(
        url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args=_postgres_connect_args(url),
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            ).first()
            if exists:
                return False
            quoted = admin.dialect.identifier_preparer.quote_identifier(url.database)
            conn.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    except (OperationalError, ProgrammingError) as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise MlflowDatabaseError(
            f"cannot create the MLflow database {url.database!r} on {_safe(url.set(database=None))}: {first}"
        ) from exc
    finally:
        admin.dispose()


def classify(url: URL) -> str:
    """`fresh` for a database with no tables, `existing` for one with MLflow's schema."""
    engine = create_engine(url, connect_args=_postgres_connect_args(url))
    try:
        tables = set(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise MlflowDatabaseError(f"MLflow database {_safe(url)} does not answer: {first}") from exc
    finally:
        engine.dispose()
    if not tables:
        return "fresh"
    if tables >= MLFLOW_MARKER_TABLES:
        return "existing"
    foreign = ", ".join(sorted(tables - MLFLOW_MARKER_TABLES)[:5])
    raise MlflowDatabaseError(
        f"MLflow database {_safe(url)} holds tables that are not MLflow's ({foreign}): "
        "point MLFLOW_BACKEND_STORE_URI at a database of its own"
    )


def prepare(env: Mapping[str, str]) -> str:
    """Check, create if missing, and classify MLflow's database; returns the word to print."""
    raw = env.get("MLFLOW_BACKEND_STORE_URI", "").strip()
    if not raw:
        return "none"
    try:
        url = make_url(raw)
    except Exception as exc:
        raise MlflowDatabaseError(f"MLFLOW_BACKEND_STORE_URI is not a database URL: {exc}") from exc
    corpus_raw = env.get("DATABASE_URL", "").strip()
    if corpus_raw and same_database(url, make_url(corpus_raw)):
        raise MlflowDatabaseError(
            f"MLFLOW_BACKEND_STORE_URI and DATABASE_URL name the same database ({_safe(url)}); "
            "MLflow and the corpus both keep an `alembic_version` table: give MLflow its own database"
        )
    created = ensure_database(url)
    if created:
        print(f"mlflow_db: created database {url.database!r}", file=sys.stderr)
    return classify(url)


def main() -> int:
    try:
        print(prepare(os.environ))
    except MlflowDatabaseError as exc:
        print(f"mlflow_db: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
