"""`newsmodel train | tokenizer train | dapt`: config-driven training commands (thin shells)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from newsmodel.training.pipeline import TrainResult

tokenizer_app = typer.Typer(help="WordPiece tokenizers trained on our own corpus.", no_args_is_help=True)

OVERRIDES_HELP = (
    "Hydra-style overrides: model=electra trainer.lr=3e-5 data.dir=... (sweeps: a,b with --multirun)"
)


def train(
    overrides: list[str] = typer.Argument(None, help=OVERRIDES_HELP),
    multirun: bool = typer.Option(False, "--multirun", "-m", help="Run every combination of the sweeps."),
    show_config: bool = typer.Option(False, "--cfg", help="Print the resolved config(s) and exit."),
) -> None:
    """Train, evaluate, export, quantize and register one candidate per resolved config."""
    from newsmodel.errors import ConfigError
    from newsmodel.training.config import compose_config, to_yaml
    from newsmodel.training.sweep import grid_space, parse_sweep_overrides

    plain, sweeps = parse_sweep_overrides(overrides or [])
    jobs = [[*plain, *point] for point in grid_space(sweeps)]
    if len(jobs) > 1 and not multirun:
        raise ConfigError(f"the overrides describe {len(jobs)} runs: add --multirun to sweep them")
    if show_config:
        for job in jobs:
            typer.echo(f"# overrides: {' '.join(job) or '(none)'}\n{to_yaml(compose_config(job))}")
        return
    from newsmodel.training.launch import train_maybe_distributed

    if not multirun:
        _report(train_maybe_distributed(compose_config(jobs[0]), jobs[0]))
        return
    from newsmodel.training.sweep import run_grid

    done = run_grid(overrides or [], _train_job)
    typer.echo(
        f"{len(done)} of {len(jobs)} grid points trained (one MLflow parent run, each candidate nested)"
    )


def _train_job(cfg: Any, point: list[str]) -> TrainResult | None:
    """One grid point of --multirun: train it and print its line at once."""
    from newsmodel.training.pipeline import train as run_training

    typer.echo(f"== {' '.join(point)}")
    result = run_training(cfg)
    _report(result)
    return result


def _report(result: TrainResult | None) -> None:
    if result is None:  # a non-zero rank of a distributed run, or its launcher
        return
    m = result.metrics
    bench = (
        f"; int8 benchmark macro-F1 {m['int8_benchmark_macro_f1']:.4f}"
        if "int8_benchmark_macro_f1" in m
        else ""
    )
    registered = (
        f"registered {result.registered_model_name} version {result.model_version}"
        if result.model_version
        else f"not registered ({result.not_registered_because or 'no registered model name'})"
    )
    typer.echo(
        f"run {result.run_id} ({result.report['model']['name']}): test accuracy {m['test_accuracy']:.4f}, "
        f"macro-F1 {m['test_macro_f1']:.4f}; int8 accuracy {m['int8_test_accuracy']:.4f}, "
        f"{m['int8_size_mb']:.1f} MB ({m['size_ratio']:.2f}x smaller){bench}; "
        f"{registered}; {result.quality_floor}; files in {result.output_dir}"
    )


def sweep(
    overrides: list[str] = typer.Argument(None, help=OVERRIDES_HELP + "; sweep=NAME picks the search space"),
    n_trials: int | None = typer.Option(None, help="Trials the study should reach (default sweep.n_trials)."),
) -> None:
    """Optuna study (TPE + median pruning on validation macro-F1); start one per worker to share it."""
    from newsmodel.training.config import compose_config
    from newsmodel.training.sweep import run_sweep

    cfg = compose_config(overrides or [])
    result = run_sweep(cfg, overrides or [], n_trials)
    best = f"{result.best_value:.4f}" if result.best_value is not None else "-"
    typer.echo(
        f"study {result.study_name}: {result.trials} trials ({result.completed} complete, {result.pruned} pruned); "
        f"best {cfg.sweep.metric} {best}; MLflow parent run {result.parent_run_id}"
    )
    if result.best_overrides:
        typer.echo(
            "train the best with: newsmodel train "
            + " ".join([*(o for o in overrides or [] if not o.startswith("sweep")), *result.best_overrides])
        )


@tokenizer_app.command("train")
def tokenizer_train(
    output: Path = typer.Option(..., "--output", "-o", help="Directory to save the tokenizer to."),
    text_file: Path | None = typer.Option(None, help="One sentence per line."),
    from_db: bool = typer.Option(False, "--from-db", help="Crawled sentences in DATABASE_URL."),
    from_data: bool = typer.Option(False, "--from-data", help="The train split of the data config."),
    overrides: list[str] = typer.Argument(
        None, help="Config overrides for --from-data (data=..., data.dir=...)."
    ),
    vocab_size: int = typer.Option(8000, help="Vocabulary size (the KoBERT team used 8k)."),
    cased: bool = typer.Option(False, "--cased", help="Keep case (default: lowercase)."),
    limit: int | None = typer.Option(None, help="Use at most this many sentences."),
) -> None:
    """Train a WordPiece vocabulary; use it with model.tokenizer_dir=OUTPUT."""
    from newsmodel.training.tokenizer import train_wordpiece

    texts = _corpus(text_file, from_db, from_data, overrides or [], limit)
    tokenizer = train_wordpiece(texts, vocab_size=vocab_size, lowercase=not cased)
    tokenizer.save_pretrained(str(output))
    sample = texts[0][:80]
    typer.echo(f"tokenizer with {len(tokenizer)} tokens from {len(texts)} sentences saved to {output}")
    typer.echo(f"sample: {sample!r} -> {tokenizer.tokenize(sample)[:16]}")


def dapt(
    output: Path = typer.Option(..., "--output", "-o", help="Checkpoint directory to write."),
    overrides: list[str] = typer.Argument(None, help="Model config overrides: model=tiny-bert ..."),
    text_file: Path | None = typer.Option(None, help="One sentence per line."),
    from_db: bool = typer.Option(False, "--from-db", help="Crawled sentences in DATABASE_URL."),
    from_data: bool = typer.Option(
        False,
        "--from-data",
        help="The train split of the data config (task-adaptive pre-training): never its validation, "
        "test or benchmark sentences.",
    ),
    steps: int = typer.Option(500, help="Masked-LM optimizer steps."),
    batch_size: int = typer.Option(16),
    lr: float = typer.Option(5e-5),
    mlm_probability: float = typer.Option(0.15),
    limit: int | None = typer.Option(None, help="Use at most this many sentences."),
    threads: int | None = typer.Option(None, help="torch CPU threads."),
) -> None:
    """Domain-adaptive masked-LM pre-training on news sentences; fine-tune with model.checkpoint=OUTPUT."""
    from newsmodel.training.config import compose_config
    from newsmodel.training.dapt import run_dapt

    cfg = compose_config(overrides or [])
    texts = _corpus(text_file, from_db, from_data, overrides or [], limit)
    result = run_dapt(
        cfg.model,
        texts,
        output,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        mlm_probability=mlm_probability,
        seed=int(cfg.seed),
        num_threads=threads,
    )
    typer.echo(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in result.__dict__.items()}))
    typer.echo(f"fine-tune from it with: newsmodel train model={cfg.model.name} model.checkpoint={output}")


def _corpus(
    text_file: Path | None, from_db: bool, from_data: bool, overrides: list[str], limit: int | None
) -> list[str]:
    from newsmodel.errors import ConfigError

    if sum([text_file is not None, from_db, from_data]) != 1:
        raise ConfigError("give exactly one text source: --text-file PATH, --from-db or --from-data")
    if text_file is not None:
        from newsmodel.training.corpus import read_text_file

        return read_text_file(text_file, limit)
    if from_db:
        from newsmodel.db import open_database
        from newsmodel.settings import get_settings
        from newsmodel.training.corpus import read_db_sentences

        with open_database(get_settings().database_url) as db, db.transaction() as session:
            return read_db_sentences(session, limit)
    from newsmodel.training.config import compose_config
    from newsmodel.training.data import load_splits

    texts = [e.text for e in load_splits(compose_config(overrides).data).train]
    return texts[:limit] if limit else texts


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("sweep")(sweep)
    app.command("dapt")(dapt)
    app.add_typer(tokenizer_app, name="tokenizer")
