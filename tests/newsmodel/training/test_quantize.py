"""int8 scheme selection: first scheme meeting both targets wins; else the most accurate one."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmodel.errors import ConfigError
from newsmodel.export.quantize import SCHEMES, QuantEval, quantize_int8, select_quantization


@pytest.fixture(scope="module")
def fp32_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from newsmodel.export.onnx_export import export_onnx
    from newsmodel.training.config import compose_config
    from newsmodel.training.models import build_classifier

    cfg = compose_config(
        ["model=tiny-bert", "model.arch.hidden_size=128", "model.arch.intermediate_size=512"]
    )
    model = build_classifier(cfg.model, ("a", "b", "c"), vocab_size=4000)
    path = tmp_path_factory.mktemp("quant") / "model.fp32.onnx"
    export_onnx(model, path)
    return path


def test_every_scheme_writes_a_smaller_loadable_model(fp32_model: Path) -> None:
    import onnxruntime as ort

    for scheme in SCHEMES:
        out = quantize_int8(fp32_model, fp32_model.with_name(f"{scheme}.onnx"), scheme)
        assert out.stat().st_size < fp32_model.stat().st_size / 2.5, scheme
        ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    with pytest.raises(ConfigError, match="unknown quantization scheme"):
        quantize_int8(fp32_model, fp32_model.with_name("x.onnx"), "int4")


def _evaluator(scores: dict[str, tuple[float, float]]):  # type: ignore[no-untyped-def]
    """Fake validation measurements per scheme: (accuracy, KL to fp32)."""

    def evaluate(path: Path) -> QuantEval:
        accuracy, kl = scores[path.parent.name]
        return QuantEval(accuracy=accuracy, agreement_with_fp32=1.0 - kl, kl_to_fp32=kl)

    return evaluate


def test_selection_prefers_the_most_faithful_scheme_meeting_targets(fp32_model: Path, tmp_path: Path) -> None:
    scores = {"default": (0.90, 0.02), "per_channel": (0.895, 0.003), "keep_sensitive_fp32": (0.80, 0.001)}
    chosen, trials, path = select_quantization(
        fp32_model, tmp_path, list(SCHEMES), 0.90, _evaluator(scores), 1.0, 2.5
    )
    assert [t.scheme for t in trials] == list(SCHEMES)
    assert [t.meets_target for t in trials] == [True, True, False]
    assert chosen.scheme == "per_channel" and path == tmp_path / "per_channel" / "model.int8.onnx"
    assert trials[2].accuracy_drop_points == pytest.approx(10.0)


def test_equally_faithful_schemes_go_to_the_smaller_file(fp32_model: Path, tmp_path: Path) -> None:
    scores = {"default": (0.90, 0.02), "per_channel": (0.90, 0.00300), "keep_sensitive_fp32": (0.90, 0.00299)}
    chosen, _, _ = select_quantization(
        fp32_model, tmp_path, list(SCHEMES), 0.90, _evaluator(scores), 1.0, 2.5
    )
    assert chosen.scheme == "per_channel"  # keep_sensitive_fp32 is larger and no more faithful


def test_selection_falls_back_to_the_most_accurate(fp32_model: Path, tmp_path: Path) -> None:
    scores = {"default": (0.70, 0.1), "per_channel": (0.75, 0.2), "keep_sensitive_fp32": (0.72, 0.05)}
    chosen, trials, _ = select_quantization(
        fp32_model, tmp_path, list(SCHEMES), 0.90, _evaluator(scores), 1.0, 2.5
    )
    assert len(trials) == 3 and chosen.scheme == "per_channel" and not chosen.meets_target


def test_keep_sensitive_leaves_the_last_ffn_output_in_fp32(fp32_model: Path) -> None:
    import onnx

    from newsmodel.export.quantize import _sensitive_nodes

    names = _sensitive_nodes(onnx.load(str(fp32_model)))
    assert any("layer.1/output/dense/MatMul" in n for n in names)
    assert not any("layer.0/" in n for n in names)
    sizes = {
        s: quantize_int8(fp32_model, fp32_model.with_name(f"k-{s}.onnx"), s).stat().st_size
        for s in SCHEMES[1:]
    }
    assert sizes["keep_sensitive_fp32"] > sizes["per_channel"]


def _matmul_weight_range(path: Path) -> tuple[int, int]:
    """Smallest and largest int8 weight any quantized MatMul multiplies by."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {i.name: i for i in model.graph.initializer}
    weights = [
        numpy_helper.to_array(inits[n.input[1]])
        for n in model.graph.node
        if n.op_type == "MatMulInteger" and n.input[1] in inits
    ]
    assert weights and all(w.dtype == np.int8 for w in weights)
    return min(int(w.min()) for w in weights), max(int(w.max()) for w in weights)


def _largest_pair(path: Path) -> int:
    """The largest |w[2j]| + |w[2j+1]| over the int8 weights any quantized MatMul multiplies by."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {i.name: i for i in model.graph.initializer}
    largest = 0
    for node in model.graph.node:
        if node.op_type == "MatMulInteger" and node.input[1] in inits:
            w = numpy_helper.to_array(inits[node.input[1]]).astype(np.int32)
            w = np.abs(w[: w.shape[0] // 2 * 2])
            largest = max(largest, int((w[0::2] + w[1::2]).max()))
    return largest


def test_default_weights_fit_every_cpus_int8_kernel(fp32_model: Path) -> None:
    # Without VNNI, ONNX Runtime adds two uint8 x int8 products into a saturating int16: with
    # every adjacent weight pair within 128, 255 * 128 = 32,640 stays below 32,767.
    for scheme in ("default", "per_channel"):
        safe = quantize_int8(fp32_model, fp32_model.with_name(f"p-{scheme}.onnx"), scheme)
        assert 255 * _largest_pair(safe) <= 32_767, scheme
        assert _matmul_weight_range(safe)[1] > 64, scheme  # finer than 7-bit weights where it can be
        full = quantize_int8(fp32_model, fp32_model.with_name(f"f-{scheme}.onnx"), scheme, weights="full")
        assert 255 * _largest_pair(full) > 32_767, scheme  # plain 8-bit would overflow
        reduced = quantize_int8(
            fp32_model, fp32_model.with_name(f"r-{scheme}.onnx"), scheme, weights="reduced"
        )
        assert max(-_matmul_weight_range(reduced)[0], _matmul_weight_range(reduced)[1]) <= 64, scheme
    with pytest.raises(ConfigError, match=r"export\.quantization\.weights"):
        quantize_int8(fp32_model, fp32_model.with_name("x.onnx"), "default", weights="int4")


def test_pair_safe_weights_stay_close_to_the_fp32_ones() -> None:
    import numpy as np

    from newsmodel.export.pair_safe import PAIR_LIMIT, pair_safe_weights

    rng = np.random.default_rng(0)
    w = rng.standard_t(3, size=(385, 96)).astype(np.float32)  # heavy tails, an odd row count
    for per_channel in (True, False):
        q, scale = pair_safe_weights(w, per_channel)
        qi = q.astype(np.int32)
        assert q.dtype == np.int8 and np.abs(qi).max() <= 127
        assert (np.abs(qi[0:384:2]) + np.abs(qi[1:384:2])).max() <= PAIR_LIMIT
        error = np.abs(qi * scale - w)
        assert (error <= 1.5 * np.broadcast_to(scale, w.shape) + 1e-6).all()  # half a step, or one
        seven_bit = np.abs(w).max(axis=0 if per_channel else None) / 64
        assert np.mean(scale < seven_bit) > 0.9  # a finer step than 7-bit weights almost everywhere
