"""How often the index's 95% interval covers the true score, on synthetic days of known composition.

Each synthetic day has a true label mix (Dirichlet(1,1,1), relation3, so it differs from the
training mix); its articles (Poisson `--articles` a day, at least 2) each lean their own way
(an article's mix is Dirichlet(`--concentration` * day mix)) and hold 1-4 sentences whose labels
are drawn from it; each sentence is a real held-out sentence of that label from the pool of
bench/quantification.py's stand-in classifier. True score = sum of day mix * weights.

Intervals compared (newsmodel.relindex.arithmetic):
- `old`: percentile bootstrap over articles of the mean uncalibrated polarity (the index so far);
- `em, articles only` (`--with-em`): the EM-adjusted score (Saerens et al.), bootstrap over articles;
- `pacc, articles only`: the corrected score, bootstrap over articles, the confusion held fixed;
- `pacc + model error`: the same, each resample also redrawing the confusion matrix from its
  held-out uncertainty (the index's default for versions with a stored calibration).

    python -m bench.interval_coverage [--days 300] [--splits 3] [--articles 12] [--resamples 1000]
    python -m bench.interval_coverage --model tests/fixtures/minilm-relation3/model  # the real model
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.quantification import SCHEME, WEIGHTS, StandIn, fit_stand_in, load_examples, model_stand_in
from newsmodel.relindex.arithmetic import article_bootstrap_interval, corrected_bootstrap_interval
from newsmodel.relindex.quantify import softmax

VARIANTS = ("old", "pacc, articles only", "pacc + model error")


def simulate_split(
    stand_in: StandIn,
    days: int,
    articles: float,
    concentration: float,
    resamples: int,
    seed: int,
    with_em: bool = False,
) -> dict[str, list[tuple[bool, float]]]:
    """(covered, width) per variant and day."""
    rng = np.random.default_rng(seed)
    k = len(SCHEME.labels)
    by_class = [np.flatnonzero(stand_in.pool_labels == c) for c in range(k)]
    raw_all = softmax(stand_in.pool_logits)
    cal_all = softmax(stand_in.pool_logits / stand_in.calibration.temperature)
    out: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for day in range(days):
        mix = rng.dirichlet(np.ones(k))
        truth = float(mix @ WEIGHTS)
        picks: list[int] = []
        article_ids: list[int] = []
        for article in range(max(2, int(rng.poisson(articles)))):
            lean = rng.dirichlet(concentration * mix + 1e-3)
            for _ in range(int(rng.integers(1, 5))):
                picks.append(int(rng.choice(by_class[int(rng.choice(k, p=lean))])))
                article_ids.append(article)
        ids = np.array(article_ids, dtype=np.int64)
        raw, cal = raw_all[picks], cal_all[picks]
        intervals = {
            "old": article_bootstrap_interval(raw @ WEIGHTS, ids, seed=day, resamples=resamples),
            "pacc, articles only": corrected_bootstrap_interval(
                cal,
                ids,
                WEIGHTS,
                method="pacc",
                calibration=stand_in.calibration,
                seed=day,
                resamples=resamples,
                model_error=False,
            ),
            "em, articles only": corrected_bootstrap_interval(
                cal,
                ids,
                WEIGHTS,
                method="em",
                calibration=stand_in.calibration,
                seed=day,
                resamples=resamples,
            ),
            "pacc + model error": corrected_bootstrap_interval(
                cal,
                ids,
                WEIGHTS,
                method="pacc",
                calibration=stand_in.calibration,
                seed=day,
                resamples=resamples,
            ),
        }
        if with_em:  # slow: EM iterates over every sentence of every resample
            intervals["em, articles only"] = corrected_bootstrap_interval(
                cal,
                ids,
                WEIGHTS,
                method="em",
                calibration=stand_in.calibration,
                seed=day,
                resamples=resamples,
            )
        for name, (low, high) in intervals.items():
            out[name].append((low <= truth <= high, high - low))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--days", type=int, default=300, help="synthetic days per split")
    parser.add_argument("--splits", type=int, default=3, help="random fit/validation/pool splits")
    parser.add_argument("--articles", type=float, default=12.0, help="mean articles per day")
    parser.add_argument(
        "--concentration", type=float, default=5.0, help="how close an article stays to the day's mix"
    )
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--model", type=Path, help="an exported model folder instead of the stand-in")
    parser.add_argument("--with-em", action="store_true", help="also the EM interval (slow)")
    args = parser.parse_args()
    examples = load_examples(args.data_dir)
    results: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for split in range(1 if args.model else args.splits):
        stand_in = (
            model_stand_in(examples, args.model, args.model.parent / "split_manifest.json")
            if args.model
            else fit_stand_in(examples, seed=split)
        )
        for name, rows in simulate_split(
            stand_in,
            args.days,
            args.articles,
            args.concentration,
            args.resamples,
            seed=split,
            with_em=args.with_em,
        ).items():
            results[name].extend(rows)
    n = len(results[VARIANTS[0]])
    print(
        f"{n} synthetic days ({1 if args.model else args.splits} splits), ~{args.articles:g} articles/day, 1-4 sentences each"
    )
    print(f"{'interval':<24}{'coverage':>10}{'mean width':>12}")
    for name in [*VARIANTS, *(["em, articles only"] if args.with_em else [])]:
        covered = np.mean([c for c, _ in results[name]])
        width = np.mean([w for _, w in results[name]])
        se = np.sqrt(covered * (1 - covered) / n)
        print(f"{name:<24}{covered:>10.3f}{width:>12.3f}   (+/- {1.96 * se:.3f})")


if __name__ == "__main__":
    main()
