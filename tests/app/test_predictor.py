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
