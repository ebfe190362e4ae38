"""`newsmodel pipeline | export | quantize | evaluate | register`: the stages as commands (thin shells).

Every stage command takes an existing MLflow run id and re-runs that stage on it, with the run's
logged config plus any overrides given (`'export.quantization.schemes=[per_channel]'`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from newsmodel.commands.train import OVERRIDES_HELP

RUN_ID_HELP = "MLflow run id of a candidate (printed by `newsmodel train` / `pipeline`)."
STAGE_OVERRIDES_HELP = (
    "Overrides applied to the run's logged config, e.g. 'export.quantization.schemes=[default]'."
)


def pipeline(
    overrides: list[str] = typer.Argument(None, help=OVERRIDES_HELP),
    only: list[str] = typer.Option(
        None, "--only", help="Run only these stages (comma-separated or repeated)."
    ),
    skip: list[str] = typer.Option(None, "--skip", help="Skip these stages."),
    resume: str | None = typer.Option(
        None, "--resume", help="Continue this run after its last completed stage."
    ),
) -> None:
    """Run the stages train, export, quantize, evaluate, register in order (state kept on the MLflow run)."""
    from newsmodel.stages.runner import run_pipeline
    from newsmodel.training.config import compose_config

    if resume:
        result = run_pipeline(None, only=only, skip=skip, resume_run_id=resume, overrides=overrides or [])
    else:
        result = run_pipeline(compose_config(overrides or []), only=only, skip=skip)
    if result is None:
        return
    typer.echo(
        f"run {result.run_id}: ran {', '.join(result.ran) or 'nothing'}"
        f"{'; not run: ' + ', '.join(result.skipped) if result.skipped else ''}; files in {result.output_dir}"
    )
    if result.registered_model:
        typer.echo(f"registered {result.registered_model}")


def _single(stage: str, run_id: str, overrides: list[str] | None, **kwargs: object) -> dict[str, float]:
    from newsmodel.registry.tracking import connect
    from newsmodel.stages.context import RunContext
    from newsmodel.stages.runner import run_stage

    ctx = RunContext.open(connect(None), run_id, overrides=overrides or [])
    if kwargs:
        import importlib

        module = importlib.import_module(f"newsmodel.stages.{stage}")
        return run_stage(ctx, stage, lambda c: module.run(c, **kwargs))
    return run_stage(ctx, stage)


def _echo(stage: str, run_id: str, metrics: dict[str, float]) -> None:
    shown = ", ".join(f"{k} {v:.4g}" for k, v in sorted(metrics.items())[:12])
    typer.echo(f"{stage} done on run {run_id}: {shown or 'no metrics'}")


def export(
    run_id: str = typer.Argument(..., help=RUN_ID_HELP),
    overrides: list[str] = typer.Argument(None, help=STAGE_OVERRIDES_HELP),
) -> None:
    """Export the run's torch checkpoint to fp32 ONNX (parity-checked), tokenizer and label map."""
    _echo("export", run_id, _single("export", run_id, overrides))


def quantize(
    run_id: str = typer.Argument(..., help=RUN_ID_HELP),
    overrides: list[str] = typer.Argument(None, help=STAGE_OVERRIDES_HELP),
) -> None:
    """Choose and write the int8 model on validation; evaluate and register are then due again."""
    _echo("quantize", run_id, _single("quantize", run_id, overrides))


def evaluate(
    run_id: str = typer.Argument(..., help=RUN_ID_HELP),
    overrides: list[str] = typer.Argument(None, help=STAGE_OVERRIDES_HELP),
    test_file: Path | None = typer.Option(None, help="Another labeled set (CSV/TSV/JSONL) to score instead."),
    name: str | None = typer.Option(
        None, help="Its name in the metrics (eval_NAME_*); default: the file stem."
    ),
    scheme: str = typer.Option("relation3", help="Label scheme of --test-file's labels."),
    text_column: str = typer.Option("text"),
    label_column: str = typer.Option("label"),
) -> None:
    """Score the run's models on its test split, or on --test-file without touching its own figures."""
    if test_file is None:
        _echo("evaluate", run_id, _single("evaluate", run_id, overrides))
        return
    from newsmodel.labels.importers import ColumnMapping, read_labeled_file
    from newsmodel.registry.tracking import connect
    from newsmodel.stages import evaluate as stage
    from newsmodel.stages.context import RunContext

    ctx = RunContext.open(connect(None), run_id, overrides=overrides or [])
    target = str(ctx.cfg.data.scheme)
    examples = read_labeled_file(
        test_file,
        source_scheme=scheme,
        target_scheme=target,
        columns=ColumnMapping(text_column, label_column),
    ).examples
    metrics = stage.run(ctx, stage.TestSet(name or test_file.stem.replace(".", "-"), examples))
    ctx.log_metrics(metrics)
    _echo("evaluate", run_id, metrics)


def register_stage(
    run_id: str = typer.Argument(..., help=RUN_ID_HELP),
    name: str | None = typer.Option(None, help="Registered model name (default: REGISTERED_MODEL_NAME)."),
) -> None:
    """Log the run's model as an MLflow pyfunc and register a new version of it."""
    metrics = _single("register", run_id, None, name=name) if name else _single("register", run_id, None)
    _echo("register", run_id, metrics)


def register(app: typer.Typer) -> None:
    app.command("pipeline")(pipeline)
    app.command("export")(export)
    app.command("quantize")(quantize)
    app.command("evaluate")(evaluate)
    app.command("register")(register_stage)
