"""Hyper-parameter sweeps on Optuna: TPE (or random, or grid) with a pruner, studies in an RDB.

Why Optuna directly and not Hydra's Optuna sweeper: that plugin drives `@hydra.main` apps and
only sees a trial's final value, so it cannot prune (no per-epoch `trial.report`) and cannot nest
MLflow runs; our CLI composes configs with Hydra's compose API and reports every epoch.

A study lives in Optuna's RDB storage (OPTUNA_STORAGE: Postgres in compose, SQLite embedded):
every `newsmodel sweep` started with the same study name joins it, a killed worker's trial is
failed by the heartbeat and retried, and `n_trials` counts finished trials across workers and
restarts, so an interrupted study resumes where it was. Each trial is a nested MLflow run under
one parent run per study (its id kept in the study's user attributes); the parent gets the
optimization history, parallel-coordinates and parameter-importance plots. Trials score on the
validation split only; train the winner with `newsmodel train <printed overrides>`.

`newsmodel train --multirun a=1,2 b=x,y` is a grid study on the same machinery (GridSampler),
each grid point a full candidate run nested under one parent run.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger

__all__ = ["SweepResult", "grid_space", "parse_sweep_overrides", "run_grid", "run_sweep", "suggest"]

log = get_logger(__name__)
PARENT_ATTR = "mlflow_parent_run_id"


@dataclass(frozen=True)
class SweepResult:
    study_name: str
    parent_run_id: str
    trials: int
    completed: int
    pruned: int
    best_value: float | None
    best_overrides: list[str]


def parse_sweep_overrides(overrides: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Split Hydra overrides into plain ones and sweeps (`key=a,b`, `range(...)`), with Hydra's parser."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as exc:
        raise ConfigError(f"cannot parse overrides {list(overrides)}: {exc}") from exc
    plain: list[str] = []
    sweeps: dict[str, list[str]] = {}
    for item in parsed:
        if item.is_sweep_override():
            sweeps[item.get_key_element()] = [str(v) for v in item.sweep_string_iterator()]
        else:
            plain.append(str(item.input_line))
    return plain, sweeps


def grid_space(sweeps: dict[str, list[str]]) -> list[list[str]]:
    """Every grid point as override lists (what `--cfg` prints), via scikit-learn's ParameterGrid."""
    from sklearn.model_selection import ParameterGrid

    return [[f"{k}={point[k]}" for k in sweeps] for point in ParameterGrid(sweeps)] if sweeps else [[]]


def suggest(trial: Any, params: dict[str, Any]) -> list[str]:
    """The trial's overrides from a search space `{key: {type, low, high, log | choices}}`."""
    out = []
    for key, spec in params.items():
        kind = str(spec.get("type", "float"))
        if kind == "float":
            value: Any = trial.suggest_float(
                key, float(spec.low), float(spec.high), log=bool(spec.get("log"))
            )
        elif kind == "int":
            value = trial.suggest_int(key, int(spec.low), int(spec.high), log=bool(spec.get("log")))
        elif kind == "categorical":
            value = trial.suggest_categorical(key, list(spec.choices))
        else:
            raise ConfigError(f"sweep.params.{key}.type={kind!r}: use float, int or categorical")
        out.append(f"{key}={value}")
    return out


def _sampler(sweep_cfg: Any) -> Any:
    import optuna

    name, seed = str(sweep_cfg.sampler), int(sweep_cfg.seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=int(sweep_cfg.get("startup_trials", 5)))
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        space = {}
        for key, spec in sweep_cfg.params.items():
            if str(spec.get("type")) != "categorical":
                raise ConfigError(f"sampler=grid needs categorical params; sweep.params.{key} is not")
            space[key] = list(spec.choices)
        return optuna.samplers.GridSampler(space, seed=seed)
    raise ConfigError(f"sweep.sampler={name!r}: use tpe, random or grid")


def _pruner(sweep_cfg: Any) -> Any:
    import optuna

    if str(sweep_cfg.pruner) == "none":
        return optuna.pruners.NopPruner()
    if str(sweep_cfg.pruner) == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=int(sweep_cfg.pruner_startup_trials),
            n_warmup_steps=int(sweep_cfg.pruner_warmup_epochs),
        )
    raise ConfigError(f"sweep.pruner={sweep_cfg.pruner!r}: use median or none")


