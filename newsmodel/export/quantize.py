"""Dynamic int8 quantization with ONNX Runtime, tried scheme by scheme until the targets are met.

Schemes (in config order): `default` (per-tensor int8 weights: MatMul and the embedding Gathers),
`per_channel` (one scale per output channel), `keep_sensitive_fp32` (per-channel, with the
classifier/pooler head kept in fp32). The choice is made on the validation split, never on test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger

__all__ = ["SCHEMES", "QuantTrial", "quantize_int8", "select_quantization"]

log = get_logger(__name__)
SCHEMES = ("default", "per_channel", "keep_sensitive_fp32")
_SENSITIVE = ("classifier", "pooler")


@dataclass(frozen=True)
class QuantTrial:
    scheme: str
    size_bytes: int
    size_ratio: float
    accuracy: float
    accuracy_drop_points: float
    meets_target: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sensitive_nodes(model: Any) -> list[str]:
    return [n.name for n in model.graph.node if any(s in n.name.lower() for s in _SENSITIVE)]


def quantize_int8(fp32_path: Path, out_path: Path, scheme: str) -> Path:
    """Write the int8 model for one scheme."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if scheme not in SCHEMES:
        raise ConfigError(f"unknown quantization scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    model = onnx.load(str(fp32_path))
    # Stale shape annotations from the exporter make quantize_dynamic's shape inference fail.
    del model.graph.value_info[:]
    exclude = _sensitive_nodes(model) if scheme == "keep_sensitive_fp32" else []
    with _quiet_root_logger():
        quantize_dynamic(
            model,
            str(out_path),
            weight_type=QuantType.QInt8,
            per_channel=scheme != "default",
            nodes_to_exclude=exclude,
        )
    return out_path


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """ONNX Runtime's quantizer logs one INFO line per tensor on the root logger; hush it."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def select_quantization(
    fp32_path: Path,
    workdir: Path,
    schemes: list[str],
    fp32_accuracy: float,
    evaluate: Callable[[Path], float],
    max_drop_points: float,
    min_size_ratio: float,
) -> tuple[QuantTrial, list[QuantTrial], Path]:
    """Try each scheme (`workdir/<scheme>/model.int8.onnx`); keep the first that meets both
    targets, else the most accurate. `evaluate(path)` returns validation accuracy (0..1).
    Returns the winner, every trial, and the winner's file."""
    if not schemes:
        raise ConfigError("export.quantization.schemes is empty: list at least one scheme")
    fp32_size = fp32_path.stat().st_size
    trials: list[QuantTrial] = []
    best: tuple[QuantTrial, Path] | None = None
    for scheme in schemes:
        candidate = workdir / scheme / "model.int8.onnx"
        candidate.parent.mkdir(parents=True, exist_ok=True)
        quantize_int8(fp32_path, candidate, scheme)
        accuracy = evaluate(candidate)
        size = candidate.stat().st_size
        drop = 100.0 * (fp32_accuracy - accuracy)
        trial = QuantTrial(
            scheme=scheme,
            size_bytes=size,
            size_ratio=fp32_size / size,
            accuracy=accuracy,
            accuracy_drop_points=drop,
            meets_target=drop <= max_drop_points and fp32_size / size >= min_size_ratio,
        )
        trials.append(trial)
        log.info("quantization trial", **trial.to_dict())
        if best is None or (trial.meets_target, trial.accuracy) > (best[0].meets_target, best[0].accuracy):
            best = (trial, candidate)
        if trial.meets_target:
            break
    assert best is not None
    return best[0], trials, best[1]
