"""Stage `register`: log the run's `model/` as an MLflow pyfunc and register a version of it,
tagged with what the gate and the server need (dataset fingerprint, scheme, commit, run, scores)."""

from __future__ import annotations

from newsmodel.errors import ConfigError
from newsmodel.stages.context import RunContext
from newsmodel.stages.export import MODEL_DIR

__all__ = ["run"]


def run(ctx: RunContext, name: str | None = None) -> dict[str, float]:
    """Register under `name` (default: mlflow.registered_model_name, else REGISTERED_MODEL_NAME);
    with mlflow.register=false, log the pyfunc model only."""
    import mlflow

    from newsmodel.export.package import model_languages
    from newsmodel.registry.register import log_pyfunc_model, tag_model_version
    from newsmodel.settings import get_settings

    run = ctx.client.get_run(ctx.run_id)
    metrics, tags = run.data.metrics, run.data.tags
    missing = [m for m in ("test_macro_f1", "int8_test_accuracy") if m not in metrics]
    if missing:
        raise ConfigError(f"run {ctx.run_id} has no {missing}: run `newsmodel evaluate {ctx.run_id}` first")
    if name is None and ctx.cfg.mlflow.register:
        name = str(ctx.cfg.mlflow.registered_model_name or get_settings().registered_model_name)
    model_dir = ctx.fetch(MODEL_DIR)
    example = [e.text for e in ctx.splits().test[:3]]
    with mlflow.start_run(run_id=ctx.run_id):
        info = log_pyfunc_model(model_dir, name, example)
    if name is None or info.registered_model_version is None:
        return {}
    version = str(info.registered_model_version)
    tag_model_version(
        ctx.client,
        name,
        version,
        {
            "dataset_fingerprint": tags.get("dataset_fingerprint", ""),
            "label_scheme": tags.get("label_scheme", ""),
            "git_commit": tags.get("git_commit", "unknown"),
            "run_id": ctx.run_id,
            "test_macro_f1": f"{metrics['test_macro_f1']:.4f}",
            "int8_test_accuracy": f"{metrics['int8_test_accuracy']:.4f}",
            # What the scorer may give this version ("en", "en,ko").
            "languages": ",".join(model_languages(ctx.cfg.model)),
        },
    )
    ctx.client.set_tag(ctx.run_id, "registered_model", f"{name}/{version}")
    return {"registered_version": float(version)}
