"""Export a transformers classifier to ONNX: inputs input_ids + attention_mask, output logits.

Single-sentence classification never needs token_type_ids (all zeros, the model's default), so
the graph has two inputs whatever the architecture; the names are recorded in label_map.json.
The TorchScript exporter (`dynamo=False`) handles BERT, ELECTRA and MobileBERT with dynamic
batch and sequence axes; the wrapper is put in eval mode because the exporter restores the
wrapper's mode onto the model afterwards.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsmodel.errors import NewsmodelError

__all__ = ["INPUT_NAMES", "export_onnx", "torchscript_exporter_warning_silenced"]

INPUT_NAMES = ("input_ids", "attention_mask")


@contextmanager
def torchscript_exporter_warning_silenced() -> Iterator[None]:
    """Silence exactly torch's deprecation notice for the TorchScript exporter, nothing else.

    We keep that exporter on purpose: its graphs quantize with `quantize_dynamic` as they are,
    while the torch.export-based one needs its shape annotations stripped first (PITFALLS.md)
    and has not been measured on our three architectures. Any other warning still surfaces.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="You are using the legacy TorchScript-based ONNX export",
            category=DeprecationWarning,
        )
        yield


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
        with torchscript_exporter_warning_silenced(), torch.inference_mode(False), torch.no_grad():
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
