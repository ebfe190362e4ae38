"""`newsmodel db ...`: migrate and check the corpus database."""

from __future__ import annotations

import typer

from newsmodel.settings import get_settings

db_app = typer.Typer(help="Corpus database: migrate, check.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations (`alembic upgrade head`) to DATABASE_URL."""
    from newsmodel.db.migrate import upgrade as run_upgrade

    url = get_settings().database_url
    run_upgrade(url, revision)
    typer.echo(f"database at revision {revision}")


@db_app.command("check")
def check() -> None:
    """Exit non-zero with one line if DATABASE_URL does not answer."""
    from newsmodel.db import connect
    from newsmodel.settings import redact_url

    url = get_settings().database_url
    connect(url)
    typer.echo(f"database ok: {redact_url(url)}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
