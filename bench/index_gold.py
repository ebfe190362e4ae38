"""The relation index against hand-labeled gold: error per country pair and ISO week.

The gold (bench/data/index_gold.jsonl, see newsmodel/datasets/pair_labels.py) labels each
(sentence, pair) by hand. A model version reads every gold sentence once, as the index does
today (one reading per sentence, shared by every pair it names); each pair-week's index score
is then computed by the index's own arithmetic (newsmodel/relindex/arithmetic.py: mean
probability-weighted polarity, article bootstrap interval), and the gold-derived score by the
same formula on the gold labels (one-hot probabilities). Figures: mean absolute error of the
score per pair (over its weeks) and overall (over pair-weeks), how often the 95% interval holds
the gold score, and macro-F1 of the per-row reading on single-pair vs multi-pair sentences.

Baselines beside the model: a constant neutral prior (score 0), each pair's gold mean over its
other weeks (leave-one-week-out: the index's job is to track change), and the sentence-level
oracle, which reads each sentence perfectly but gives all its pairs one label (the majority of
their gold labels, ties neutral): the error any pair-blind reader keeps on multi-pair sentences.

A pair-aware model version (label_map.json `pair_input`, issue 17) reads each gold row for its
own pair instead (newsmodel/text/pair_input.py, the encoding it was trained on); `--baseline`
puts another version's per-row macro-F1 beside it (default: the sentence-level fixture).

    python bench/index_gold.py                                 # the committed fixture model
    python bench/index_gold.py --model DIR --variant fp32      # another exported model version
    python bench/index_gold.py --model tests/fixtures/minilm-pair3-l1/model \
        --baseline tests/fixtures/minilm-relation3/model       # pair-aware reader vs sentence-level
    ... --sentence-reading                                     # the pair-aware model, pairs not marked
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "bench" / "data" / "index_gold.jsonl"
FIXTURE_MODEL = ROOT / "tests" / "fixtures" / "minilm-relation3" / "model"
MIN_SENTENCES = 3  # pair-weeks with fewer gold sentences are also reported apart: one sentence is noise


@dataclass(frozen=True)
class Bucket:
    """One pair-week: the index's score and interval, the gold score and the baselines'."""

    pair: str
    week: str
    n: int
    model: float
    ci_low: float
    ci_high: float
    gold: float
    oracle: float


def _article(source: str, sentence_id: str) -> str:
    """Sentences of one demo or fixture article move together in the bootstrap; a written
    sentence is its own article."""
    if source == "written":
        return sentence_id
    return source.split("#", 1)[0]


def _sentence_oracle(labels: Sequence[str]) -> str:
    """The one label a pair-blind reader could best give a sentence: its pairs' majority."""
    counts = Counter(labels).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return "neutral"
    return counts[0][0]


