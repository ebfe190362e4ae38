"""Turn a trained classifier into the registered model directory in two steps (two stages): fp32
ONNX (parity-checked against torch) with tokenizer and label map, then the int8 model whose
scheme was chosen on validation against that fp32 model."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
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

__all__ = ["export_fp32", "logit_parity", "model_languages", "quantize_model"]


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


def export_fp32(
    model: Any,
    tokenizer: Any,
    model_cfg: Any,
    scheme: Any,
    export_cfg: Any,
    out_dir: Path,
    val_input_ids: Sequence[Sequence[int]],
    pair_input: str | None = None,
) -> tuple[tuple[str, ...], float]:
    """Write the fp32 ONNX model, tokenizer and label map; return the input names and the logit
    parity with torch. Raise if the export disagrees with torch. `pair_input`: the pair encoding
    the model was trained on (newsmodel.text.pair_input), recorded so every reader applies it."""
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
            **({"pair_input": pair_input} if pair_input else {}),
        ),
    )
    parity = logit_parity(model.to("cpu").eval(), fp32_path, val_input_ids, int(tokenizer.pad_token_id))
    if parity > float(export_cfg.parity_max_abs_diff):
        raise NewsmodelError(
            f"ONNX fp32 logits differ from torch by {parity:.2e} > export.parity_max_abs_diff="
            f"{export_cfg.parity_max_abs_diff}: the export is wrong, not registering it"
        )
    return input_names, parity


def quantize_model(
    out_dir: Path, quant_cfg: Any, val_texts: Sequence[str], val_labels: Sequence[int]
) -> tuple[QuantTrial, list[QuantTrial]]:
    """Try every configured int8 scheme on validation against the fp32 ONNX model in `out_dir`;
    the winner becomes `out_dir/model.int8.onnx`."""
    from newsmodel.predictor import OnnxPredictor

    truth = np.asarray(val_labels)
    reference = OnnxPredictor.from_dir(out_dir, variant="fp32").predict_proba(list(val_texts))
    fp32_accuracy = float((reference.argmax(axis=1) == truth).mean())

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

    workdir = out_dir.parent / f"{out_dir.name}.int8-trials"
    try:
        choice, trials, winner = select_quantization(
            out_dir / FP32_FILE,
            workdir,
            list(quant_cfg.schemes),
            fp32_accuracy,
            int8_on_validation,
            float(quant_cfg.max_accuracy_drop_points),
            float(quant_cfg.min_size_ratio),
            # Configs logged before the option existed get the portable default.
            weights=str(quant_cfg.get("weights", "pair_safe")),
        )
        winner.replace(out_dir / INT8_FILE)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return choice, trials
