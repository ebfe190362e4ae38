"""Drift monitoring: false events over 30 unchanged days, and how soon a class-share shift is caught.

Synthetic days of known composition go through the monitor's own `judge_day` (all six statistics,
the default thresholds). Each trial: 30 days of history, then 30 unchanged days, each judged
against the 30 days before it (input and confidence) and against a benchmark sample of the same
composition (`--benchmark-n` sentences, prediction shares). Then, from the same history, two
shifted continuations: the smallest-share class, then the largest, gains `--shift` (the others
shrink in proportion). Is the shift caught on its first day, or by its second?

Rules compared on the same simulated days (the other five statistics as the monitor judges them):
the monitor's defaults; the same without the PSI minimum on prediction shares; the same without
the pooled two-day look (today alone at the whole prediction budget); the same with the omnibus
chi-square (2 df) in place of the per-class tests; the rule before
(chi-square with 2 df at alpha 0.01 and PSI >= 0.02, the other five at 0.002 each); and an oracle
that knows which class moves and which way (a one-sided test at the whole prediction budget: the
ceiling of any daily test, detection only).

    python -m bench.drift [--trials 300] [--per-day 200,500] [--shift 0.10]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from scipy.stats import norm

from newsmodel.monitoring.drift import DayReport, DaySample, DriftThresholds, judge_day, prediction_drift
from newsmodel.monitoring.statistics import categorical_drift, class_share_drift

LABELS = ("conflict", "neutral", "cooperation")
LANGUAGES = ("en", "ko", "ja")
LANGUAGE_SHARES = (0.7, 0.2, 0.1)
PAIRS = tuple(f"P{i:02d}" for i in range(40))
PAIR_SHARES = np.array([1.0 / (i + 1) for i in range(40)]) / sum(1.0 / (i + 1) for i in range(40))
OLD_PREDICTION_ALPHA, OLD_OTHER_ALPHA = 0.01, 0.002  # the rule before: 0.02 a day, half to prediction
RULES = (
    "monitor (new defaults)",
    "new, no PSI minimum",
    "new, today alone (no pooled look)",
    "new, chi-square instead of per-class tests",
    "rule before (chi-square + PSI)",
    "oracle (knows class and direction)",
)
ORACLE = RULES[-1]
SHIFTS = ("smallest", "largest")


def _day(rng: np.random.Generator, n: int, shares: np.ndarray) -> DaySample:
    labels = rng.choice(len(LABELS), size=n, p=shares)
    # a model more sure of neutral than of the other two; confidence follows the predicted class
    confidence = np.clip(rng.beta(np.where(labels == 1, 8, 5), 2), 1 / 3, 1)
    return DaySample(
        labels=[LABELS[i] for i in labels],
        confidence=confidence.tolist(),
        lengths=np.maximum(4, rng.lognormal(3.1, 0.4, n).round()).tolist(),
        languages=list(rng.choice(LANGUAGES, size=n, p=LANGUAGE_SHARES)),
        pairs=list(rng.choice(PAIRS, size=n, p=PAIR_SHARES)),
        unknown_rates=(rng.binomial(30, 0.01, n) / 30).tolist(),
    )


def _shifted(shares: np.ndarray, cls: int, shift: float) -> np.ndarray:
    out = shares * (1 - shares[cls] - shift) / (1 - shares[cls])
    out[cls] = shares[cls] + shift
    return out


def _pooled(days: list[DaySample]) -> DaySample:
    ref = DaySample()
    for d in days:
        ref.extend(d)
    return ref


def _oracle_p(bench: dict[str, float], day: DaySample, label: str) -> float:
    """One-sided two-proportion test that `label` gained share (the reference's noise counted)."""
    n, big_n = len(day), sum(bench.values())
    k, big_k = day.labels.count(label), bench[label]
    pooled = (k + big_k) / (n + big_n)
    z = (k / n - big_k / big_n) / np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / big_n))
    return float(norm.sf(z))


def _rules(
    report: DayReport,
    day: DaySample,
    previous: DaySample,
    bench: dict[str, float],
    t: DriftThresholds,
    oracle: str | None,
) -> dict[str, bool]:
    """Which rules raise an event on this day (any statistic)."""
    pred = next(r for r in report.readings if r.statistic == "prediction_shares")
    others = [r for r in report.readings if r.statistic != "prediction_shares"]
    new_others = any(r.crossed for r in others)
    old_others = any(
        r.p_value is not None
        and r.distance is not None
        and r.p_value < OLD_OTHER_ALPHA
        and abs(r.distance) >= r.min_distance
        for r in others
    )
    alone = class_share_drift(bench, Counter(day.labels))
    omnibus = prediction_drift(bench, bench, day, previous, t, test=categorical_drift)
    old = categorical_drift(bench, Counter(day.labels))
    alpha, min_psi = t.alpha("prediction_shares"), t.min_psi_prediction
    return {
        RULES[0]: pred.crossed or new_others,
        RULES[1]: (pred.p_value is not None and pred.p_value < alpha) or new_others,
        RULES[2]: (alone.p_value < alpha and alone.distance >= min_psi) or new_others,
        RULES[3]: (omnibus.p_value < alpha and omnibus.distance >= min_psi) or new_others,
        RULES[4]: (old.p_value < OLD_PREDICTION_ALPHA and old.distance >= min_psi) or old_others,
        ORACLE: oracle is not None and _oracle_p(bench, day, oracle) < alpha,
    }