def _storage(url: str | None) -> Any:
    """Optuna's RDB storage with heartbeats: a worker killed mid-trial has it failed and retried."""
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    from newsmodel.errors import DependencyUnavailable
    from newsmodel.settings import get_settings, redact_url

    url = url or get_settings().optuna_storage
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        return RDBStorage(
            url,
            heartbeat_interval=30,
            grace_period=120,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=2),
        )
    except (optuna.exceptions.StorageInternalError, ImportError, ValueError) as exc:
        raise DependencyUnavailable(
            "Optuna storage", "OPTUNA_STORAGE", redact_url(url), str(exc)[:200]
        ) from exc


def _parent_run(
    client: Any, study: Any, experiment_id: str, name: str, kind: str, params: dict[str, str]
) -> str:
    """The study's parent MLflow run: created by the first worker, reused by the others and on resume."""
    existing = study.user_attrs.get(PARENT_ATTR)
    if existing:
        return str(existing)
    from newsmodel.registry.tracking import git_commit

    run = client.create_run(
        experiment_id,
        run_name=name,
        tags={"newsmodel.kind": kind, "optuna.study": study.study_name, "git_commit": git_commit()},
    )
    for key, value in params.items():
        client.log_param(run.info.run_id, key, value[:500])
    study.set_user_attr(PARENT_ATTR, run.info.run_id)
    return str(run.info.run_id)


def _trial_run(client: Any, experiment_id: str, parent: str, trial: Any, overrides: list[str]) -> str:
    run = client.create_run(
        experiment_id,
        run_name=f"trial-{trial.number}",
        tags={
            "mlflow.parentRunId": parent,
            "newsmodel.kind": "sweep-trial",
            "optuna.trial": str(trial.number),
        },
    )
    for item in overrides:
        key, _, value = item.partition("=")
        client.log_param(run.info.run_id, key, value[:500])
    return str(run.info.run_id)


def _objective(
    base: list[str], sweep_cfg: Any, client: Any, experiment_id: str, parent: Callable[[], str]
) -> Callable[[Any], float]:
    import optuna

    from newsmodel.training.candidate import fit_candidate
    from newsmodel.training.config import compose_config
    from newsmodel.training.data import load_splits

    metric = str(sweep_cfg.metric)
    cache: dict[str, Any] = {}

    def objective(trial: Any) -> float:
        overrides = suggest(trial, sweep_cfg.params)
        cfg = compose_config([*base, *overrides])
        key = str(cfg.data)
        if key not in cache:  # the split is the same for every trial of a study
            cache[key] = load_splits(cfg.data)
        run_id = _trial_run(client, experiment_id, parent(), trial, overrides)
        best = float("-inf")

        def on_epoch(epoch: int, metrics: dict[str, float]) -> None:
            nonlocal best
            for k, v in metrics.items():
                client.log_metric(run_id, k, v, step=epoch)
            best = max(best, metrics[metric])
            trial.report(metrics[metric], epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"epoch {epoch}: {metric} {metrics[metric]:.4f} below the median")

        try:
            fit_candidate(cfg, cache[key], on_epoch, refit=False)  # scored on validation: no refit
        except optuna.TrialPruned:
            client.set_tag(run_id, "optuna.state", "PRUNED")
            client.log_metric(run_id, f"best_{metric}", best)
            client.set_terminated(run_id, "KILLED")
            raise
        except BaseException:
            client.set_terminated(run_id, "FAILED")
            raise
        client.log_metric(run_id, f"best_{metric}", best)
        client.set_tag(run_id, "optuna.state", "COMPLETE")
        client.set_terminated(run_id, "FINISHED")
        return best

    return objective


def run_sweep(cfg: Any, base_overrides: Sequence[str], n_trials: int | None = None) -> SweepResult:
    """Join (or start) the study `cfg.sweep` describes and run trials until it has n_trials."""
    import optuna

    from newsmodel.registry.tracking import connect, ensure_experiment
    from newsmodel.training.config import flatten_config

    if "sweep" not in cfg or cfg.sweep is None:
        raise ConfigError("no search space: add sweep=NAME (conf/sweep/: " + ", ".join(_sweep_names()) + ")")
    sweep_cfg = cfg.sweep
    study_name = str(sweep_cfg.study_name or sweep_cfg.name)
    client = connect(cfg.mlflow.tracking_uri)
    experiment_id = ensure_experiment(client, str(cfg.mlflow.experiment))
    study = optuna.create_study(
        study_name=study_name,
        storage=_storage(sweep_cfg.storage),
        sampler=_sampler(sweep_cfg),
        pruner=_pruner(sweep_cfg),
        direction="maximize",
        load_if_exists=True,
    )
    flat = {k: str(v) for k, v in flatten_config(cfg).items() if not k.startswith("sweep.params")}
    parent_id = _parent_run(client, study, experiment_id, f"sweep-{study_name}", "sweep", flat)
    base = [o for o in base_overrides if not o.startswith("sweep.n_trials")]
    total = int(n_trials or sweep_cfg.n_trials)
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(
        _objective(base, sweep_cfg, client, experiment_id, lambda: parent_id),
        timeout=float(sweep_cfg.timeout_s) if sweep_cfg.timeout_s else None,
        callbacks=[optuna.study.MaxTrialsCallback(total, states=states)],
        n_trials=total,
        catch=(),
    )
    return _finish(client, study, parent_id, str(sweep_cfg.metric))


