"""Drift monitoring: false events over 30 unchanged days, and how soon a class-share shift is caught.

Synthetic days of known composition go through the monitor's own `judge_day` (all six statistics,
the default thresholds). Each trial: 30 days of history, then 30 unchanged days, each judged
against the 30 days before it (input and confidence) and against a benchmark sample of the same
composition (`--benchmark-n` sentences, prediction shares). Then one day where one class's share
moves by `--shift` (the others shrink in proportion): is it caught that day, or by the next?

Baselines, on the same simulated days: PSI alone at the rule-of-thumb 0.1 and at 0.02 (every
statistic), and every test alone at p < 0.05 (no correction for six tests x 30 days).

    python -m bench.drift [--trials 300] [--per-day 200] [--shift 0.10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from newsmodel.monitoring.drift import DaySample, DriftReading, DriftThresholds, judge_day

LABELS = ("conflict", "neutral", "cooperation")
LANGUAGES = ("en", "ko", "ja")
LANGUAGE_SHARES = (0.7, 0.2, 0.1)
PAIRS = tuple(f"P{i:02d}" for i in range(40))
PAIR_SHARES = np.array([1.0 / (i + 1) for i in range(40)]) / sum(1.0 / (i + 1) for i in range(40))


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


def _baselines(readings: list[DriftReading], fired: dict[str, bool]) -> None:
    for r in readings:
        if r.distance is None or r.p_value is None:
            continue
        if r.statistic == "prediction_shares":
            fired["PSI >= 0.1 alone (prediction)"] = r.distance >= 0.1
            fired["PSI >= 0.02 alone (prediction)"] = r.distance >= 0.02
            fired["chi-square p < 0.05 alone (prediction)"] = r.p_value < 0.05
        fired["every test at p < 0.05 (six statistics)"] |= r.p_value < 0.05


def simulate(trials: int, per_day: int, shift: float, benchmark_n: int, seed: int = 11) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    thresholds = DriftThresholds()
    methods = (
        "monitor (defaults)",
        "PSI >= 0.1 alone (prediction)",
        "PSI >= 0.02 alone (prediction)",
        "chi-square p < 0.05 alone (prediction)",
        "every test at p < 0.05 (six statistics)",
    )
    false_events = {m: np.zeros(trials) for m in methods}
    caught_day1 = {m: 0 for m in methods}
    caught_day2 = {m: 0 for m in methods}
    per_stat: dict[str, int] = {}
    for t in range(trials):
        shares = rng.dirichlet([6, 8, 5])  # each trial its own class mix
        bench = rng.choice(len(LABELS), size=benchmark_n, p=shares)
        bench_counts = {LABELS[i]: float((bench == i).sum()) for i in range(len(LABELS))}
        days = [_day(rng, per_day, shares) for _ in range(30)]

        def judge(
            day: DaySample, history: list[DaySample], bench_counts: dict[str, float] = bench_counts
        ) -> dict[str, bool]:
            report = judge_day(
                day,
                _pooled(history[-30:]),
                thresholds,
                reference_label="30 days before",
                class_counts=bench_counts,
                class_counts_label="benchmark",
            )
            fired = {m: False for m in methods}
            fired["monitor (defaults)"] = any(r.crossed for r in report.readings)
            _baselines(report.readings, fired)
            return fired | {f"stat:{r.statistic}": r.crossed for r in report.readings}

        for _ in range(30):
            day = _day(rng, per_day, shares)
            fired = judge(day, days)
            for m in methods:
                false_events[m][t] += fired[m]
            for k, v in fired.items():
                if k.startswith("stat:") and v:
                    per_stat[k[5:]] = per_stat.get(k[5:], 0) + 1
            days.append(day)
        cls = int(rng.integers(len(LABELS)))
        moved = _shifted(shares, cls, shift if shares[cls] + shift < 0.95 else -shift)
        first = judge(_day(rng, per_day, moved), days)
        history = [*days, _day(rng, per_day, moved)]
        second = judge(_day(rng, per_day, moved), history)
        for m in methods:
            caught_day1[m] += first[m]
            caught_day2[m] += first[m] or second[m]
    return {
        "false_events": false_events,
        "caught_day1": caught_day1,
        "caught_day2": caught_day2,
        "per_stat": per_stat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--per-day", type=int, default=200)
    parser.add_argument("--shift", type=float, default=0.10)
    parser.add_argument("--benchmark-n", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="20 trials (a smoke run)")
    args = parser.parse_args()
    trials = 20 if args.quick else args.trials
    started = time.perf_counter()
    out = simulate(trials, args.per_day, args.shift, args.benchmark_n)
    took = time.perf_counter() - started
    t = DriftThresholds()
    print(
        f"## Drift monitoring ({trials} trials x 30 unchanged days, {args.per_day} sentences/day, "
        f"benchmark n={args.benchmark_n}, shift {args.shift:+.2f} in one class; {took:.0f} s)\n"
    )
    print(
        f"Monitor: alpha {t.alpha_per_day} per day (prediction {t.alpha('prediction_shares'):.4f}, "
        f"each other statistic {t.alpha('confidence'):.4f}), min PSI {t.min_psi_prediction} "
        f"(prediction) / {t.min_psi_input} (input, confidence).\n"
    )
    print(
        "| method | false events / 30 days (mean) | 30-day runs with > 1 false event | "
        "shift caught on day 1 | caught by day 2 |"
    )
    print("|---|---|---|---|---|")
    for m, events in out["false_events"].items():  # type: ignore[attr-defined]
        print(
            f"| {m} | {events.mean():.2f} | {np.mean(events > 1):.1%} | "
            f"{out['caught_day1'][m] / trials:.1%} | {out['caught_day2'][m] / trials:.1%} |"  # type: ignore[index]
        )
    print(f"\nMonitor's false events by statistic (all trials): {out['per_stat']}")


if __name__ == "__main__":
    main()
