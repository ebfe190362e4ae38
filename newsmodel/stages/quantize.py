"""Stage `quantize`: each scheme of export.quantization.schemes tried on the validation split
against the run's fp32 ONNX model; the winner becomes `model/model.int8.onnx`.

Re-quantize an existing run with another scheme without retraining:
`newsmodel quantize RUN_ID 'export.quantization.schemes=[per_channel]'` (then `evaluate`).

Then the chosen int8 model is calibrated on the validation split (`calibrate`): a temperature,
and the confusion of its calibrated readings, stored in `model/label_map.json` under
`quantification` (the predictor applies the temperature; the relation index corrects class
shares with the confusion), with a reliability diagram before/after logged to the run.

A refit run's served model trained on validation (`trainer.refit`), so its own validation
readings would fit a temperature to seen sentences (too confident) and a confusion matrix that
is too good: it is calibrated instead on the held-out validation logits of the model chosen
before the refit (same recipe and epochs, ~20% fewer sentences). The evaluate stage measures
the result on the test split neither model saw (`int8_test_ece`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsmodel.stages.context import RunContext
from newsmodel.stages.export import MODEL_DIR

__all__ = ["calibrate", "run"]


def run(ctx: RunContext) -> dict[str, float]:
    from newsmodel.export.package import quantize_model
    from newsmodel.registry.layout import FP32_FILE, INT8_FILE, LABEL_MAP_FILE

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
    # pair_safe / reduced: the same int8 results on every x86 CPU; full: exact only with VNNI.
    ctx.client.set_tag(ctx.run_id, "quantization_weights", choice.weights)
    held_out = _selection_logits(ctx)
    trained_on = splits.train + (splits.validation if held_out is not None else [])
    calibration = calibrate(
        model_dir,
        [e.text for e in splits.validation],
        [index[e.label] for e in splits.validation],
        [index[e.label] for e in trained_on],
        ctx.out / "reliability_validation.png",
        held_out,
    )
    ctx.log_path(model_dir / LABEL_MAP_FILE, MODEL_DIR)
    ctx.log_path(ctx.out / "reliability_validation.png")
    ctx.update_report({"calibration_validation": calibration})
    return {
        "int8_val_accuracy": choice.accuracy,
        "int8_size_mb": int8 / 2**20,
        "size_ratio": fp32 / int8,
        "temperature": calibration["temperature"],
        "int8_val_ece_raw": calibration["ece_raw"],
        "int8_val_ece_calibrated": calibration["ece_calibrated"],
    }


def _selection_logits(ctx: RunContext) -> Any:
    """A refit run's held-out validation logits (stage train), else None."""
    import numpy as np

    from newsmodel.stages.train import SELECTION_LOGITS

    if not ctx.has_artifact(SELECTION_LOGITS) and not (ctx.out / SELECTION_LOGITS).is_file():
        return None
    return np.load(ctx.fetch(SELECTION_LOGITS))


def calibrate(
    model_dir: Path,
    texts: list[str],
    y_true: list[int],
    train_labels: list[int],
    diagram: Path,
    held_out_logits: Any = None,
) -> dict[str, Any]:
    """Fit the int8 model's temperature and confusion on held-out `texts`, store them in its
    label_map.json, draw the reliability diagram; returns the figures for the run's report.
    `held_out_logits`: read these instead of the int8 model's (a refit run, see above)."""
    import json

    from newsmodel.evaluation.plots import plot_reliability
    from newsmodel.predictor import OnnxPredictor
    from newsmodel.registry.calibration import QUANTIFICATION_KEY
    from newsmodel.registry.layout import LABEL_MAP_FILE
    from newsmodel.relindex.quantify import fit_calibration, softmax

    predictor = OnnxPredictor.from_dir(model_dir, variant="int8")
    refit = held_out_logits is not None
    logits = (held_out_logits if refit else predictor.predict_logits(texts)).astype("float64")
    calibration = fit_calibration(logits, y_true, predictor.labels, train_labels)
    reader = "the model chosen before the refit (torch fp32)" if refit else "ONNX int8"
    ece = plot_reliability(
        y_true,
        {
            "raw": softmax(logits),
            f"T={calibration.temperature:.2f}": softmax(logits / calibration.temperature),
        },
        f"validation split, {reader}: temperature scaling",
        diagram,
    )
    path = model_dir / LABEL_MAP_FILE
    content = json.loads(path.read_text(encoding="utf-8"))
    content[QUANTIFICATION_KEY] = calibration.to_dict()
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    raw, calibrated = ece.values()
    return {
        "temperature": calibration.temperature,
        "ece_raw": raw,
        "ece_calibrated": calibrated,
        "n": len(texts),
        "fitted_on": f"validation, {reader}",
    }