def simulate(trials: int, per_day: int, shift: float, benchmark_n: int, seed: int = 11) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    t = DriftThresholds()
    false_events = {m: np.zeros(trials) for m in RULES}
    caught = {(m, s, d): 0 for m in RULES for s in SHIFTS for d in (1, 2)}
    per_stat: Counter[str] = Counter()
    for trial in range(trials):
        shares = rng.dirichlet([6, 8, 5])  # each trial its own class mix
        sample = rng.choice(len(LABELS), size=benchmark_n, p=shares)
        bench = {LABELS[i]: float((sample == i).sum()) for i in range(len(LABELS))}
        days = [_day(rng, per_day, shares) for _ in range(30)]

        def judge(day: DaySample, history: list[DaySample], oracle: str | None) -> dict[str, bool]:
            report = judge_day(
                day,
                _pooled(history[-30:]),
                t,
                reference_label="30 days before",
                class_counts=bench,  # noqa: B023 (called within the trial that defines it)
                class_counts_label="benchmark",
                previous=history[-1],
            )
            per_stat.update(r.statistic for r in report.readings if r.crossed and oracle is None)
            return _rules(report, day, history[-1], bench, t, oracle)  # noqa: B023

        for _ in range(30):
            day = _day(rng, per_day, shares)
            for m, fired in judge(day, days, None).items():
                false_events[m][trial] += fired
            days.append(day)
        for which, cls in zip(SHIFTS, (int(shares.argmin()), int(shares.argmax())), strict=True):
            moved = _shifted(shares, cls, shift)
            first_day = _day(rng, per_day, moved)
            first = judge(first_day, days, LABELS[cls])
            second = judge(_day(rng, per_day, moved), [*days, first_day], LABELS[cls])
            for m in RULES:
                caught[(m, which, 1)] += first[m]
                caught[(m, which, 2)] += first[m] or second[m]
    return {"false_events": false_events, "caught": caught, "per_stat": dict(per_stat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--per-day", default="200,500", help="sentences a day, comma-separated")
    parser.add_argument("--shift", type=float, default=0.10)
    parser.add_argument("--benchmark-n", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="20 trials (a smoke run)")
    args = parser.parse_args()
    trials = 20 if args.quick else args.trials
    t = DriftThresholds()
    day_alpha, two_day_alpha = t.prediction_looks()
    print(
        f"## Drift monitoring ({trials} trials x 30 unchanged days, benchmark n={args.benchmark_n}, "
        f"shift {args.shift:+.2f} in the smallest- or largest-share class)\n"
    )
    print(
        f"Monitor: alpha {t.alpha_per_day} per day; prediction shares {t.alpha('prediction_shares'):.4f} "
        f"(today {day_alpha:.4f}, today with yesterday {two_day_alpha:.4f}), each other statistic "
        f"{t.alpha('confidence'):.4f}; min PSI {t.min_psi_prediction} (prediction) / {t.min_psi_input} "
        "(input, confidence).\n"
    )
    for per_day in (int(x) for x in args.per_day.split(",")):
        started = time.perf_counter()
        out = simulate(trials, per_day, args.shift, args.benchmark_n)
        took = time.perf_counter() - started
        print(f"### {per_day} sentences a day ({took:.0f} s)\n")
        print(
            "| rule | false events / 30 days (mean) | 30-day runs with > 1 | smallest class: day 1 | "
            "by day 2 | largest class: day 1 | by day 2 |"
        )
        print("|---|---|---|---|---|---|---|")
        caught: dict[tuple[str, str, int], int] = out["caught"]  # type: ignore[assignment]
        for m, events in out["false_events"].items():  # type: ignore[attr-defined]
            fa = "n/a | n/a" if m == ORACLE else f"{events.mean():.2f} | {np.mean(events > 1):.1%}"
            cells = " | ".join(f"{caught[(m, s, d)] / trials:.1%}" for s in SHIFTS for d in (1, 2))
            print(f"| {m} | {fa} | {cells} |")
        print(f"\nMonitor's false events by statistic (all trials): {out['per_stat']}\n")


if __name__ == "__main__":
    main()
