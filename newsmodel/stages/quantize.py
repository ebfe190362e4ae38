"""Stage `quantize`: each scheme of export.quantization.schemes tried on the validation split
against the run's fp32 ONNX model; the winner becomes `model/model.int8.onnx`.

Re-quantize an existing run with another scheme without retraining:
`newsmodel quantize RUN_ID 'export.quantization.schemes=[per_channel]'` (then `evaluate`).
"""

from __future__ import annotations

from newsmodel.stages.context import RunContext
from newsmodel.stages.export import MODEL_DIR

__all__ = ["run"]


def run(ctx: RunContext) -> dict[str, float]:
    from newsmodel.export.package import quantize_model
    from newsmodel.registry.layout import FP32_FILE, INT8_FILE

    model_dir = ctx.fetch(MODEL_DIR)
    splits = ctx.splits()
    index = {label: i for i, label in enumerate(splits.labels)}
    choice, trials = quantize_model(
        model_dir,
        ctx.cfg.export.quantization,
        [e.text for e in splits.validation],
        [index[e.label] for e in splits.validation],
    )
    ctx.log_path(model_dir / INT8_FILE, MODEL_DIR)
    fp32, int8 = (model_dir / FP32_FILE).stat().st_size, (model_dir / INT8_FILE).stat().st_size
    ctx.update_report(
        {
            "quantization": {"chosen": choice.to_dict(), "trials": [t.to_dict() for t in trials]},
            "sizes": {"fp32_mb": fp32 / 2**20, "int8_mb": int8 / 2**20, "ratio": fp32 / int8},
        }
    )
    ctx.client.set_tag(ctx.run_id, "quantization_scheme", choice.scheme)
    return {"int8_val_accuracy": choice.accuracy, "int8_size_mb": int8 / 2**20, "size_ratio": fp32 / int8}
