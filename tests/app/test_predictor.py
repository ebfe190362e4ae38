"""OnnxPredictor on a real (tiny, random-weight) model directory: layout, padding, truncation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsmodel.errors import ModelNotAvailable
from newsmodel.predictor import MAX_PADDING_WASTE, OnnxPredictor, find_artifacts_dir
from tests.app.model_factory import LABELS, build_model_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pyfunc")
    build_model_dir(root / "artifacts", seed=3, favour_label=2, max_length=16)
    return root


def test_loads_from_pyfunc_root_or_artifacts(model_dir: Path) -> None:
    assert find_artifacts_dir(model_dir) == model_dir / "artifacts"
    assert find_artifacts_dir(model_dir / "artifacts") == model_dir / "artifacts"
    predictor = OnnxPredictor.from_dir(model_dir, variant="fp32", intra_op_threads=1)
    assert predictor.labels == LABELS


@pytest.mark.parametrize("variant", ["int8", "fp32"])
def test_predict_shapes_and_order(model_dir: Path, variant: str) -> None:
    predictor = OnnxPredictor.from_dir(model_dir, variant=variant, intra_op_threads=1)  # type: ignore[arg-type]
    texts = ["Seoul and Tokyo signed a trade pact.", "hi", "word " * 400]
    out = predictor.predict(texts)
    assert len(out) == 3
    for row in out:
        assert set(row["probabilities"]) == set(LABELS)
        assert abs(sum(row["probabilities"].values()) - 1.0) < 1e-4
        assert row["label"] == "cooperation"  # favour_label=2
    # Order is preserved although batches are sorted by length internally.
    single = [predictor.predict([t])[0]["probabilities"] for t in texts]
    for got, alone in zip(out, single, strict=True):
        for label in LABELS:
            assert got["probabilities"][label] == pytest.approx(alone[label], abs=1e-3)


def test_dynamic_padding_and_truncation(model_dir: Path) -> None:
    predictor = OnnxPredictor.from_dir(model_dir, intra_op_threads=1)
    feeds = predictor._feeds(["a", "seoul and tokyo"])
    assert feeds["input_ids"].shape[1] < 16  # padded to the longest, not to max_length
    feeds = predictor._feeds(["word " * 400])
    assert feeds["input_ids"].shape == (1, 16)  # truncated to max_length
    # A word of the training corpus is not [UNK] (the tokenizer really loaded its vocab).
    assert "[UNK]" not in predictor._tokenizer.encode("tokyo").tokens


def test_empty_input_and_broken_dirs(model_dir: Path, tmp_path: Path) -> None:
    predictor = OnnxPredictor.from_dir(model_dir, intra_op_threads=1)
    assert predictor.predict([]) == []
    assert predictor.predict_proba([]).shape == (0, len(LABELS))
    with pytest.raises(ModelNotAvailable, match=r"label_map\.json"):
        OnnxPredictor.from_dir(tmp_path)
    (tmp_path / "label_map.json").write_text(json.dumps({"labels": ["a"]}))
    with pytest.raises(ModelNotAvailable, match=r"model\.int8\.onnx is missing"):
        OnnxPredictor.from_dir(tmp_path)
    (tmp_path / "model.int8.onnx").write_bytes(b"not onnx")
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "tokenizer.json").write_text(
        (model_dir / "artifacts" / "tokenizer" / "tokenizer.json").read_text()
    )
    with pytest.raises(ModelNotAvailable, match="onnxruntime cannot load"):
        OnnxPredictor.from_dir(tmp_path)
    assert np.isfinite(predictor.predict_proba(["x"])).all()


@given(st.lists(st.integers(min_value=1, max_value=128), min_size=1, max_size=80), st.integers(1, 32))
def test_length_groups_cover_everything_and_bound_padding(lengths: list[int], batch_size: int) -> None:
    groups = OnnxPredictor._groups(lengths, batch_size)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for group in groups:
        assert len(group) <= batch_size
        width = max(lengths[i] for i in group)
        real = sum(lengths[i] for i in group)
        assert len(group) == 1 or width * len(group) <= (1 + MAX_PADDING_WASTE) * real + 1e-9


def test_calibration_is_fitted_stored_and_applied(model_dir: Path, tmp_path: Path) -> None:
    """The quantize stage's `calibrate` on held-out sentences: label_map.json gains the temperature
    and the confusion, the reliability diagram is drawn, and the predictor applies the temperature."""
    import shutil

    from newsmodel.registry.calibration import calibration_from_label_map
    from newsmodel.relindex.quantify import softmax
    from newsmodel.stages.quantize import calibrate

    art = Path(shutil.copytree(model_dir / "artifacts", tmp_path / "artifacts"))
    texts = [
        f"Seoul and Tokyo sentence {i} about trade and {w}" for i, w in enumerate(["talks", "war", "aid"] * 8)
    ]
    y = [i % 3 for i in range(len(texts))]
    raw = OnnxPredictor.from_dir(art, intra_op_threads=1)
    assert raw.label_map.temperature == 1.0  # packaged before calibration: plain softmax
    logits = raw.predict_logits(texts).astype(np.float64)
    figures = calibrate(art, texts, y, [0, 1, 2, 2], tmp_path / "reliability.png")
    stored = calibration_from_label_map(json.loads((art / "label_map.json").read_text()))
    assert stored is not None and stored.temperature == figures["temperature"] > 0
    assert stored.class_counts.tolist() == [8, 8, 8] and stored.confusion.sum() == len(texts)
    assert stored.train_prior.tolist() == [0.25, 0.25, 0.5]
    assert (tmp_path / "reliability.png").stat().st_size > 0
    calibrated = OnnxPredictor.from_dir(art, intra_op_threads=1).predict_proba(texts)
    assert np.allclose(calibrated, softmax(logits / stored.temperature), atol=1e-5)
