"""Stage `register`: the run's `model/` folder becomes an MLflow pyfunc model in place and, for a
deployable config (or a name of its own), a registered version pointing at it: each ONNX file is
stored once. The version carries what the gate and the server need - dataset fingerprint, scheme,
frozen benchmark, commit, run, scores, file digests, the quality floor's verdict (`rejected` and
its reasons below the floor) - and the model card as its description."""

from __future__ import annotations

from typing import Any

from newsmodel.errors import ConfigError
from newsmodel.stages.context import RunContext
from newsmodel.stages.export import MODEL_DIR

__all__ = ["run"]

_RUN_TAGS = ("dataset_fingerprint", "label_scheme", "git_commit", "model_name", "architecture", "deployable")


def run(ctx: RunContext, name: str | None = None) -> dict[str, float]:
    """Register under `name` (default: where `registration_for` says this config may register);
    with mlflow.register=false, or a non-deployable config without a name of its own, the run's
    `model/` is still made a loadable pyfunc model, but not registered."""
    from newsmodel.export.package import model_languages
    from newsmodel.registry.candidate import register_candidate
    from newsmodel.registry.floor import QualityFloor, floor_figures
    from newsmodel.registry.model_card import model_card_description
    from newsmodel.settings import get_settings
    from newsmodel.training.deployable import registration_for

    run = ctx.client.get_run(ctx.run_id)
    metrics, tags = run.data.metrics, run.data.tags
    missing = [m for m in ("test_macro_f1", "int8_test_accuracy") if m not in metrics]
    if missing:
        raise ConfigError(f"run {ctx.run_id} has no {missing}: run `newsmodel evaluate {ctx.run_id}` first")
    # The same rule as at the start of training, also for a name given on the command line.
    name = registration_for(ctx.cfg, get_settings().registered_model_name, name).name
    report = ctx.report()
    verdict = QualityFloor.from_config(ctx.cfg.get("quality_floor")).judge(floor_figures(report))
    record: dict[str, Any] = {key: tags.get(key, "") for key in _RUN_TAGS}
    record.update(
        run_id=ctx.run_id,
        benchmark=tags.get("benchmark", "none"),
        benchmark_sha256=tags.get("benchmark_sha256", ""),
        test_macro_f1=f"{metrics['test_macro_f1']:.4f}",
        int8_test_accuracy=f"{metrics['int8_test_accuracy']:.4f}",
        # What the scorer may give this version ("en", "en,ko").
        languages=",".join(model_languages(ctx.cfg.model)),
    )
    if "int8_benchmark_macro_f1" in metrics:
        record["int8_benchmark_macro_f1"] = f"{metrics['int8_benchmark_macro_f1']:.4f}"
    registered = register_candidate(
        ctx.client,
        ctx.fetch(MODEL_DIR),
        name,
        verdict=verdict,
        description=model_card_description(report, verdict),
        tags=record,
        input_example=[e.text for e in ctx.splits().test[:3]],
        run_folder=(ctx.run_id, MODEL_DIR),
    )
    if registered is None:
        return {}
    ctx.client.set_tag(ctx.run_id, "registered_model", f"{registered.name}/{registered.version}")
    return {"registered_version": float(registered.version)}
