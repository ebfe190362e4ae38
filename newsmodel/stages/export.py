"""Stage `export`: the run's torch checkpoint -> `model/` (fp32 ONNX checked against torch on
validation batches, tokenizer, label map)."""

from __future__ import annotations

import shutil

from newsmodel.stages.context import RunContext
from newsmodel.stages.train import load_checkpoint

__all__ = ["MODEL_DIR", "run"]

MODEL_DIR = "model"


def run(ctx: RunContext) -> dict[str, float]:
    from newsmodel.export.package import export_fp32
    from newsmodel.labels import get_scheme
    from newsmodel.registry.layout import FP32_FILE
    from newsmodel.training.data import encode

    model, tokenizer = load_checkpoint(ctx)
    splits = ctx.splits()
    scheme = get_scheme(splits.scheme)
    val = encode(splits.validation, tokenizer, scheme.labels, int(ctx.cfg.model.max_length))
    out = ctx.out / MODEL_DIR
    shutil.rmtree(out, ignore_errors=True)
    pair_input = ctx.cfg.data.get("pair_input") or None
    _, parity = export_fp32(
        model, tokenizer, ctx.cfg.model, scheme, ctx.cfg.export, out, val.input_ids, pair_input
    )
    ctx.log_path(out, MODEL_DIR)
    ctx.update_report({"parity_max_abs_diff": parity})
    return {"parity_max_abs_diff": parity, "fp32_size_mb": (out / FP32_FILE).stat().st_size / 2**20}
