"""`newsmodel challenger report`: what the shadow challenger did on live traffic (thin shell)."""

from __future__ import annotations

import json

import typer

from newsmodel.settings import get_settings

challenger_app = typer.Typer(
    help="The shadow challenger: its live agreement with the champion.", no_args_is_help=True
)


@challenger_app.command("report")
def report(
    model_name: str | None = typer.Option(
        None, "--model", help="Registered model (default REGISTERED_MODEL_NAME)."
    ),
    version: str | None = typer.Option(
        None, "--version", help="Challenger version (default: the latest shadowed)."
    ),
    champion: str | None = typer.Option(None, "--champion", help="Champion version it was compared with."),
    samples: int = typer.Option(10, "--samples", min=0, max=500, help="Disagreements to print."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Agreement (with its 95% interval), the confusion table, confidences and the disagreements
    a reviewer should read before promoting the challenger in the MLflow UI."""
    from newsmodel.db import open_database
    from newsmodel.errors import DataError
    from newsmodel.shadow.report import render_report
    from newsmodel.shadow.store import shadow_summary

    settings = get_settings()
    name = model_name or settings.registered_model_name
    with open_database(settings.database_url) as db, db.transaction() as session:
        summary = shadow_summary(session, name, version, champion, samples=samples)
    if summary is None:
        which = f" v{version}" if version else ""
        raise DataError(
            f"no shadow comparison stored for {name}{which}: set the alias "
            f"'{settings.model_challenger_alias}' on a version and send traffic (or run a job)"
        )
    typer.echo(json.dumps(summary.to_dict(), indent=2) if as_json else render_report(summary))


def register(app: typer.Typer) -> None:
    app.add_typer(challenger_app, name="challenger")
