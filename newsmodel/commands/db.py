"""`newsmodel db ...`: migrate and check the corpus database (and, via `register`, `newsmodel health`)."""

from __future__ import annotations

import typer

from newsmodel.settings import get_settings

db_app = typer.Typer(help="Corpus database: migrate, check.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations (`alembic upgrade head`) to DATABASE_URL."""
    from newsmodel.db.migrate import current_revision
    from newsmodel.db.migrate import upgrade as run_upgrade

    url = get_settings().database_url
    run_upgrade(url, revision)
    typer.echo(f"database at revision {current_revision(url)}")


@db_app.command("downgrade")
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. -1 or base.")) -> None:
    """Revert Alembic migrations on DATABASE_URL down to REVISION (`base` drops the schema)."""
    from newsmodel.db.migrate import current_revision
    from newsmodel.db.migrate import downgrade as run_downgrade

    url = get_settings().database_url
    run_downgrade(url, revision)
    typer.echo(f"database at revision {current_revision(url) or 'base (empty schema)'}")


@db_app.command("check")
def check() -> None:
    """Exit non-zero with one line if DATABASE_URL does not answer; else print its revision."""
    from newsmodel.db.migrate import current_revision, head_revision
    from newsmodel.settings import redact_url

    url = get_settings().database_url
    current = current_revision(url)
    head = head_revision(url)
    state = "up to date" if current == head else "run `newsmodel db upgrade`"
    typer.echo(f"database ok: {redact_url(url)} (revision {current or 'none'}, head {head}: {state})")


def register(app: typer.Typer) -> None:
    from newsmodel.commands import health

    app.add_typer(db_app, name="db")
    health.register(app)
