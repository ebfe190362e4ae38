"""Which way of turning a day's sentence readings into class shares is closest to the truth.

Methods (newsmodel.relindex.quantify): `raw-mean` (today's index: mean uncalibrated probability),
`mean-probability` (mean temperature-calibrated probability), `acc`, `pacc`, `em`.

Classifier (`--model DIR` for an exported model version instead, calibrated on its own
validation split): a stand-in fitted here (word 1-2 gram TF-IDF + logistic regression; its decision
function is the logit) on part of our labeled data (`../shared/data/conflibert-cameo/train.tsv`,
relation3), so the script runs in seconds without a trained transformer; the estimators only see
its probabilities and its held-out confusion, as they would a registered model's. Splits of the
labeled data: fit 50% / validation 20% (temperature, confusion) / pool 30% (never seen by
either). No published test split is read.

1. Synthetic days under prior shift: each day's true label shares are drawn from Dirichlet(1,1,1)
   (the mix differs from the training one, as crawled news does); `--sentences` sentences of the
   pool are drawn to that mix; error = |estimated score - true score| (score = sum share * weight).
2. The gold set, when `bench/data/index_gold.jsonl` exists (hand-labeled pair sentences, fields
   id, text, pair, label, week): per pair and week with at least `--min-gold` sentences, the
   score of the gold labels against each method's estimate from the classifier's readings.

    python -m bench.quantification [--days 400] [--sentences 20,60,200] [--splits 3]
    python -m bench.quantification --model tests/fixtures/minilm-relation3/model
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from newsmodel.datasets.types import Example
from newsmodel.evaluation.calibration import reliability_bins
from newsmodel.labels.schemes import get_scheme
from newsmodel.relindex.arithmetic import label_weights
from newsmodel.relindex.quantify import Calibration, corrected_shares, fit_calibration, softmax

GOLD = Path(__file__).parent / "data" / "index_gold.jsonl"
SCHEME = get_scheme("relation3")
WEIGHTS = label_weights(SCHEME)
METHODS = ("raw-mean", "mean-probability", "acc", "pacc", "em")


@dataclass
class StandIn:
    """A fitted stand-in classifier, its calibration and its logits on the untouched pool."""

    model: Any
    calibration: Calibration
    pool_logits: NDArray[np.float64]
    pool_labels: NDArray[np.int64]
    val_logits: NDArray[np.float64]
    val_labels: NDArray[np.int64]

    def logits(self, texts: list[str]) -> NDArray[np.float64]:
        return np.asarray(self.model.decision_function(texts), dtype=np.float64)


def load_examples(data_dir: str) -> list[Example]:
    from newsmodel.datasets import load_conflibert

    return load_conflibert(data_dir, scheme=SCHEME.name)


def fit_stand_in(examples: list[Example], seed: int) -> StandIn:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(examples))
    cut1, cut2 = int(0.5 * len(order)), int(0.7 * len(order))
    y = np.array([SCHEME.index(e.label) for e in examples], dtype=np.int64)
    texts = [e.text for e in examples]
    fit, val, pool = order[:cut1], order[cut1:cut2], order[cut2:]
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(max_iter=2000, C=4.0, random_state=seed),
    )
    model.fit([texts[i] for i in fit], y[fit])
    val_logits = np.asarray(model.decision_function([texts[i] for i in val]), dtype=np.float64)
    calibration = fit_calibration(val_logits, y[val], SCHEME.labels, y[fit])
    pool_logits = np.asarray(model.decision_function([texts[i] for i in pool]), dtype=np.float64)
    return StandIn(model, calibration, pool_logits, y[pool], val_logits, y[val])


class _OnnxLogits:
    """An exported model version behind the stand-in's `decision_function`."""

    def __init__(self, model_dir: Path) -> None:
        from newsmodel.predictor import OnnxPredictor

        self.predictor = OnnxPredictor.from_dir(model_dir, variant="int8")

    def decision_function(self, texts: list[str]) -> NDArray[np.float64]:
        return np.asarray(self.predictor.predict_logits(texts), dtype=np.float64)


def model_stand_in(examples: list[Example], model_dir: Path, manifest_path: Path) -> StandIn:
    """An exported model instead of the TF-IDF stand-in: calibrated on its own validation split
    (keys from its run's split_manifest.json); the pool is every labeled sentence it never
    trained or validated on (its test split and the held-out benchmark)."""
    from newsmodel.datasets.grouping import text_key
    from newsmodel.datasets.manifest import SplitManifest

    manifest = SplitManifest.from_json(manifest_path.read_text(encoding="utf-8"), str(manifest_path))
    model = _OnnxLogits(model_dir)
    y = np.array([SCHEME.index(e.label) for e in examples], dtype=np.int64)
    keys = [text_key(e.text) for e in examples]
    val = [i for i, k in enumerate(keys) if k in manifest.keys("validation")]
    fit = [i for i, k in enumerate(keys) if k in manifest.keys("train")]
    pool = [i for i, k in enumerate(keys) if k not in manifest.seen]
    val_logits = model.decision_function([examples[i].text for i in val])
    calibration = fit_calibration(val_logits, y[val], SCHEME.labels, y[fit])
    pool_logits = model.decision_function([examples[i].text for i in pool])
    return StandIn(model, calibration, pool_logits, y[pool], val_logits, y[val])