def _sweep_names() -> list[str]:
    from newsmodel.training.config import available_options

    return available_options("sweep")


def _finish(client: Any, study: Any, parent_id: str, metric: str) -> SweepResult:
    import optuna

    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    best = study.best_trial if done else None
    best_value = float(best.value) if best is not None else None
    metrics = {"trials_complete": float(len(done)), "trials_pruned": float(len(pruned))}
    if best is not None and best_value is not None:
        metrics[f"best_{metric}"] = float(best_value)
        client.set_tag(parent_id, "best_overrides", " ".join(f"{k}={v}" for k, v in best.params.items()))
        client.set_tag(parent_id, "best_trial", str(best.number))
    for k, v in metrics.items():
        client.log_metric(parent_id, k, v)
    _log_plots(client, study, parent_id)
    client.set_terminated(parent_id, "FINISHED")
    return SweepResult(
        study.study_name,
        parent_id,
        len(trials),
        len(done),
        len(pruned),
        best_value,
        [f"{k}={v}" for k, v in best.params.items()] if best else [],
    )


def _log_plots(client: Any, study: Any, parent_id: str) -> None:
    """Optimization history, parallel coordinates and parameter importances (Optuna's matplotlib
    backend), as PNGs on the parent run; a plot the study cannot make yet is skipped with a log line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm

    plots: dict[str, Callable[[Any], Any]] = {
        "optimization_history.png": ovm.plot_optimization_history,
        "parallel_coordinates.png": ovm.plot_parallel_coordinate,
        "param_importances.png": ovm.plot_param_importances,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, plot in plots.items():
            try:
                axes = plot(study)
            except (ValueError, RuntimeError, ZeroDivisionError) as exc:
                log.info("sweep plot skipped", plot=name, reason=str(exc)[:120])
                continue
            figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure
            figure.set_size_inches(9, 5)
            figure.tight_layout()
            path = Path(tmp) / name
            figure.savefig(path, dpi=110)
            plt.close(figure)
            client.log_artifact(parent_id, str(path), "plots")


def run_grid(
    overrides: Sequence[str], train_one: Callable[[Any, list[str]], Any], tracking_uri: str | None = None
) -> list[tuple[list[str], Any]]:
    """`--multirun`: every grid point of the sweep overrides as one full candidate run, through
    Optuna's GridSampler (in-memory study), nested under a `multirun` parent run."""
    import optuna

    from newsmodel.registry.tracking import connect, ensure_experiment
    from newsmodel.training.config import compose_config

    plain, sweeps = parse_sweep_overrides(overrides)
    first = compose_config([*plain, *grid_space(sweeps)[0]])
    client = connect(tracking_uri or first.mlflow.tracking_uri)
    experiment_id = ensure_experiment(client, str(first.mlflow.experiment))
    parent = client.create_run(
        experiment_id,
        run_name=f"multirun-{time.strftime('%Y%m%d-%H%M%S')}",
        tags={"newsmodel.kind": "multirun", "overrides": " ".join(overrides)[:5000]},
    ).info.run_id
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(sweeps, seed=0), direction="maximize")
    results: list[tuple[list[str], Any]] = []

    def objective(trial: Any) -> float:
        point = [f"{k}={trial.suggest_categorical(k, choices)}" for k, choices in sweeps.items()]
        cfg = compose_config([*plain, *point])
        cfg.mlflow.parent_run_id = parent
        result = train_one(cfg, point)
        results.append((point, result))
        return float(result.metrics.get("best_val_macro_f1", 0.0)) if result is not None else 0.0

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study.optimize(objective, n_trials=len(grid_space(sweeps)))
    except BaseException:
        client.set_terminated(parent, "FAILED")
        raise
    client.set_terminated(parent, "FINISHED")
    return results
