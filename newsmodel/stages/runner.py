"""Run the declared stages on one MLflow run: a new one, or an existing one (`resume_run_id`),
skipping what has completed there.

The run is created by the first call (tags, flattened params, `config.yaml`); each stage is
marked done on the run when it finishes, so a pipeline killed in `evaluate` resumes at
`evaluate` (`newsmodel pipeline --resume RUN_ID`), with the run's own config and files. Under a
distributed launcher only rank 0 talks to MLflow; the other ranks join the `train` stage's loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmodel.datasets.types import DatasetSplits
from newsmodel.logging import get_logger
from newsmodel.stages.context import CONFIG_FILE, RunContext
from newsmodel.stages.state import STAGES, completed_stages, mark_done, select_stages

__all__ = ["PipelineResult", "StageRunner", "create_run", "run_pipeline", "run_stage"]

log = get_logger(__name__)
StageRunner = Callable[[RunContext], dict[str, float]]


@dataclass
class PipelineResult:
    run_id: str
    experiment_id: str
    output_dir: Path
    ran: list[str]
    skipped: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    registered_model: str | None = None
    quality_floor: str = ""
    not_registered_because: str = ""


def _stage_function(name: str) -> StageRunner:
    import importlib

    return importlib.import_module(f"newsmodel.stages.{name}").run  # type: ignore[no-any-return]


def create_run(
    cfg: Any, client: Any, splits: DatasetSplits, extra_tags: Mapping[str, str] | None = None
) -> RunContext:
    """A new candidate run with the resolved config logged, and its local folder (`extra_tags`:
    what asked for it, e.g. the retraining loop's `newsmodel.trigger`)."""
    from newsmodel.labels import get_scheme
    from newsmodel.registry.tracking import ensure_experiment, git_commit
    from newsmodel.settings import get_settings
    from newsmodel.training.config import flatten_config, to_yaml
    from newsmodel.training.deployable import registration_for

    # Before any work: a non-deployable run asking for the serving name stops here.
    registration = registration_for(cfg, get_settings().registered_model_name)
    experiment_id = ensure_experiment(client, str(cfg.mlflow.experiment))
    run_name = str(cfg.mlflow.run_name or f"{cfg.model.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    tags = {
        "mlflow.runName": run_name,
        "git_commit": git_commit(),
        "dataset_fingerprint": splits.fingerprint,
        "label_scheme": get_scheme(splits.scheme).key,
        "model_name": str(cfg.model.name),
        "architecture": str(cfg.model.architecture),
        "newsmodel.kind": "candidate",
        "deployable": str(registration.deployable).lower(),
        "benchmark": splits.benchmark.ref if splits.benchmark else "none",
        "benchmark_sha256": splits.benchmark.sha256 if splits.benchmark else "",
    }
    if registration.why_not:
        tags["newsmodel.not_registered"] = registration.why_not
    tags.update(extra_tags or {})
    if cfg.mlflow.get("parent_run_id"):
        tags["mlflow.parentRunId"] = str(cfg.mlflow.parent_run_id)
    run = client.create_run(experiment_id, run_name=run_name, tags=tags)
    out = Path(str(cfg.output_dir)) if cfg.output_dir else get_settings().state_dir / "runs" / run_name
    out.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(cfg, client, run.info.run_id, out)
    ctx.use_splits(splits)
    from mlflow.entities import Param

    params = [Param(k, str("null" if v is None else v)[:500]) for k, v in flatten_config(cfg).items()]
    for start in range(0, len(params), 90):
        client.log_batch(run.info.run_id, params=params[start : start + 90])
    (out / CONFIG_FILE).write_text(to_yaml(cfg), encoding="utf-8")
    ctx.log_path(out / CONFIG_FILE)
    _log_split_manifest(ctx, splits)
    client.set_tag(run.info.run_id, "newsmodel.output_dir", str(out))
    return ctx


def _log_split_manifest(ctx: RunContext, splits: DatasetSplits) -> None:
    """The keys of the sentences in train / validation / test: what the gate checks comparisons against."""
    from newsmodel.datasets.manifest import MANIFEST_FILE, split_manifest
    from newsmodel.labels import get_scheme

    path = ctx.out / MANIFEST_FILE
    path.write_text(split_manifest(splits, get_scheme(splits.scheme).key).to_json(), encoding="utf-8")
    ctx.log_path(path)


def run_stage(ctx: RunContext, name: str, runner: StageRunner | None = None) -> dict[str, float]:
    """One stage on the run: its metrics logged, then it is marked done (later stages stale)."""
    started = time.perf_counter()
    log.info("stage start", stage=name, run_id=ctx.run_id)
    metrics = (runner or _stage_function(name))(ctx)
    if metrics:
        ctx.log_metrics(metrics)
    mark_done(ctx.client, ctx.run_id, name, time.perf_counter() - started)
    log.info("stage done", stage=name, run_id=ctx.run_id, seconds=round(time.perf_counter() - started, 1))
    return metrics


def run_pipeline(
    cfg: Any | None = None,
    *,
    only: Sequence[str] | None = None,
    skip: Sequence[str] | None = None,
    resume_run_id: str | None = None,
    overrides: Sequence[str] = (),
    splits: DatasetSplits | None = None,
    tracking_uri: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> PipelineResult | None:
    """Run the selected stages in order on a new run (from `cfg`) or on `resume_run_id`.
    Returns None on the non-zero ranks of a distributed run."""
    from newsmodel.registry.tracking import connect
    from newsmodel.training.trainer import is_main_process

    if not is_main_process():
        from newsmodel.stages.train import fit_only
        from newsmodel.training.data import load_splits

        assert cfg is not None, "distributed ranks need the config, not a run id"
        fit_only(cfg, splits or load_splits(cfg.data), Path(str(cfg.output_dir)))
        return None
    if resume_run_id is None and cfg is None:
        raise ValueError("give a config or a run id to resume")
    uri = tracking_uri or (cfg.mlflow.tracking_uri if cfg is not None else None)
    client = connect(uri)
    if resume_run_id:
        ctx = RunContext.open(client, resume_run_id, overrides=list(overrides))
        done = completed_stages(client, resume_run_id)
    else:
        from newsmodel.training.data import load_splits

        assert cfg is not None
        ctx = create_run(cfg, client, splits or load_splits(cfg.data), tags)
        done = []
    todo = select_stages(only, skip, done)
    try:
        for name in todo:
            run_stage(ctx, name)
    except BaseException:
        client.set_terminated(ctx.run_id, "FAILED")
        raise
    client.set_terminated(ctx.run_id, "FINISHED")
    run = client.get_run(ctx.run_id)
    return PipelineResult(
        run_id=ctx.run_id,
        experiment_id=run.info.experiment_id,
        output_dir=ctx.out,
        ran=todo,
        skipped=[s for s in STAGES if s not in todo],
        metrics=dict(run.data.metrics),
        report=ctx.report(),
        registered_model=run.data.tags.get("registered_model"),
        quality_floor=run.data.tags.get("quality_floor.summary", ""),
        not_registered_because=run.data.tags.get("newsmodel.not_registered", ""),
    )
