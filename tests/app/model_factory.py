"""Tiny random-weight classifiers in the registered-model artifact layout, for serving tests.

Builds what the training engineer's registration writes (model.int8.onnx, model.fp32.onnx,
tokenizer/, label_map.json) in a second or two, so tests exercise the real ONNX + tokenizer
path without a training run. Test-only: imports torch and transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CORPUS", "LABELS", "build_model_dir", "register_model_version"]

LABELS = ("conflict", "neutral", "cooperation")
CORPUS = (
    "Seoul and Tokyo signed a trade pact on Monday.",
    "North Korea fired a missile over Japan, drawing condemnation from Washington.",
    "China and India held talks on their disputed border.",
    "Russian troops shelled the city overnight, officials said.",
    "The United States and South Korea began joint military exercises.",
    "Ministers met in Beijing to discuss climate cooperation and trade.",
    "Protesters gathered outside the embassy to denounce the sanctions.",
    "The two leaders praised the new agreement as a historic step toward peace.",
)


def build_model_dir(
    out_dir: str | Path,
    seed: int = 0,
    labels: Sequence[str] = LABELS,
    max_length: int = 64,
    with_token_type_ids: bool = False,
    model_name: str = "tiny-bert-random",
    favour_label: int | None = None,
) -> Path:
    """Write a complete artifacts folder (random weights) to out_dir and return it.

    `favour_label` biases the classifier toward one label so two versions answer differently.
    """
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import BertConfig, BertForSequenceClassification

    from newsmodel.export.onnx_export import torchscript_exporter_warning_silenced
    from newsmodel.training.tokenizer import train_wordpiece

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fast = train_wordpiece(list(CORPUS) * 4, vocab_size=200, min_frequency=1)
    fast.save_pretrained(out / "tokenizer")

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(fast),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max(128, max_length),
        num_labels=len(labels),
    )
    model = BertForSequenceClassification(config).eval()
    if favour_label is not None:
        with torch.no_grad():
            model.classifier.bias.zero_()
            model.classifier.bias[favour_label] = 3.0
    input_names = ["input_ids", "attention_mask"] + (["token_type_ids"] if with_token_type_ids else [])
    enc = fast(
        ["hello world", "Seoul and Tokyo signed a pact"],
        padding=True,
        return_tensors="pt",
        return_token_type_ids=True,
    )
    args = tuple(enc[n] for n in input_names)
    dyn = {n: {0: "batch", 1: "sequence"} for n in input_names}
    dyn["logits"] = {0: "batch"}
    fp32 = out / "model.fp32.onnx"

    class _Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(input_names, tensors, strict=True))).logits

    with torchscript_exporter_warning_silenced(), torch.no_grad():
        torch.onnx.export(
            _Wrapped(),
            args,
            str(fp32),
            input_names=input_names,
            output_names=["logits"],
            dynamic_axes=dyn,
            opset_version=17,
            dynamo=False,
        )
    proto = onnx.load(str(fp32))
    del proto.graph.value_info[:]
    cleaned = out / "model.fp32.cleaned.onnx"
    onnx.save(proto, str(cleaned))
    quantize_dynamic(str(cleaned), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8)
    cleaned.unlink()

    (out / "label_map.json").write_text(
        json.dumps(
            {
                "scheme": "relation3",
                "scheme_version": "1",
                "labels": list(labels),
                "max_length": max_length,
                "input_names": input_names,
                "model_name": model_name,
                "architecture": "bert",
            },
            indent=2,
        )
    )
    return out


def register_model_version(tracking_uri: str, name: str, artifacts_dir: str | Path) -> str:
    """Register `artifacts_dir` through the training package's own path
    (`newsmodel.registry.register.log_pyfunc_model`: models-from-code pyfunc, no pickle);
    returns the new version."""
    import mlflow

    from newsmodel.registry.register import log_pyfunc_model

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        mlflow.set_experiment("serving-tests")
        with mlflow.start_run():
            info = log_pyfunc_model(Path(artifacts_dir), name, input_example=list(CORPUS[:2]))
        return str(info.registered_model_version)
    finally:
        mlflow.set_tracking_uri(previous)
