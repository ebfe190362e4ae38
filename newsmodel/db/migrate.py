"""Run Alembic from code (the `migrate` container, `make demo`, tests) with a clear error on failure."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable
from newsmodel.settings import redact_url

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "current_revision", "downgrade", "head_revision", "upgrade"]


def _project_root() -> Path:
    env = os.environ.get("NEWSMODEL_ALEMBIC_INI")
    if env:
        return Path(env).resolve().parent
    return Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    """The repository's alembic.ini, pointed at `url` (never at a URL inside the file)."""
    # Alembic announces each of its plugins at INFO when first imported: noise in every
    # command's output, hence the late import.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic.config import Config

    ini = _project_root() / "alembic.ini"
    cfg = Config(str(ini))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def _failed(url: str, exc: SQLAlchemyError) -> DependencyUnavailable:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return DependencyUnavailable("database", "DATABASE_URL", redact_url(url), reason[0] if reason else "")


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate `url` up to `revision`; a database that does not answer fails in seconds."""
    config = alembic_config(url)
    from alembic import command

    Database.connect(url).dispose()
    try:
        command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise _failed(url, exc) from exc


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate `url` down to `revision` (`base` drops every table of the schema)."""
    config = alembic_config(url)
    from alembic import command

    Database.connect(url).dispose()
    try:
        command.downgrade(config, revision)
    except SQLAlchemyError as exc:
        raise _failed(url, exc) from exc


def head_revision(url: str = "sqlite://") -> str | None:
    """The newest revision in migrations/ (what `upgrade` brings a database to)."""
    config = alembic_config(url)
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config).get_current_head()


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


def current_revision(url: str) -> str | None:
    """The revision `url` is at, or None for a database never migrated."""
    alembic_config(url)  # quiets the plugin announcements before alembic is imported
    from alembic.runtime.migration import MigrationContext

    db = Database.connect(url)
    try:
        with _quiet("alembic.runtime.migration"), db.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise _failed(url, exc) from exc
    finally:
        db.dispose()
