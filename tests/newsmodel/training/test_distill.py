"""Knowledge distillation: teachers read from a real MLflow run (Postgres + GCS emulator) and from
a run folder, soft labels in the loss, and teachers of another split refused."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from newsmodel.errors import ConfigError
from newsmodel.training.config import compose_config
from tests.support.training import tiny_overrides


def test_the_distilled_loss_blends_hard_labels_and_the_teachers_softened_probabilities() -> None:
    import torch
    import torch.nn.functional as F

    from newsmodel.training.objectives import classification_loss

    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 1.5]])
    model = lambda **_: SimpleNamespace(logits=logits)  # noqa: E731 - a model that answers fixed logits
    soft = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    batch = {
        "input_ids": torch.zeros((2, 4), dtype=torch.long),
        "attention_mask": torch.ones((2, 4), dtype=torch.long),
        "labels": torch.tensor([0, 2]),
        "soft_labels": soft,
    }
    ce = F.cross_entropy(logits, batch["labels"])
    assert torch.isclose(classification_loss(model, batch, None), ce)  # no distill: soft labels unread
    alpha, temperature = 0.5, 2.0
    log_q = F.log_softmax(logits / temperature, dim=-1)
    kl = (soft * (soft.log() - log_q)).sum(dim=1).mean() * temperature**2
    blended = classification_loss(model, batch, None, distill=(alpha, temperature))
    assert torch.isclose(blended, (1 - alpha) * ce + alpha * kl)
    # A teacher that agrees with the student exactly adds nothing.
    batch["soft_labels"] = log_q.exp()
    assert torch.isclose(
        classification_loss(model, batch, None, distill=(1.0, temperature)), torch.tensor(0.0)
    )


def test_a_student_learns_from_teachers_named_by_run_id_or_folder(
    tiny_candidate: Any, mlflow_server: Any, conflibert_dir: Path, model_name: str, tmp_path: Path
) -> None:
    import newsmodel.training.trainer as trainer
    from newsmodel.predictor import OnnxPredictor
    from newsmodel.training.candidate import fit_candidate
    from newsmodel.training.data import load_splits

    teacher_dir = tiny_candidate.output_dir
    assert (teacher_dir / "model" / "model.fp32.onnx").is_file()
    base = tiny_overrides(mlflow_server.tracking_uri, conflibert_dir, tmp_path / "student", model_name)
    # The same teacher twice, once from the MLflow server's artifacts and once from its folder.
    teachers = f"trainer.distill.teachers=[{tiny_candidate.run_id},{teacher_dir}]"
    cfg = compose_config([*base, teachers, "trainer.distill.alpha=0.7", "trainer.distill.temperature=3"])
    splits = load_splits(cfg.data)
    student = fit_candidate(cfg, splits)

    logits = OnnxPredictor.from_dir(teacher_dir / "model", variant="fp32").predict_logits(
        [e.text for e in splits.train]
    )
    expected = np.exp(logits / 3 - (logits / 3).max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    soft = student.encoded["train"].soft_labels
    assert soft is not None and soft.shape == (len(splits.train), 3)
    assert np.allclose(soft, expected, atol=1e-5)  # the average of two copies of one teacher
    assert student.encoded["validation"].soft_labels is not None
    assert student.fit.teachers == 2 and student.fit.teacher_val_macro_f1 is not None
    assert 0.0 <= student.fit.teacher_val_macro_f1 <= 1.0
    # The same recipe without teachers trains another model: the soft labels were in the loss.
    plain = fit_candidate(compose_config(base), splits)
    test = student.encoded["test"]
    assert not np.allclose(
        trainer.predict_logits(student.model, test, 64, student.pad_id, "cpu"),
        trainer.predict_logits(plain.model, test, 64, plain.pad_id, "cpu"),
        atol=1e-4,
    )


def test_a_teacher_trained_on_another_split_is_refused(
    tiny_candidate: Any, mlflow_server: Any, conflibert_dir: Path, model_name: str, tmp_path: Path
) -> None:
    from newsmodel.training.candidate import fit_candidate
    from newsmodel.training.data import load_splits

    base = tiny_overrides(mlflow_server.tracking_uri, conflibert_dir, tmp_path / "student", model_name)
    # Another sample of the data: another split, whose held-out sentences the teacher may have seen.
    cfg = compose_config([*base, "data.limit=300", f"trainer.distill.teachers=[{tiny_candidate.output_dir}]"])
    with pytest.raises(ConfigError, match="would leak sentences this run holds out"):
        fit_candidate(cfg, load_splits(cfg.data))
    with pytest.raises(ConfigError, match=r"has no eval_report\.json"):
        bad = compose_config([*base, f"trainer.distill.teachers=[{tmp_path}]"])
        fit_candidate(bad, load_splits(bad.data))
    with pytest.raises(ConfigError, match="alpha"):
        bad = compose_config([*base, "trainer.distill.alpha=0", f"trainer.distill.teachers=[{tmp_path}]"])
        fit_candidate(bad, load_splits(bad.data))
