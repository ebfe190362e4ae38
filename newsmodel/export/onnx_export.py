"""Export a transformers classifier to ONNX: inputs input_ids + attention_mask, output logits.

Single-sentence classification never needs token_type_ids (all zeros, the model's default), so
the graph has two inputs whatever the architecture; the names are recorded in label_map.json.
The TorchScript exporter (`dynamo=False`) handles BERT, ELECTRA and MobileBERT with dynamic
batch and sequence axes; the wrapper is put in eval mode because the exporter restores the
wrapper's mode onto the model afterwards.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from newsmodel.errors import NewsmodelError

__all__ = ["INPUT_NAMES", "export_onnx"]

INPUT_NAMES = ("input_ids", "attention_mask")


def _wrapper(model: Any) -> Any:
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    return LogitsOnly(model).eval()


def export_onnx(model: Any, path: Path, opset: int = 17) -> tuple[str, ...]:
    """Write `path` (fp32) and return the graph's input names."""
    import torch

    model = model.to("cpu").eval()
    # Two rows of different lengths so the trace sees real padding in the mask.
    ids = torch.tensor([[101, 2023, 2003, 1037, 6251, 102], [101, 2178, 102, 0, 0, 0]], dtype=torch.long)
    ids = ids.clamp(max=model.config.vocab_size - 1)
    mask = (ids != 0).long()
    path.parent.mkdir(parents=True, exist_ok=True)
    axes = {
        "input_ids": {0: "batch", 1: "sequence"},
        "attention_mask": {0: "batch", 1: "sequence"},
        "logits": {0: "batch"},
    }
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _wrapper(model),
                (ids, mask),
                str(path),
                input_names=list(INPUT_NAMES),
                output_names=["logits"],
                dynamic_axes=axes,
                opset_version=opset,
                dynamo=False,
            )
    except Exception as exc:  # the exporter raises many unrelated types; say which model failed
        raise NewsmodelError(f"ONNX export of {model.config.model_type} failed: {exc}") from exc
    return INPUT_NAMES
