"""Turn a trained classifier into the registered model directory: fp32 ONNX (parity-checked
against torch), the int8 model whose scheme was chosen on validation, tokenizer and label map."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from newsmodel.errors import NewsmodelError
from newsmodel.export.onnx_export import export_onnx
from newsmodel.export.quantize import QuantEval, QuantTrial, select_quantization
from newsmodel.export.speed import make_batches
from newsmodel.registry.layout import (
    FP32_FILE,
    INT8_FILE,
    LABEL_MAP_FILE,
    TOKENIZER_DIR,
    label_map,
    write_label_map,
)

__all__ = ["PackagedModel", "logit_parity", "package_model"]


@dataclass
class PackagedModel:
    model_dir: Path
    input_names: tuple[str, ...]
    parity_max_abs_diff: float
    quantization: QuantTrial
    quantization_trials: list[QuantTrial] = field(default_factory=list)

    @property
    def fp32_bytes(self) -> int:
        return (self.model_dir / FP32_FILE).stat().st_size

    @property
    def int8_bytes(self) -> int:
        return (self.model_dir / INT8_FILE).stat().st_size


def logit_parity(model: Any, onnx_path: Path, input_ids: Sequence[Sequence[int]], pad_id: int) -> float:
    """Max |torch logits - onnxruntime logits| over a few padded batches of real sentences."""
    import torch

    from newsmodel.export.speed import onnx_runner

    run = onnx_runner(onnx_path, threads=1)
    worst = 0.0
    for batch in make_batches(input_ids, min(16, len(input_ids)), 2, pad_id):
        with torch.inference_mode():
            ref = model(
                input_ids=torch.from_numpy(batch["input_ids"]),
                attention_mask=torch.from_numpy(batch["attention_mask"]),
            ).logits.numpy()
        worst = max(worst, float(np.abs(ref - run(batch)[0]).max()))
    return worst


def model_languages(model_cfg: Any) -> list[str]:
    """The `languages` of a model config (conf/model/*.yaml); English when it names none."""
    found = model_cfg.get("languages") if hasattr(model_cfg, "get") else None
    return [str(x).lower() for x in found] if found else ["en"]


def package_model(
    model: Any,
    tokenizer: Any,
    model_cfg: Any,
    scheme: Any,
    export_cfg: Any,
    out_dir: Path,
    val_texts: Sequence[str],
    val_labels: Sequence[int],
    val_input_ids: Sequence[Sequence[int]],
    fp32_val_accuracy: float,
) -> PackagedModel:
    """Write `out_dir` in the registered layout; raise if the ONNX export disagrees with torch."""
    from newsmodel.predictor import OnnxPredictor

    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out_dir / TOKENIZER_DIR))
    fp32_path = out_dir / FP32_FILE
    input_names = export_onnx(model, fp32_path, opset=int(export_cfg.opset))
    write_label_map(
        out_dir,
        label_map(
            scheme=scheme.name,
            scheme_version=scheme.version,
            labels=scheme.labels,
            max_length=int(model_cfg.max_length),
            lowercase=bool(model_cfg.lowercase),
            model_name=str(model_cfg.name),
            architecture=str(model_cfg.architecture),
            input_names=input_names,
            languages=model_languages(model_cfg),
        ),
    )
    parity = logit_parity(model.to("cpu").eval(), fp32_path, val_input_ids, int(tokenizer.pad_token_id))
    if parity > float(export_cfg.parity_max_abs_diff):
        raise NewsmodelError(
            f"ONNX fp32 logits differ from torch by {parity:.2e} > export.parity_max_abs_diff="
            f"{export_cfg.parity_max_abs_diff}: the export is wrong, not registering it"
        )
    truth = np.asarray(val_labels)
    reference = OnnxPredictor.from_dir(out_dir, variant="fp32").predict_proba(list(val_texts))

    def int8_on_validation(candidate: Path) -> QuantEval:
        # The predictor loads a model directory: give the candidate the tokenizer and label map.
        for name in (TOKENIZER_DIR, LABEL_MAP_FILE):
            link = candidate.parent / name
            if not link.exists():
                link.symlink_to((out_dir / name).resolve())
        probs = OnnxPredictor.from_dir(candidate.parent, variant="int8").predict_proba(list(val_texts))
        kl = np.sum(
            reference * (np.log(np.maximum(reference, 1e-12)) - np.log(np.maximum(probs, 1e-12))), axis=1
        )
        return QuantEval(
            accuracy=float((probs.argmax(axis=1) == truth).mean()),
            agreement_with_fp32=float((probs.argmax(axis=1) == reference.argmax(axis=1)).mean()),
            kl_to_fp32=float(kl.mean()),
        )

    qcfg = export_cfg.quantization
    workdir = out_dir.parent / f"{out_dir.name}.int8-trials"
    try:
        choice, trials, winner = select_quantization(
            fp32_path,
            workdir,
            list(qcfg.schemes),
            fp32_val_accuracy,
            int8_on_validation,
            float(qcfg.max_accuracy_drop_points),
            float(qcfg.min_size_ratio),
        )
        winner.replace(out_dir / INT8_FILE)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return PackagedModel(out_dir, input_names, parity, choice, trials)
