"""int8 weights that no CPU saturates, at close to 8-bit precision ("pair-safe" scales).

ONNX Runtime multiplies uint8 activations (0..255) by int8 weights. Without VNNI (AVX2, AVX-512
before Cascade Lake / Zen 4) its kernel (`vpmaddubsw`) adds the products of two adjacent rows
of the weight matrix into an int16 that saturates at 32,767, so the result is exact only when
|w[2j]| + |w[2j+1]| <= 128 for every pair (255 x 128 = 32,640). 8-bit weights (up to 127 each)
break that; 7-bit weights (`reduce_range`, up to 64) keep it by giving up a bit everywhere. Here
each column (or the whole matrix, per-tensor) gets the finest scale that keeps both limits:

    scale = max(max |w| / 127, max over pairs (|w[2j]| + |w[2j+1]|) / 128)

A column's largest weight rarely sits beside another large one, so the scale is usually close to
the 8-bit one. Rounding can lift a pair to 129; the larger member gives up the excess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PAIR_LIMIT", "apply_pair_safe", "pair_safe_weights"]

PAIR_LIMIT = 128  # 255 x 128 = 32,640 fits an int16 (32,767)
QMAX = 127


def pair_safe_weights(w: np.ndarray, per_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 weights and their scales (one per column, or one) for fp32 `w` (K, N)."""
    w = np.asarray(w, dtype=np.float32)
    even_rows = w.shape[0] - w.shape[0] % 2
    magnitude = np.abs(w)
    pairs = magnitude[0:even_rows:2] + magnitude[1:even_rows:2]
    axis = 0 if per_channel else None
    widest = magnitude.max(axis=axis)
    widest_pair = pairs.max(axis=axis) if pairs.size else np.zeros_like(widest)
    scale = np.maximum(widest / QMAX, widest_pair / PAIR_LIMIT).astype(np.float32)
    scale = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    q = np.clip(np.rint(w / scale), -QMAX, QMAX).astype(np.int32)
    even, odd = q[0:even_rows:2], q[1:even_rows:2]  # views: edits below land in q
    excess = np.maximum(np.abs(even) + np.abs(odd) - PAIR_LIMIT, 0)
    even_larger = np.abs(even) >= np.abs(odd)
    even -= np.where(even_larger, np.sign(even) * excess, 0)
    odd -= np.where(~even_larger, np.sign(odd) * excess, 0)
    return q.astype(np.int8), np.asarray(scale, dtype=np.float32)


def apply_pair_safe(int8_path: Path, fp32_path: Path) -> int:
    """Rewrite the MatMul weights (and scales) of an ONNX Runtime dynamically quantized model
    with pair-safe ones computed from the fp32 model; returns how many matrices were rewritten.

    ONNX Runtime names a quantized weight `<w>_quantized`, its scale `<w>_scale` and zero point
    `<w>_zero_point`; only symmetric int8 weights (zero point 0) used by nothing but MatMulInteger
    are rewritten (embedding tables are dequantized, never multiplied, and stay as they are).
    A weight whose shape does not match the fp32 source is left as ONNX Runtime wrote it.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(int8_path))
    source = {i.name: i for i in onnx.load(str(fp32_path)).graph.initializer}
    inits = {i.name: i for i in model.graph.initializer}
    users: dict[str, list[str]] = {}
    for node in model.graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node.op_type)
    rewritten = 0
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or not node.input[1].endswith("_quantized"):
            continue
        quantized = node.input[1]
        base = quantized.removesuffix("_quantized")
        scale_name, zero_name = f"{base}_scale", f"{base}_zero_point"
        fp32 = _fp32_weight(source, base)
        if not {quantized, scale_name, zero_name} <= inits.keys() or fp32 is None:
            continue
        old = numpy_helper.to_array(inits[quantized])
        zero = numpy_helper.to_array(inits[zero_name])
        if old.dtype != np.int8 or np.any(zero != 0) or set(users[quantized]) != {"MatMulInteger"}:
            continue
        old_scale = numpy_helper.to_array(inits[scale_name])
        if fp32.shape != old.shape:
            continue
        q, scale = pair_safe_weights(fp32, per_channel=old_scale.ndim > 0)
        inits[quantized].CopyFrom(numpy_helper.from_array(q, quantized))
        inits[scale_name].CopyFrom(
            numpy_helper.from_array(scale.astype(old_scale.dtype).reshape(old_scale.shape), scale_name)
        )
        rewritten += 1
    onnx.save(model, str(int8_path))
    return rewritten


def _fp32_weight(source: dict[str, Any], base: str) -> np.ndarray | None:
    """The fp32 matrix ONNX Runtime quantized as `base`: an initializer, or (a Gemm the quantizer
    turned into a MatMul) one it transposed and named `<name>_Transposed`."""
    from onnx import numpy_helper

    if base in source:
        return numpy_helper.to_array(source[base])
    name = base.removesuffix("_Transposed")
    if name != base and name in source:
        return numpy_helper.to_array(source[name]).T
    return None
