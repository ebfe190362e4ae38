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

    python bench/index_gold.py                                 # the committed fixture model
    python bench/index_gold.py --model DIR --variant fp32      # another exported model version
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


def measure(
    gold_path: Path, model_dir: Path, variant: str
) -> tuple[list[Bucket], dict[str, dict[str, float]]]:
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
    probs = predictor.predict_proba([t for _, t in texts]).astype(np.float64)

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
        p = probs[[sentence_index[m.sentence_id] for m in members]]
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

    predicted = [scheme.labels[int(probs[sentence_index[r.sentence_id]].argmax())] for r in rows]
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
    return buckets, f1


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


def report(buckets: Sequence[Bucket], f1: dict[str, dict[str, float]]) -> str:
    loo = _loo_pair_mean(buckets)

    def errors(bs: Sequence[Bucket]) -> tuple[float, float, float, float]:
        return (
            statistics.fmean(abs(b.model - b.gold) for b in bs),
            statistics.fmean(abs(b.gold) for b in bs),
            statistics.fmean(abs(loo[(b.pair, b.week)] - b.gold) for b in bs),
            statistics.fmean(abs(b.oracle - b.gold) for b in bs),
        )

    head = (
        "| pair | weeks | sentences | MAE index (model) | MAE neutral prior | MAE pair mean (other weeks) "
        "| MAE sentence-level oracle |\n|---|---|---|---|---|---|---|"
    )
    lines = [head]
    by_pair: dict[str, list[Bucket]] = defaultdict(list)
    for b in buckets:
        by_pair[b.pair].append(b)
    for pair in sorted(by_pair, key=lambda p: -sum(b.n for b in by_pair[p])):
        bs = by_pair[pair]
        m, z, pm, o = errors(bs)
        lines.append(
            f"| {pair} | {len(bs)} | {sum(b.n for b in bs)} | {m:.3f} | {z:.3f} | {pm:.3f} | {o:.3f} |"
        )
    for name, bs in (
        ("all pair-weeks", list(buckets)),
        (f"pair-weeks with >= {MIN_SENTENCES} sentences", [b for b in buckets if b.n >= MIN_SENTENCES]),
    ):
        m, z, pm, o = errors(bs)
        lines.append(
            f"| **{name}** | {len(bs)} | {sum(b.n for b in bs)} | **{m:.3f}** | {z:.3f} | {pm:.3f} | {o:.3f} |"
        )
    covered = sum(b.ci_low <= b.gold <= b.ci_high for b in buckets)
    finite = [b for b in buckets if (b.ci_low, b.ci_high) != (-1.0, 1.0)]
    covered_finite = sum(b.ci_low <= b.gold <= b.ci_high for b in finite)
    lines.append("")
    lines.append(
        f"95% interval holds the gold score in {covered}/{len(buckets)} pair-weeks "
        f"({covered_finite}/{len(finite)} of those with >= 2 articles, where the interval is not [-1, 1])."
    )
    lines.append("")
    lines.append(
        "| gold rows | rows | macro-F1 model (sentence reading per pair) | macro-F1 sentence-level oracle |"
    )
    lines.append("|---|---|---|---|")
    for name, v in f1.items():
        lines.append(f"| {name} | {int(v['rows'])} | {v['model']:.3f} | {v['oracle']:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gold", type=Path, default=GOLD, help="pair-label JSONL (default: %(default)s)")
    parser.add_argument("--model", type=Path, default=FIXTURE_MODEL, help="exported model directory")
    parser.add_argument("--variant", choices=("int8", "fp32"), default="int8")
    parser.add_argument(
        "--quick", action="store_true", help="accepted for bench.run_all; the run is already short"
    )
    args = parser.parse_args(argv)
    from newsmodel.errors import NewsmodelError

    try:
        buckets, f1 = measure(args.gold, args.model, args.variant)
    except NewsmodelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"gold: {args.gold.relative_to(ROOT) if args.gold.is_relative_to(ROOT) else args.gold}; model: {args.model}"
    )
    print(report(buckets, f1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
