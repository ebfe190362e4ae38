"""How often the index alerts fire on steady pairs, and how often they catch a shift.

Synthetic pairs of known composition: each day a Poisson number of articles, each with 1-3
sentences; an article has its own lean (articles differ more than their sentences do), its
sentences scatter around it. "Steady": the last 7 days are drawn like the 30 before; "shifted":
the last 7 days' mean moves by `--shift`. Prints the false-alarm rate and the detection rate of
`newsmodel.relindex.alerts.judge_pair`, beside the literal reading of the rule (the 30-day
mean's own 95% interval), which ignores the 7-day window's noise.

    python -m bench.index_alerts [--trials 2000] [--articles-per-day 3] [--shift 0.2]
"""

from __future__ import annotations

import argparse

import numpy as np

from newsmodel.relindex.alerts import BASELINE_DAYS, RECENT_DAYS, judge_pair
from newsmodel.relindex.arithmetic import article_bootstrap_interval
from newsmodel.relindex.pairs import CountryPair

PAIR = CountryPair("KOR", "USA")


def _window(rng: np.random.Generator, days: int, per_day: float, mean: float, recent: bool, first_id: int):  # type: ignore[no-untyped-def]
    rows: list[tuple[bool, float, int]] = []
    article = first_id
    for _ in range(days):
        for _ in range(int(rng.poisson(per_day))):
            lean = rng.normal(mean, 0.3)
            for _ in range(int(rng.integers(1, 4))):
                rows.append((recent, float(np.clip(rng.normal(lean, 0.25), -1, 1)), article))
            article += 1
    return rows, article


def simulate(
    trials: int, per_day: float, shift: float, min_sentences: int, seed: int = 7
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    fired = {"steady": 0, "shifted": 0, "literal_steady": 0}
    judged = {"steady": 0, "shifted": 0}
    for t in range(trials):
        mean = float(rng.uniform(-0.5, 0.5))
        base, next_id = _window(rng, BASELINE_DAYS, per_day, mean, False, 0)
        for kind, delta in (("steady", 0.0), ("shifted", shift)):
            recent, _ = _window(rng, RECENT_DAYS, per_day, mean + delta, True, next_id)
            alert = judge_pair(
                PAIR, base + recent, min_sentences=min_sentences, seed=t, resamples=1000, level=0.95
            )
            if alert.status == "too_few":
                continue
            judged[kind] += 1
            fired[kind] += alert.status == "alert"
            if kind == "steady":
                pol = np.array([p for _, p, _ in base])
                arts = np.array([a for _, _, a in base])
                low, high = article_bootstrap_interval(pol, arts, seed=t, resamples=1000)
                fired["literal_steady"] += not low <= (alert.recent_score or 0.0) <= high
    return {
        "false_alarm_rate": fired["steady"] / max(1, judged["steady"]),
        "detection_rate": fired["shifted"] / max(1, judged["shifted"]),
        "literal_false_alarm_rate": fired["literal_steady"] / max(1, judged["steady"]),
        "judged": float(judged["steady"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--articles-per-day", type=float, default=3.0)
    parser.add_argument("--shift", type=float, default=0.2)
    parser.add_argument("--min-sentences", type=int, default=20)
    args = parser.parse_args()
    result = simulate(args.trials, args.articles_per_day, args.shift, args.min_sentences)
    print(
        f"{args.trials} synthetic pairs, {args.articles_per_day:g} articles/day, shift {args.shift:+.2f}: "
        f"false alarms {result['false_alarm_rate']:.1%} (literal 30-day interval: "
        f"{result['literal_false_alarm_rate']:.1%}), detection {result['detection_rate']:.1%}, "
        f"{result['judged']:.0f} judged"
    )


if __name__ == "__main__":
    main()
