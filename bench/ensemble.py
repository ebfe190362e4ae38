"""A seed ensemble beside its members and the students distilled from it, side by side in one run.

Each model is a finished `newsmodel train` run folder (its `model/`). Every one reads the frozen
ConfliBERT benchmark (`data.benchmark`, held out of every run's training) and the single-pair
rows of the index gold (bench/data/index_gold.jsonl, never trained on), in the variant served
(int8 by default). The ensemble averages its members' probabilities: what distillation tries to
put into one model, at N times the serving cost. Figures: macro-F1, and per class on the
benchmark.

    NEWSMODEL_DATA_DIR=../shared/data python bench/ensemble.py \\
        --members RUN_A RUN_B RUN_C RUN_D --student RUN_S1 RUN_S2
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOLD = ROOT / "bench" / "data" / "index_gold.jsonl"
BENCHMARK = "conflibert-relation3"


def _f1(truth: np.ndarray, probs: np.ndarray, n: int) -> tuple[float, list[float]]:
    from sklearn.metrics import f1_score

    pred = probs.argmax(axis=1)
    per_class = f1_score(truth, pred, average=None, labels=list(range(n)), zero_division=0)
    return float(np.mean(per_class)), [float(x) for x in per_class]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", nargs="+", type=Path, required=True, help="the ensemble's run folders")
    parser.add_argument("--student", nargs="*", type=Path, default=[], help="distilled students' run folders")
    parser.add_argument("--variant", choices=("int8", "fp32"), default="int8")
    args = parser.parse_args(argv)

    from newsmodel.datasets.pair_labels import read_pair_labels
    from newsmodel.predictor import OnnxPredictor
    from newsmodel.training.data import load_named_benchmark

    for run in [*args.members, *args.student]:
        if not (run / "model").is_dir():
            print(f"error: {run} is not a finished run folder (no model/)", file=sys.stderr)
            return 2
    data_dir = os.environ.get("NEWSMODEL_DATA_DIR")
    bench = load_named_benchmark(BENCHMARK, data_dir)
    rows = read_pair_labels(GOLD)
    per_sentence: dict[str, int] = defaultdict(int)
    for r in rows:
        per_sentence[r.sentence_id] += 1
    single = [r for r in rows if per_sentence[r.sentence_id] == 1]

    def read(run: Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        predictor = OnnxPredictor.from_dir(run / "model", variant=args.variant)
        return (
            predictor.predict_proba([e.text for e in bench.examples]),
            predictor.predict_proba([r.text for r in single]),
            tuple(predictor.labels),
        )

    cache = {run.resolve(): read(run) for run in {*args.members, *args.student}}
    models = [("member", run) for run in args.members] + [("student", run) for run in args.student]
    labels = cache[args.members[0].resolve()][2]
    index = {label: i for i, label in enumerate(labels)}
    bench_truth = np.array([index[e.label] for e in bench.examples])
    gold_truth = np.array([index[r.label] for r in single])

    table: list[tuple[str, float, list[float], float]] = []
    for role, run in models:
        b, g, _ = cache[run.resolve()]
        macro, per_class = _f1(bench_truth, b, len(labels))
        table.append((f"{role} {run.name}", macro, per_class, _f1(gold_truth, g, len(labels))[0]))
    members = [t for t in table if t[0].startswith("member")]
    ens_b = np.mean([cache[r.resolve()][0] for r in args.members], axis=0)
    ens_g = np.mean([cache[r.resolve()][1] for r in args.members], axis=0)
    macro, per_class = _f1(bench_truth, ens_b, len(labels))
    ensemble = (
        f"ensemble of {len(members)} (mean probabilities)",
        macro,
        per_class,
        _f1(gold_truth, ens_g, len(labels))[0],
    )

    print(
        f"Benchmark {bench.ref} ({len(bench.examples)} sentences), index gold single-pair rows "
        f"({len(single)}), {args.variant}.\n"
    )
    print(f"| model | benchmark macro-F1 | {' | '.join(labels)} | gold single-pair macro-F1 |")
    print("|---|---:|" + "---:|" * len(labels) + "---:|")
    for name, macro, per_class, gold in [*table, ensemble]:
        print(f"| {name} | {macro:.3f} | " + " | ".join(f"{x:.3f}" for x in per_class) + f" | {gold:.3f} |")
    for name, rows_ in (("members", members), ("students", [t for t in table if t[0].startswith("student")])):
        if len(rows_) > 1:
            b = np.array([t[1] for t in rows_])
            g = np.array([t[3] for t in rows_])
            print(
                f"| {name}: mean ± std (range) | {b.mean():.3f} ± {b.std(ddof=1):.3f} "
                f"({b.min():.3f}-{b.max():.3f}) |"
                + " |" * len(labels)
                + f" {g.mean():.3f} ± {g.std(ddof=1):.3f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
