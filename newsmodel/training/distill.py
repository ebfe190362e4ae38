"""Teachers for knowledge distillation: the averaged soft labels of earlier candidate runs.

A seed ensemble scores better and varies less than any one of its members, but serving it costs
one model per member. Distillation (Hinton et al., 2015) trains one student of the same size on
the ensemble's softened probabilities beside the hard labels, so the served model stays one
MiniLM. `trainer.distill.teachers` lists the members: finished `newsmodel train` runs, each a
run folder on this machine (`output_dir`, holding `eval_report.json` and `model/`) or an MLflow
run ID at the configured tracking URI.

Honesty: a teacher must have been trained on exactly this run's split (same dataset
fingerprint). A teacher trained on another split has seen some of this run's validation or test
sentences, and its soft labels would carry them into the student's early stopping and scores;
such a teacher is refused, which also keeps distillation out of cross-validation folds.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsmodel.datasets.types import DatasetSplits
from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger

__all__ = ["DistillSettings", "Teacher", "distill_settings", "ensemble_soft_labels", "teacher_soft_labels"]

log = get_logger(__name__)


@dataclass(frozen=True)
class DistillSettings:
    teachers: tuple[str, ...]
    alpha: float  # weight of the soft loss; 1 - alpha stays on the hard labels
    temperature: float


@dataclass(frozen=True)
class Teacher:
    source: str  # what the config named: a folder or a run ID
    model_dir: Path
    fingerprint: str


def distill_settings(trainer_cfg: Any) -> DistillSettings | None:
    """The config's `trainer.distill`, checked; None when no teachers are named."""
    raw = trainer_cfg.get("distill") or {}
    teachers = tuple(str(t) for t in (raw.get("teachers") or []))
    if not teachers:
        return None
    alpha, temperature = float(raw.get("alpha", 0.5)), float(raw.get("temperature", 2.0))
    if not 0.0 < alpha <= 1.0:
        raise ConfigError(f"trainer.distill.alpha={alpha}: use a weight in (0, 1]")
    if temperature <= 0:
        raise ConfigError(f"trainer.distill.temperature={temperature}: use a positive temperature")
    return DistillSettings(teachers, alpha, temperature)


def teacher_soft_labels(
    settings: DistillSettings,
    tracking_uri: str | None,
    splits: DatasetSplits,
    pair_input: str | None = None,
    parts: Sequence[str] = ("train", "validation"),
) -> dict[str, np.ndarray]:
    """The teachers' averaged soft labels for each split in `parts`, in example order; every
    teacher refused unless it was trained on this split and reads the same input encoding."""
    with tempfile.TemporaryDirectory(prefix="teachers-") as tmp:
        teachers = [
            _from_folder(source)
            if Path(source).expanduser().is_dir()
            else _from_run(source, tracking_uri, Path(tmp) / str(i))
            for i, source in enumerate(settings.teachers)
        ]
        for teacher in teachers:
            if teacher.fingerprint != splits.fingerprint:
                raise ConfigError(
                    f"teacher {teacher.source} was trained on dataset "
                    f"{teacher.fingerprint[:16] or '(unknown)'}, this run's split is "
                    f"{splits.fingerprint[:16]}: its soft labels would leak sentences this run holds "
                    "out; train the teachers with the same data config (data.*, data.seed)"
                )
        texts = {part: [e.text for e in getattr(splits, part)] for part in parts}
        soft = ensemble_soft_labels(
            teachers,
            [t for part in parts for t in texts[part]],
            splits.labels,
            settings.temperature,
            pair_input,
        )
    bounds = np.cumsum([0] + [len(texts[part]) for part in parts])
    return {part: soft[bounds[i] : bounds[i + 1]] for i, part in enumerate(parts)}


def _from_folder(source: str) -> Teacher:
    from newsmodel.stages.context import REPORT_FILE
    from newsmodel.stages.export import MODEL_DIR

    folder = Path(source).expanduser()
    report = folder / REPORT_FILE
    model_dir = folder / MODEL_DIR
    if not report.is_file() or not model_dir.is_dir():
        raise ConfigError(
            f"teacher folder {folder} has no {REPORT_FILE} and {MODEL_DIR}/: name a finished "
            "`newsmodel train` output_dir or an MLflow run ID"
        )
    fingerprint = str(json.loads(report.read_text()).get("data", {}).get("fingerprint", ""))
    return Teacher(source, model_dir, fingerprint)


def _from_run(run_id: str, tracking_uri: str | None, into: Path) -> Teacher:
    from newsmodel.registry.tracking import connect
    from newsmodel.stages.context import RunContext
    from newsmodel.stages.export import MODEL_DIR

    ctx = RunContext.open(connect(tracking_uri), run_id, out=into)
    fingerprint = ctx.client.get_run(run_id).data.tags.get("dataset_fingerprint", "")
    return Teacher(run_id, ctx.fetch(MODEL_DIR), str(fingerprint))


def ensemble_soft_labels(
    teachers: Sequence[Teacher],
    texts: Sequence[str],
    labels: Sequence[str],
    temperature: float,
    pair_input: str | None = None,
) -> np.ndarray:
    """The mean over teachers of softmax(fp32 logits / temperature), (n, labels), in label order;
    each teacher's model is loaded once."""
    from newsmodel.predictor import OnnxPredictor, _softmax

    total = np.zeros((len(texts), len(labels)), dtype=np.float64)
    for teacher in teachers:
        predictor = OnnxPredictor.from_dir(teacher.model_dir, variant="fp32")
        if tuple(predictor.labels) != tuple(labels):
            raise ConfigError(
                f"teacher {teacher.source} predicts {list(predictor.labels)}, this run trains "
                f"{list(labels)}: teachers must use the same label scheme"
            )
        if (predictor.label_map.pair_input or None) != (pair_input or None):
            raise ConfigError(
                f"teacher {teacher.source} reads pair input {predictor.label_map.pair_input!r}, this "
                f"run {pair_input!r}: teachers must read sentences the way the student does"
            )
        total += _softmax(predictor.predict_logits(list(texts)).astype(np.float64) / temperature)
    soft = (total / len(teachers)).astype(np.float32)
    log.info("teacher soft labels", teachers=len(teachers), sentences=len(texts), temperature=temperature)
    return soft  # type: ignore[no-any-return]