def estimates(logits: NDArray[np.float64], calibration: Calibration) -> dict[str, float]:
    """Each method's score for one set of sentences."""
    raw = softmax(logits)
    calibrated = softmax(logits / calibration.temperature)
    out = {"raw-mean": float(raw.mean(axis=0) @ WEIGHTS)}
    for method in ("mean-probability", "acc", "pacc", "em"):
        out[method] = float(corrected_shares(calibrated, method, calibration) @ WEIGHTS)  # type: ignore[arg-type]
    return out


def synthetic_days(stand_in: StandIn, days: int, sentences: int, seed: int) -> dict[str, list[float]]:
    """Absolute score errors per method over `days` prior-shifted days of `sentences` sentences."""
    rng = np.random.default_rng(seed)
    by_class = [np.flatnonzero(stand_in.pool_labels == k) for k in range(len(SCHEME.labels))]
    errors: dict[str, list[float]] = defaultdict(list)
    for _ in range(days):
        mix = rng.dirichlet(np.ones(len(SCHEME.labels)))
        labels = rng.choice(len(SCHEME.labels), size=sentences, p=mix)
        picks = np.array([rng.choice(by_class[k]) for k in labels])
        truth = float(np.bincount(labels, minlength=len(WEIGHTS)) @ WEIGHTS / sentences)
        for method, value in estimates(stand_in.pool_logits[picks], stand_in.calibration).items():
            errors[method].append(abs(value - truth))
    return errors


def gold_errors(stand_in: StandIn, min_gold: int) -> tuple[int, dict[str, list[float]]]:
    """Per pair-week of the gold set: |method's score - the gold labels' score|."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("label") in SCHEME.labels:
                groups[(str(row["pair"]), str(row.get("week", "")))].append(row)
    errors: dict[str, list[float]] = defaultdict(list)
    used = 0
    for rows in groups.values():
        if len(rows) < min_gold:
            continue
        used += 1
        truth = float(np.mean([SCHEME.polarity[r["label"]] for r in rows]))
        for method, value in estimates(
            stand_in.logits([r["text"] for r in rows]), stand_in.calibration
        ).items():
            errors[method].append(abs(value - truth))
    return used, errors


def _row(name: str, errors: dict[str, list[float]]) -> str:
    cells = "  ".join(f"{np.mean(errors[m]):>8.4f}" for m in METHODS)
    return f"{name:<28}{cells}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--days", type=int, default=400, help="synthetic days per split and size")
    parser.add_argument("--sentences", default="20,60,200", help="sentences per synthetic day")
    parser.add_argument("--splits", type=int, default=3, help="random fit/validation/pool splits")
    parser.add_argument("--min-gold", type=int, default=5, help="gold sentences a pair-week needs")
    parser.add_argument(
        "--model",
        type=Path,
        help="an exported model folder (label_map.json, model.int8.onnx) instead of the TF-IDF stand-in, "
        "e.g. tests/fixtures/minilm-relation3/model",
    )
    parser.add_argument(
        "--manifest", type=Path, help="its run's split_manifest.json (default: beside the model folder)"
    )
    args = parser.parse_args()
    examples = load_examples(args.data_dir)
    sizes = [int(x) for x in args.sentences.split(",")]
    print(f"{len(examples)} labeled sentences (relation3); mean |score error| (lower is better)")
    print(f"{'':<28}" + "  ".join(f"{m:>8}"[:8] if len(m) <= 8 else m[:8] for m in METHODS))
    totals: dict[int, dict[str, list[float]]] = {n: defaultdict(list) for n in sizes}
    gold: dict[str, list[float]] = defaultdict(list)
    gold_groups = 0
    for split in range(1 if args.model else args.splits):
        stand_in = (
            model_stand_in(examples, args.model, args.manifest or args.model.parent / "split_manifest.json")
            if args.model
            else fit_stand_in(examples, seed=split)
        )
        cal = stand_in.calibration
        raw_ece = reliability_bins(list(stand_in.val_labels), softmax(stand_in.val_logits)).ece
        cal_ece = reliability_bins(
            list(stand_in.val_labels), softmax(stand_in.val_logits / cal.temperature)
        ).ece
        accuracy = float(np.mean(softmax(stand_in.pool_logits).argmax(axis=1) == stand_in.pool_labels))
        print(
            f"split {split}: T={cal.temperature:.3f}, validation ECE {raw_ece:.3f} -> {cal_ece:.3f} "
            f"(in-sample), pool of {len(stand_in.pool_labels)} held-out sentences, accuracy {accuracy:.3f}"
        )
        for n in sizes:
            for method, errs in synthetic_days(stand_in, args.days, n, seed=1000 * split + n).items():
                totals[n][method].extend(errs)
        if GOLD.is_file():
            used, found = gold_errors(stand_in, args.min_gold)
            gold_groups = used
            for method, e in found.items():
                gold[method].extend(e)
    for n in sizes:
        print(_row(f"synthetic, {n} sentences/day", totals[n]))
    if GOLD.is_file() and gold:
        print(_row(f"gold, {gold_groups} pair-weeks", gold))
    else:
        print(f"gold set: {GOLD} not present (or no pair-week with >= {args.min_gold} sentences)")


if __name__ == "__main__":
    main()
