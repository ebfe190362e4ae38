"""`newsmodel promote | gate | live | compare`: the model registry from the command line (thin shells)."""

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
    settings = get_settings()
    result = run_promote(
        client,
        name,
        version,
        to,
        alias=settings.model_alias,
        challenger_alias=settings.model_challenger_alias,
    )
    alias = f" and alias @{result.alias}" if result.alias else ""
    archived = f"; archived version(s) {', '.join(result.archived)}" if result.archived else ""
    typer.echo(f"{name} version {result.version} is now {result.stage}{alias}{archived}")


def gate(
    name: str = typer.Argument(..., help="Registered model name."),
    version: str = typer.Argument(..., help="Candidate version."),
    with_test_split: bool = typer.Option(
        False, "--with-test-split", help="Also compare on the candidate's own test split (checked for leaks)."
    ),
    min_clean: int = typer.Option(200, "--min-clean", min=1, help="Fewest clean sentences to decide on."),
    resamples: int = typer.Option(1000, "--resamples", min=100, help="Paired bootstrap resamples."),
    confidence: float = typer.Option(0.95, "--confidence", min=0.5, max=0.999, help="Interval level."),
    no_alias: bool = typer.Option(False, "--no-alias", help="Decide only; do not set the challenger alias."),
    data_dir: str | None = typer.Option(None, help="Where the data is, if not where the run found it."),
    tracking_uri: str | None = typer.Option(None, help="Default: MLFLOW_TRACKING_URI."),
) -> None:
    """Compare a candidate with the live version on sentences neither saw; decide on the interval.

    Exit 0: better (it becomes alias challenger), or nothing live yet; 1: worse; 3: inconclusive
    (the champion stays, the candidate becomes challenger); 2: refused (leaked or too few sentences).
    """
    import os

    from newsmodel.registry.gate import gate as run_gate
    from newsmodel.registry.tracking import connect

    # The gate downloads runs' files and two models: no progress bars around its one line.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    settings = get_settings()
    client = connect(tracking_uri)
    result = run_gate(
        client,
        name,
        version,
        alias=settings.model_alias,
        stage=settings.model_stage,
        challenger_alias=settings.model_challenger_alias,
        with_test_split=with_test_split,
        min_clean=min_clean,
        resamples=resamples,
        confidence=confidence,
        data_dir=data_dir,
        set_alias=not no_alias,
    )
    typer.echo(result.line())
    if result.exit_code:
        # SystemExit, not typer.Exit: click returns (not raises) Exit codes in non-standalone mode.
        raise SystemExit(result.exit_code)


def live(
    name: str | None = typer.Argument(None, help="Registered model name; default: REGISTERED_MODEL_NAME."),
    tracking_uri: str | None = typer.Option(None, help="Default: MLFLOW_TRACKING_URI."),
) -> None:
    """Print the live version (alias champion, else stage Production): what the server serves."""
    from newsmodel.registry.live import live_version
    from newsmodel.registry.tracking import connect

    model = name or get_settings().registered_model_name
    found = live_version(connect(tracking_uri), model)
    if found is None:
        typer.echo(f"{model}: nothing is live")
        raise SystemExit(1)
    note = f"; {found.disagreement}" if found.disagreement else ""
    typer.echo(f"{model} v{found.version} ({found.via}{note})")


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
    app.command("live")(live)
    app.command("compare")(compare)
