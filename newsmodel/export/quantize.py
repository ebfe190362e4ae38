"""Dynamic int8 quantization with ONNX Runtime: every configured scheme is tried on validation.

Schemes: `default` (per-tensor int8 weights: MatMul and the embedding Gathers), `per_channel` (one
scale per output channel), `keep_sensitive_fp32` (per-channel, with the last layer's FFN output
projection - where BERT's activation outliers sit - and any classifier/pooler MatMul in fp32).
The winner, among schemes meeting both targets (accuracy drop, size ratio), is the most faithful
to fp32 (lowest mean KL divergence of its probabilities from fp32's; within 10% counts as a tie,
won by the smaller file): on a few hundred validation sentences accuracy often ties, fidelity
does not. None meeting the targets: the most accurate.
The choice is made on the validation split, never on test.

Weights are "pair-safe" by default (export.quantization.weights, newsmodel/export/pair_safe.py):
ONNX Runtime multiplies uint8 activations by int8 weights with `vpmaddubsw` on CPUs without VNNI
(AVX2, AVX-512 before Cascade Lake / Zen 4), which adds two adjacent products into a saturating
int16; 8-bit weights overflow it, so a model checked on a VNNI machine can score lower where it
is served. Pair-safe scales keep every adjacent pair within 128 at close to 8-bit precision;
`reduced` is ORT's 7-bit `reduce_range`, `full` plain 8-bit (exact only on VNNI CPUs).
`bench/quantize_portability.py` measures all three here and, emulated, without VNNI.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger

__all__ = ["SCHEMES", "WEIGHT_MODES", "QuantEval", "QuantTrial", "quantize_int8", "select_quantization"]

log = get_logger(__name__)
SCHEMES = ("default", "per_channel", "keep_sensitive_fp32")
WEIGHT_MODES = ("pair_safe", "full", "reduced")
_SENSITIVE = ("classifier", "pooler")
# BERT/ELECTRA "layer.N/output/dense", MobileBERT "layer.N/output/bottleneck/dense" and the like.
_FFN_OUTPUT = re.compile(r"layer\.(\d+)/output/(?:bottleneck/)?dense/MatMul")


@dataclass(frozen=True)
class QuantEval:
    """A candidate int8 model measured on validation against the fp32 model."""

    accuracy: float
    agreement_with_fp32: float
    kl_to_fp32: float


@dataclass(frozen=True)
class QuantTrial:
    scheme: str
    size_bytes: int
    size_ratio: float
    accuracy: float
    accuracy_drop_points: float
    agreement_with_fp32: float
    kl_to_fp32: float
    meets_target: bool
    weights: str = "pair_safe"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sensitive_nodes(model: Any) -> list[str]:
    """The last encoder layer's FFN output MatMul plus head MatMuls (classifier, pooler)."""
    matmuls = [n.name for n in model.graph.node if n.op_type == "MatMul"]
    ffn_out = [(int(m.group(1)), name) for name in matmuls if (m := _FFN_OUTPUT.search(name))]
    last = [name for layer, name in ffn_out if layer == max(ffn_out)[0]] if ffn_out else []
    return last + [name for name in matmuls if any(s in name.lower() for s in _SENSITIVE)]


def quantize_int8(fp32_path: Path, out_path: Path, scheme: str, *, weights: str = "pair_safe") -> Path:
    """Write the int8 model for one scheme, with `weights` one of WEIGHT_MODES (see the module
    docstring: `full` only for serving CPUs known to have VNNI)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from newsmodel.export.pair_safe import apply_pair_safe

    if scheme not in SCHEMES:
        raise ConfigError(f"unknown quantization scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    if weights not in WEIGHT_MODES:
        raise ConfigError(
            f"unknown export.quantization.weights {weights!r}; known: {', '.join(WEIGHT_MODES)}"
        )
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
            reduce_range=weights == "reduced",
            nodes_to_exclude=exclude,
        )
    if weights == "pair_safe":
        apply_pair_safe(out_path, fp32_path)
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
    evaluate: Callable[[Path], QuantEval],
    max_drop_points: float,
    min_size_ratio: float,
    weights: str = "pair_safe",
) -> tuple[QuantTrial, list[QuantTrial], Path]:
    """Quantize with each scheme into `workdir/<scheme>/model.int8.onnx`, measure it with
    `evaluate` (validation), and return the winner, every trial, and the winner's file."""
    if not schemes:
        raise ConfigError("export.quantization.schemes is empty: list at least one scheme")
    fp32_size = fp32_path.stat().st_size
    trials: list[tuple[QuantTrial, Path]] = []
    for scheme in dict.fromkeys(schemes):
        candidate = workdir / scheme / "model.int8.onnx"
        candidate.parent.mkdir(parents=True, exist_ok=True)
        quantize_int8(fp32_path, candidate, scheme, weights=weights)
        measured = evaluate(candidate)
        size = candidate.stat().st_size
        drop = 100.0 * (fp32_accuracy - measured.accuracy)
        trial = QuantTrial(
            scheme=scheme,
            size_bytes=size,
            size_ratio=fp32_size / size,
            accuracy=measured.accuracy,
            accuracy_drop_points=drop,
            agreement_with_fp32=measured.agreement_with_fp32,
            kl_to_fp32=measured.kl_to_fp32,
            meets_target=drop <= max_drop_points and fp32_size / size >= min_size_ratio,
            weights=weights,
        )
        trials.append((trial, candidate))
        log.info("quantization trial", **trial.to_dict())
    meeting = [t for t in trials if t[0].meets_target]
    if meeting:
        # Fidelity first; schemes within 10% of the best KL count as equally faithful: smallest wins.
        best_kl = min(t[0].kl_to_fp32 for t in meeting)
        best = min(meeting, key=lambda t: (t[0].kl_to_fp32 > 1.1 * best_kl, t[0].size_bytes))
    else:
        best = max(trials, key=lambda t: (t[0].accuracy, -t[0].kl_to_fp32))
    return best[0], [t for t, _ in trials], best[1]
