"""`newsmodel promote | gate | compare`: the model registry from the command line (thin shells)."""

from __future__ import annotations

import typer

from newsmodel.settings import get_settings


def promote(
    name: str = typer.Argument(..., help="Registered model name."),
    version: str = typer.Argument(..., help="Model version to promote."),
    to: str = typer.Option("Production", "--to", help="Production, Staging, Archived or None."),
    tracking_uri: str | None = typer.Option(None, help="Default: MLFLOW_TRACKING_URI."),
) -> None:
    """Set the stage (archiving the previous holder) and, for Production, the champion alias."""
    from newsmodel.registry.promote import promote as run_promote
    from newsmodel.registry.tracking import connect

    client = connect(tracking_uri)
    result = run_promote(client, name, version, to, alias=get_settings().model_alias)
    alias = f" and alias @{result.alias}" if result.alias else ""
    archived = f"; archived version(s) {', '.join(result.archived)}" if result.archived else ""
    typer.echo(f"{name} version {result.version} is now {result.stage}{alias}{archived}")


def gate(
    name: str = typer.Argument(..., help="Registered model name."),
    version: str = typer.Argument(..., help="Candidate version."),
    metric: str = typer.Option("macro_f1", help="macro_f1 or accuracy."),
    tolerance: float = typer.Option(0.0, help="Allowed drop below Production (absolute, 0..1)."),
    data_dir: str | None = typer.Option(None, help="Where the data is, if not where the run found it."),
    tracking_uri: str | None = typer.Option(None, help="Default: MLFLOW_TRACKING_URI."),
) -> None:
    """Exit 0 if the candidate is not worse than Production on the same test split, 1 if it is."""
    from newsmodel.registry.gate import gate as run_gate
    from newsmodel.registry.tracking import connect

    settings = get_settings()
    client = connect(tracking_uri)
    result = run_gate(
        client,
        name,
        version,
        metric=metric,
        tolerance=tolerance,
        stage=settings.model_stage,
        alias=settings.model_alias,
        data_dir=data_dir,
    )
    typer.echo(f"{'PASS' if result.passed else 'FAIL'}: {result.reason}")
    if not result.passed:
        # SystemExit, not typer.Exit: click returns (not raises) Exit codes in non-standalone mode.
        raise SystemExit(1)


def compare(
    experiment: str = typer.Option(..., "--experiment", "-e", help="MLflow experiment of the candidates."),
    tracking_uri: str | None = typer.Option(None, help="Default: MLFLOW_TRACKING_URI."),
    log: bool = typer.Option(True, "--log/--no-log", help="Log the table and plot as a `compare` run."),
) -> None:
    """Print the side-by-side table of the experiment's candidates (and log it with a plot)."""
    from newsmodel.registry.compare import candidate_rows, log_comparison, render_markdown
    from newsmodel.registry.tracking import connect

    client = connect(tracking_uri)
    rows = candidate_rows(client, experiment)
    typer.echo(render_markdown(rows))
    if not rows:
        typer.echo(f"(no finished candidate runs in experiment {experiment!r})")
    if log:
        run_id = log_comparison(client, experiment, rows)
        typer.echo(f"logged to run {run_id}")


def register(app: typer.Typer) -> None:
    app.command("promote")(promote)
    app.command("gate")(gate)
    app.command("compare")(compare)
