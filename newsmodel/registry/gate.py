"""The gate: a candidate may replace Production only if it is not worse on the same test split.

Both versions are scored now, through the registered int8 models (what would be served), on the
test split rebuilt from the candidate run's logged data config - whose fingerprint must equal the
candidate's tag, so "the same test split" is checked, not assumed.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.errors import DataError, ModelNotAvailable
from newsmodel.registry.versions import current_production, get_version

__all__ = ["GateResult", "gate"]

METRICS = ("macro_f1", "accuracy")


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reason: str
    metric: str
    candidate_version: str
    candidate_score: float | None = None
    production_version: str | None = None
    production_score: float | None = None
    test_size: int = 0
    fingerprint: str = ""


def _candidate_split(client: Any, mv: Any, data_dir: str | None) -> tuple[list[str], list[str], str, Any]:
    from omegaconf import OmegaConf

    from newsmodel.training.data import load_splits

    run = client.get_run(mv.run_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(mv.run_id, "config.yaml", tmp)
        cfg = OmegaConf.load(path)
    if data_dir:
        cfg.data.dir = data_dir
    splits = load_splits(cfg.data)
    expected = run.data.tags.get("dataset_fingerprint", "")
    if splits.fingerprint != expected:
        raise DataError(
            f"the rebuilt dataset has fingerprint {splits.fingerprint[:16]}, the candidate was trained on "
            f"{expected[:16]}: the data or split parameters changed (pass --data-dir to point at the same data)"
        )
    return [e.text for e in splits.test], [e.label for e in splits.test], splits.fingerprint, splits.labels


def _score(name: str, version: str, texts: list[str], truth: list[str], metric: str) -> float:
    import mlflow

    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.predictor import OnnxPredictor

    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(f"models:/{name}/{version}", dst_path=tmp)
        predictor = OnnxPredictor.from_dir(Path(local), variant="int8")
        labels = predictor.labels
        unknown = sorted(set(truth) - set(labels))
        if unknown:
            raise ModelNotAvailable(
                f"{name} v{version} predicts {list(labels)}, the test split has {unknown}"
            )
        pred = predictor.predict_proba(texts).argmax(axis=1)
    index = {label: i for i, label in enumerate(labels)}
    result = classification_metrics([index[t] for t in truth], list(pred), labels)
    return float(result[metric])


def gate(
    client: Any,
    name: str,
    candidate_version: str,
    metric: str = "macro_f1",
    tolerance: float = 0.0,
    stage: str = "Production",
    alias: str = "champion",
    data_dir: str | None = None,
) -> GateResult:
    """passed = candidate score >= production score - tolerance (both on the candidate's test split)."""
    if metric not in METRICS:
        raise DataError(f"gate metric {metric!r}: use one of {', '.join(METRICS)}")
    candidate = get_version(client, name, candidate_version)
    production = current_production(client, name, stage, alias)
    texts, truth, fingerprint, _ = _candidate_split(client, candidate, data_dir)
    cand_score = _score(name, candidate.version, texts, truth, metric)
    if production is None:
        return GateResult(
            True,
            f"no {stage} version yet: the candidate passes",
            metric,
            candidate.version,
            cand_score,
            None,
            None,
            len(texts),
            fingerprint,
        )
    if str(production.version) == str(candidate.version):
        return GateResult(
            True,
            "the candidate is the current Production version",
            metric,
            candidate.version,
            cand_score,
            production.version,
            cand_score,
            len(texts),
            fingerprint,
        )
    prod_score = _score(name, production.version, texts, truth, metric)
    passed = cand_score >= prod_score - tolerance
    verdict = "not worse than" if passed else "worse than"
    reason = (
        f"candidate v{candidate.version} {metric}={cand_score:.4f} is {verdict} {stage} "
        f"v{production.version} {metric}={prod_score:.4f} (tolerance {tolerance}) on {len(texts)} test sentences"
    )
    return GateResult(
        passed,
        reason,
        metric,
        candidate.version,
        cand_score,
        production.version,
        prod_score,
        len(texts),
        fingerprint,
    )
