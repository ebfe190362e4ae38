"""The registered model's file layout: what the server loads with onnxruntime + tokenizers only.

model.int8.onnx  model.fp32.onnx  tokenizer/tokenizer.json (+ save_pretrained files)  label_map.json
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["FP32_FILE", "INT8_FILE", "LABEL_MAP_FILE", "TOKENIZER_DIR", "label_map", "write_label_map"]

INT8_FILE = "model.int8.onnx"
FP32_FILE = "model.fp32.onnx"
TOKENIZER_DIR = "tokenizer"
LABEL_MAP_FILE = "label_map.json"


def label_map(
    scheme: str,
    scheme_version: int,
    labels: Sequence[str],
    max_length: int,
    lowercase: bool,
    model_name: str,
    architecture: str,
    input_names: Sequence[str],
    **extra: Any,
) -> dict[str, Any]:
    """The label_map.json contract: labels in logit order plus what tokenization needs."""
    return {
        "scheme": scheme,
        "scheme_version": scheme_version,
        "labels": list(labels),
        "max_length": int(max_length),
        "lowercase": bool(lowercase),
        "model_name": model_name,
        "architecture": architecture,
        "input_names": list(input_names),
        **extra,
    }


def write_label_map(model_dir: Path, content: dict[str, Any]) -> Path:
    path = model_dir / LABEL_MAP_FILE
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    return path
