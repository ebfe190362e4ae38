"""`newsmodel cv`: folds that never cut a near-duplicate group, and one MLflow parent run with a
nested run per fold holding the scores the summary is computed from."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np

from newsmodel.datasets.types import Example

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "conflibert-cameo"


def test_folds_partition_the_data_and_keep_near_copies_together() -> None:
    import random

    from newsmodel.datasets import near_duplicate_groups
    from newsmodel.training.crossval import grouped_folds

    rng = random.Random(0)
    words = [
        "troops",
        "border",
        "talks",
        "trade",
        "minister",
        "summit",
        "sanctions",
        "aid",
        "missile",
        "port",
        "deal",
        "envoy",
    ]

    def sentence() -> str:
        return " ".join(rng.choice(words) + str(rng.randint(0, 999)) for _ in range(8))

    base = [Example(sentence(), ("conflict", "cooperation")[i % 2], "") for i in range(60)]
    # A near copy of each of the first ten sentences (one word added): it must share their fold.
    copies = [Example(e.text + " today", e.label, "") for e in base[:10]]
    examples = base + copies
    groups = near_duplicate_groups(examples)
    assert len(set(groups)) == 60  # each copy joined its original, nothing else merged
    seen: dict[int, list[list[int]]] = {}
    for repeat, _, rest, test in grouped_folds(examples, k=3, repeats=2, seed=1):
        assert not {groups[i] for i in rest} & {groups[i] for i in test}
        seen.setdefault(repeat, []).append(sorted(test))
    for folds in seen.values():
        assert sorted(i for fold in folds for i in fold) == list(range(len(examples)))
    assert seen[0] != seen[1]  # each repeat reshuffles


def test_collapse_sums_quad5_probabilities_into_relation3() -> None:
    from newsmodel.labels import get_scheme
    from newsmodel.training.crossval import collapse_probs

    quad = np.array([[0.1, 0.2, 0.3, 0.25, 0.15]])
    out = collapse_probs(quad, get_scheme("quad5").labels, "quad5", "relation3")
    assert np.allclose(out, [[0.4, 0.1, 0.5]])  # conflict, neutral, cooperation


def test_cv_logs_a_parent_run_with_a_nested_run_per_fold(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    from newsmodel.training.config import compose_config
    from newsmodel.training.cv_tracking import run_cv

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = compose_config(
        ["experiment=tiny-smoke", f"data.dir={DATA}", "data.limit=300", "cv.folds=3", "cv.repeats=2",
         f"mlflow.tracking_uri={uri}", "mlflow.experiment=cv-test"]
    )  # fmt: skip
    run_id, result = run_cv(cfg, tmp_path / "cv.json")
    summary = result.summary()
    assert len(result.folds) == 6 and summary["cv_folds"] == 6
    assert summary["cv_macro_f1_mean"] == statistics.fmean(f.macro_f1 for f in result.folds)
    assert {"cv_f1_neutral_std", "cv_macro_f1_repeat_std", "cv_macro_f1_min"} <= set(summary)
    assert sum(f.n_test for f in result.folds) == 2 * 300

    client = MlflowClient(uri)
    parent = client.get_run(run_id)
    assert parent.data.tags["newsmodel.kind"] == "cv"
    assert parent.data.metrics["cv_macro_f1_mean"] == summary["cv_macro_f1_mean"]
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run_id}'"
    )
    assert sorted(c.data.metrics["macro_f1"] for c in children) == sorted(f.macro_f1 for f in result.folds)
    report = json.loads((tmp_path / "cv.json").read_text())
    assert report["partial"] is False and len(report["folds"]) == 6
    assert "cv_report.json" in {a.path for a in client.list_artifacts(run_id)}
