"""int8 scheme selection: first scheme meeting both targets wins; else the most accurate one."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmodel.errors import ConfigError
from newsmodel.export.quantize import SCHEMES, quantize_int8, select_quantization


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


def test_selection_stops_at_the_first_scheme_meeting_targets(fp32_model: Path, tmp_path: Path) -> None:
    scores = {"default": 0.80, "per_channel": 0.895, "keep_sensitive_fp32": 0.90}
    chosen, trials, path = select_quantization(
        fp32_model, tmp_path, list(SCHEMES), 0.90, lambda p: scores[p.parent.name], 1.0, 2.5
    )
    assert [t.scheme for t in trials] == ["default", "per_channel"]
    assert chosen.scheme == "per_channel" and chosen.meets_target and path.is_file()
    assert trials[0].accuracy_drop_points == pytest.approx(10.0)


def test_selection_falls_back_to_the_most_accurate(fp32_model: Path, tmp_path: Path) -> None:
    scores = {"default": 0.70, "per_channel": 0.75, "keep_sensitive_fp32": 0.72}
    chosen, trials, _ = select_quantization(
        fp32_model, tmp_path, list(SCHEMES), 0.90, lambda p: scores[p.parent.name], 1.0, 2.5
    )
    assert len(trials) == 3 and chosen.scheme == "per_channel" and not chosen.meets_target
