"""`newsmodel health`: is every configured dependency there? One line each, or one error line."""

from __future__ import annotations

import typer

__all__ = ["register"]

_SERVICES = ("database", "redis", "mlflow")


def health(
    service: list[str] = typer.Option(
        [], "--service", "-s", help="Check only this dependency (database, redis, mlflow); repeatable."
    ),
) -> None:
    """Check DATABASE_URL, REDIS_URL and MLFLOW_TRACKING_URI answer (and that secrets are set
    outside development); exit 2 with one line naming the variable and address on failure."""
    from newsmodel.dependency_checks import check_all
    from newsmodel.errors import ConfigError
    from newsmodel.settings import get_settings

    unknown = sorted(set(service) - set(_SERVICES))
    if unknown:
        raise ConfigError(f"unknown --service {', '.join(unknown)}: choose from {', '.join(_SERVICES)}")
    settings = get_settings()
    settings.check_secrets()
    for result in check_all(settings, tuple(service)):
        typer.echo(f"ok  {result.service:<8} {result.address}  ({result.detail})")


def register(app: typer.Typer) -> None:
    app.command("health")(health)
