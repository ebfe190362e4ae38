"""`newsmodel-app`: run the API, a worker or beat, and register the MLflow webhook.

Thin: each command parses, calls one function, prints. The container images call uvicorn and
celery directly; this is the same thing for a person at a terminal.
"""

from __future__ import annotations

from typing import Any

import typer

from newsmodel.cli_runner import run_cli
from newsmodel.errors import NewsmodelError

__all__ = ["main"]

cli = typer.Typer(
    help="newsmodel serving: API (uvicorn), Celery worker/beat, MLflow webhook.", no_args_is_help=True
)

WEBHOOK_EVENTS = ("model_version_alias.created", "model_version_alias.deleted")


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API (the model follows the registry; see /docs)."""
    import uvicorn

    # No Server banner; X-Forwarded-* only from APP_TRUSTED_PROXIES (the app applies them),
    # never from uvicorn's default trust of loopback peers.
    uvicorn.run(
        "app.main:create_app", factory=True, host=host, port=port, server_header=False, proxy_headers=False
    )


@cli.command()
def worker(concurrency: int = 1, loglevel: str = "INFO") -> None:
    """Run a Celery worker on the `newsmodel` queue (needs REDIS_URL)."""
    from app.celery_app import celery_app

    celery_app.worker_main(
        ["worker", "--concurrency", str(concurrency), "--loglevel", loglevel, "-Q", "newsmodel"]
    )


@cli.command()
def beat(loglevel: str = "INFO") -> None:
    """Run Celery beat: the preprocess -> score -> index pipeline every APP_PIPELINE_INTERVAL_S."""
    from app.celery_app import celery_app

    celery_app.start(["beat", "--loglevel", loglevel])


@cli.command("register-webhook")
def register_webhook(
    url: str = typer.Argument(..., help="e.g. https://api.example/v1/webhooks/mlflow"),
) -> None:
    """Create the MLflow webhook that tells the API about alias moves (signed with WEBHOOK_SECRET)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from app.settings import get_app_settings

    settings = get_app_settings()
    settings.check_secrets()
    client = MlflowClient(settings.mlflow_tracking_uri)
    name = f"newsmodel-app-{settings.registered_model_name}"
    try:
        # Idempotent (compose runs it on every `up`): update our webhook if it exists.
        existing = next((h for h in _all_webhooks(client) if h.name == name), None)
        if existing is not None:
            hook = client.update_webhook(
                existing.webhook_id,
                url=url,
                events=list(WEBHOOK_EVENTS),  # type: ignore[arg-type]
                secret=settings.webhook_secret.get_secret_value(),
                status="ACTIVE",
            )
        else:
            hook = client.create_webhook(
                name=name,
                url=url,
                events=list(WEBHOOK_EVENTS),  # type: ignore[arg-type]
                secret=settings.webhook_secret.get_secret_value(),
            )
    except MlflowException as exc:
        raise NewsmodelError(f"MLflow refused the webhook: {exc.message}") from exc
    typer.echo(f"webhook {hook.webhook_id} -> {url} for {', '.join(WEBHOOK_EVENTS)}")


def _all_webhooks(client: Any) -> list[Any]:
    hooks, token = [], None
    while True:
        page = client.list_webhooks(max_results=100, page_token=token)
        hooks.extend(page)
        token = page.token
        if not token:
            return hooks


def main() -> None:
    run_cli(cli)


if __name__ == "__main__":
    main()
