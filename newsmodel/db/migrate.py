"""Run Alembic from code (the `migrate` container, `make demo`, tests) with a clear error on failure."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import SQLAlchemyError

from newsmodel.db.session import connect
from newsmodel.errors import DependencyUnavailable
from newsmodel.settings import redact_url

__all__ = ["alembic_config", "downgrade", "upgrade"]


def _project_root() -> Path:
    env = os.environ.get("NEWSMODEL_ALEMBIC_INI")
    if env:
        return Path(env).resolve().parent
    return Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    ini = _project_root() / "alembic.ini"
    cfg = Config(str(ini))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    connect(url)
    try:
        command.upgrade(alembic_config(url), revision)
    except SQLAlchemyError as exc:
        raise DependencyUnavailable(
            "database", "DATABASE_URL", redact_url(url), str(exc).splitlines()[0]
        ) from exc


def downgrade(url: str, revision: str = "base") -> None:
    connect(url)
    command.downgrade(alembic_config(url), revision)