def _macro_f1(truth: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    from newsmodel.evaluation.paired_bootstrap import macro_f1_rows

    index = {lab: i for i, lab in enumerate(labels)}
    t = np.array([[index[x] for x in truth]], dtype=np.int64)
    p = np.array([[index[x] for x in pred]], dtype=np.int64)
    return float(macro_f1_rows(t, p, len(labels))[0])


def read_rows(predictor: object, rows: Sequence[object], ignore_pairs: bool = False) -> np.ndarray:
    """Each gold row's probabilities: the row's own pair read by a pair-aware model, else one
    reading per sentence shared by its pairs (as the sentence-level index does)."""
    from newsmodel.datasets.pair_labels import PairLabel
    from newsmodel.predictor import OnnxPredictor

    assert isinstance(predictor, OnnxPredictor)
    labeled = [r for r in rows if isinstance(r, PairLabel)]
    if predictor.pair_aware and not ignore_pairs:
        texts = [r.text for r in labeled]
        return predictor.predict_pairs_proba(texts, [r.countries for r in labeled]).astype(np.float64)
    texts_by_id = sorted({r.sentence_id: r.text for r in labeled}.items())
    where = {sid: i for i, (sid, _) in enumerate(texts_by_id)}
    probs = predictor.predict_proba([t for _, t in texts_by_id]).astype(np.float64)
    return probs[[where[r.sentence_id] for r in labeled]]


def measure(
    gold_path: Path, model_dir: Path, variant: str, ignore_pairs: bool = False
) -> tuple[list[Bucket], dict[str, dict[str, float]], list[str]]:
    from newsmodel.datasets.pair_labels import read_pair_labels
    from newsmodel.labels.schemes import get_scheme
    from newsmodel.predictor import OnnxPredictor
    from newsmodel.relindex.arithmetic import expected_polarity, pair_day_stats, stable_seed

    scheme = get_scheme("relation3")
    rows = read_pair_labels(gold_path)
    predictor = OnnxPredictor.from_dir(model_dir, variant=variant)  # type: ignore[arg-type]
    if tuple(predictor.labels) != tuple(scheme.labels):
        raise SystemExit(f"error: {model_dir} reads {predictor.labels}, not relation3 {scheme.labels}")
    texts = sorted({r.sentence_id: r.text for r in rows}.items())
    sentence_index = {sid: i for i, (sid, _) in enumerate(texts)}
    probs = read_rows(predictor, rows, ignore_pairs)  # one row of probabilities per gold row

    by_sentence: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_sentence[r.sentence_id].append(r.label)
    oracle_label = {sid: _sentence_oracle(labs) for sid, labs in by_sentence.items()}
    eye = np.eye(len(scheme.labels))
    one_hot = {lab: eye[i] for i, lab in enumerate(scheme.labels)}

    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.pair, r.week)].append(i)
    articles = {a: n for n, a in enumerate(sorted({_article(r.source, r.sentence_id) for r in rows}))}
    buckets = []
    for (pair, week), idx in sorted(groups.items()):
        members = [rows[i] for i in idx]
        p = probs[idx]
        stats = pair_day_stats(
            sentence_ids=np.array([sentence_index[m.sentence_id] for m in members], dtype=np.int64),
            article_ids=np.array(
                [articles[_article(m.source, m.sentence_id)] for m in members], dtype=np.int64
            ),
            probs=p,
            scheme=scheme,
            source_count=len({m.source.split(":", 1)[0] for m in members}),
            seed=stable_seed(pair, week, model_dir.name),
        )
        gold = expected_polarity(np.array([one_hot[m.label] for m in members]), scheme).mean()
        oracle = expected_polarity(
            np.array([one_hot[oracle_label[m.sentence_id]] for m in members]), scheme
        ).mean()
        buckets.append(
            Bucket(pair, week, len(members), stats.score, stats.ci_low, stats.ci_high, gold, oracle)
        )

    predicted = [scheme.labels[int(probs[i].argmax())] for i in range(len(rows))]
    f1: dict[str, dict[str, float]] = {}
    for name, keep in (
        ("single-pair rows", lambda r: len(by_sentence[r.sentence_id]) == 1),
        ("multi-pair rows", lambda r: len(by_sentence[r.sentence_id]) > 1),
        ("all rows", lambda r: True),
    ):
        chosen = [i for i, r in enumerate(rows) if keep(r)]
        truth = [rows[i].label for i in chosen]
        f1[name] = {
            "rows": len(chosen),
            "model": _macro_f1(truth, [predicted[i] for i in chosen], scheme.labels),
            "oracle": _macro_f1(truth, [oracle_label[rows[i].sentence_id] for i in chosen], scheme.labels),
        }
    return buckets, f1, predicted


def add_paired_difference(
    gold_path: Path, f1: dict[str, dict[str, float]], predicted: list[str], baseline: list[str]
) -> None:
    """Beside each row set's macro-F1: model minus baseline with a 95% paired bootstrap interval
    (rows resampled; rows of one sentence are not independent, so the interval is a little narrow)."""
    from newsmodel.datasets.pair_labels import read_pair_labels
    from newsmodel.evaluation.paired_bootstrap import paired_macro_f1_difference
    from newsmodel.labels.schemes import get_scheme

    labels = get_scheme("relation3").labels
    index = {lab: i for i, lab in enumerate(labels)}
    rows = read_pair_labels(gold_path)
    per_sentence = Counter(r.sentence_id for r in rows)
    subsets = {
        "single-pair rows": [i for i, r in enumerate(rows) if per_sentence[r.sentence_id] == 1],
        "multi-pair rows": [i for i, r in enumerate(rows) if per_sentence[r.sentence_id] > 1],
        "all rows": list(range(len(rows))),
    }
    for name, chosen in subsets.items():
        d = paired_macro_f1_difference(
            [index[rows[i].label] for i in chosen],
            [index[baseline[i]] for i in chosen],
            [index[predicted[i]] for i in chosen],
            len(labels),
            resamples=2000,
        )
        f1[name].update(diff=d.diff, diff_low=d.low, diff_high=d.high)


def _loo_pair_mean(buckets: Sequence[Bucket]) -> dict[tuple[str, str], float]:
    """Each pair-week's baseline: the pair's gold score averaged over its other weeks (0 if none)."""
    by_pair: dict[str, list[Bucket]] = defaultdict(list)
    for b in buckets:
        by_pair[b.pair].append(b)
    out = {}
    for pair, bs in by_pair.items():
        for b in bs:
            others = [o.gold for o in bs if o.week != b.week]
            out[(pair, b.week)] = statistics.fmean(others) if others else 0.0
    return out


