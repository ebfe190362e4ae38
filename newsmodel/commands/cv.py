"""`newsmodel cv`: repeated grouped k-fold cross-validation of a training config (a thin shell)."""

from __future__ import annotations

from pathlib import Path

import typer

from newsmodel.commands.train import OVERRIDES_HELP


def cv(
    overrides: list[str] = typer.Argument(None, help=OVERRIDES_HELP + "; cv.folds=5 cv.repeats=2"),
    report: Path | None = typer.Option(None, help="Also write cv_report.json here."),
) -> None:
    """Cross-validate a recipe: mean and spread of macro-F1 and per-class F1, logged to MLflow."""
    from newsmodel.training.config import compose_config
    from newsmodel.training.cv_tracking import run_cv

    cfg = compose_config(overrides or [])
    run_id, result = run_cv(cfg, report)
    s = result.summary()
    labels = list(result.folds[0].per_class_f1) if result.folds else []
    typer.echo("| metric | mean | std | worst fold |\n|---|---|---|---|")
    for name in ["macro_f1", "accuracy", *[f"f1_{label}" for label in labels]]:
        typer.echo(
            f"| {name} | {s[f'cv_{name}_mean']:.4f} | {s[f'cv_{name}_std']:.4f} | {s[f'cv_{name}_min']:.4f} |"
        )
    typer.echo(
        f"{len(result.folds)} folds in {s.get('cv_seconds_total', 0.0) / 60:.1f} min; MLflow run {run_id}"
    )


def register(app: typer.Typer) -> None:
    app.command("cv")(cv)