def report(
    buckets: Sequence[Bucket],
    f1: dict[str, dict[str, float]],
    baseline: Sequence[Bucket] | None = None,
    reading: str = "sentence reading per pair",
) -> str:
    """The tables; `baseline`: another model version's buckets, its MAE in a column beside."""
    loo = _loo_pair_mean(buckets)
    base = {(b.pair, b.week): b.model for b in baseline or ()}

    def errors(bs: Sequence[Bucket]) -> tuple[float, ...]:
        found = (
            statistics.fmean(abs(b.model - b.gold) for b in bs),
            statistics.fmean(abs(b.gold) for b in bs),
            statistics.fmean(abs(loo[(b.pair, b.week)] - b.gold) for b in bs),
            statistics.fmean(abs(b.oracle - b.gold) for b in bs),
        )
        if not base:
            return found
        return (*found[:1], statistics.fmean(abs(base[(b.pair, b.week)] - b.gold) for b in bs), *found[1:])

    head = (
        "| pair | weeks | sentences | MAE index (model) | "
        + ("MAE index (baseline) | " if base else "")
        + "MAE neutral prior | MAE pair mean (other weeks) | MAE sentence-level oracle |\n|---|---|---|---|"
        + ("---|" if base else "")
        + "---|---|---|"
    )
    lines = [head]
    by_pair: dict[str, list[Bucket]] = defaultdict(list)
    for b in buckets:
        by_pair[b.pair].append(b)
    for pair in sorted(by_pair, key=lambda p: -sum(b.n for b in by_pair[p])):
        bs = by_pair[pair]
        m, *rest = errors(bs)
        cells = " | ".join(f"{x:.3f}" for x in rest)
        lines.append(f"| {pair} | {len(bs)} | {sum(b.n for b in bs)} | {m:.3f} | {cells} |")
    for name, bs in (
        ("all pair-weeks", list(buckets)),
        (f"pair-weeks with >= {MIN_SENTENCES} sentences", [b for b in buckets if b.n >= MIN_SENTENCES]),
    ):
        m, *rest = errors(bs)
        cells = " | ".join(f"{x:.3f}" for x in rest)
        lines.append(f"| **{name}** | {len(bs)} | {sum(b.n for b in bs)} | **{m:.3f}** | {cells} |")
    covered = sum(b.ci_low <= b.gold <= b.ci_high for b in buckets)
    finite = [b for b in buckets if (b.ci_low, b.ci_high) != (-1.0, 1.0)]
    covered_finite = sum(b.ci_low <= b.gold <= b.ci_high for b in finite)
    lines.append("")
    lines.append(
        f"95% interval holds the gold score in {covered}/{len(buckets)} pair-weeks "
        f"({covered_finite}/{len(finite)} of those with >= 2 articles, where the interval is not [-1, 1])."
    )
    lines.append("")
    with_base = all("baseline" in v for v in f1.values())
    lines.append(
        f"| gold rows | rows | macro-F1 model ({reading}) | "
        + ("macro-F1 baseline | model - baseline (95% CI) | " if with_base else "")
        + "macro-F1 sentence-level oracle |"
    )
    lines.append("|---|---|---|---|" + ("---|---|" if with_base else ""))
    for name, v in f1.items():
        middle = (
            f" {v['baseline']:.3f} | {v['diff']:+.3f} ({v['diff_low']:+.3f}, {v['diff_high']:+.3f}) |"
            if with_base
            else ""
        )
        lines.append(f"| {name} | {int(v['rows'])} | {v['model']:.3f} |{middle} {v['oracle']:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gold", type=Path, default=GOLD, help="pair-label JSONL (default: %(default)s)")
    parser.add_argument("--model", type=Path, default=FIXTURE_MODEL, help="exported model directory")
    parser.add_argument("--variant", choices=("int8", "fp32"), default="int8")
    parser.add_argument(
        "--sentence-reading",
        action="store_true",
        help="read a pair-aware model once per sentence, unmarked (ablation: what the pair adds)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="another exported model directory (int8) whose MAE and macro-F1 are shown beside",
    )
    parser.add_argument(
        "--quick", action="store_true", help="accepted for bench.run_all; the run is already short"
    )
    args = parser.parse_args(argv)
    from newsmodel.errors import NewsmodelError

    try:
        buckets, f1, predicted = measure(args.gold, args.model, args.variant, args.sentence_reading)
        base_buckets = None
        if args.baseline is not None:
            base_buckets, base_f1, base_predicted = measure(args.gold, args.baseline, "int8")
            for name, v in f1.items():
                v["baseline"] = base_f1[name]["model"]
            add_paired_difference(args.gold, f1, predicted, base_predicted)
        from newsmodel.predictor import LabelMap

        pair_input = LabelMap.read(args.model / "label_map.json").pair_input
    except NewsmodelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"gold: {args.gold.relative_to(ROOT) if args.gold.is_relative_to(ROOT) else args.gold}; model: {args.model}"
        + (f"; baseline: {args.baseline}" if args.baseline else "")
    )
    reading = (
        f"each row read for its pair, {pair_input}"
        if pair_input and not args.sentence_reading
        else "sentence reading per pair"
    )
    print(report(buckets, f1, base_buckets, reading))
    return 0


if __name__ == "__main__":
    sys.exit(main())
