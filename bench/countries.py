"""Country detection: speed and gold-set quality of this tree's detector beside an older commit's.

Both sides read the same sentences (the hand-written gold set of tests/newsmodel/data/country_gold
plus the detector's tricky table) on one core. The baseline is the `newsmodel` package of a git
ref (default: 5bab672, the detector before issue #18), exported with `git archive` to a temporary
folder and run in its own interpreter, so nothing of this tree leaks into it. The two sides
alternate, repeat after repeat, each timed in process CPU time after one warm-up pass (compiled
patterns and per-word caches, as in any long run), and the table shows medians with the spread
(min-max), so a neighbour's load on the machine falls on both. Gold figures: pair recall and precision, and for
this tree the direction of each pair (source -> target) from the dependency parse.

    python bench/countries.py            # 5 repeats x 10 passes over ~600 sentences a side
    python bench/countries.py --quick    # 2 repeats x 2 passes (< 1 min)
    python bench/countries.py --per-file # this tree's gold figures, file by file (no timing)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "newsmodel" / "data" / "country_gold"
BASELINE_REF = "5bab672"

# Runs inside each interpreter: the `newsmodel` on sys.path[0] is the side being measured.
_MEASURE = r"""
import json, sys, time, inspect
sys.path.insert(0, sys.argv[1])
from newsmodel.countries import get_detector
payload = json.loads(sys.stdin.read())
det = get_detector()
dated = "date" in inspect.signature(det.detect).parameters
sentences = payload["sentences"]
for text in sentences:  # one warm-up pass: compiled patterns, per-word caches (as in a long run)
    det.detect(text)
start = time.process_time()  # CPU time of this process: a neighbour's load does not count
for _ in range(payload["passes"]):
    for text in sentences:
        det.detect(text)
took = time.process_time() - start
pairs = []
for text, date in zip(sentences, payload["dates"]):
    kw = {"date": __import__("datetime").date.fromisoformat(date)} if (dated and date) else {}
    pairs.append(det.pairs(det.detect(text, **kw)))
print(json.dumps({"rate": len(sentences) * payload["passes"] / took, "pairs": pairs}))
"""


def _sentences() -> tuple[list[str], list[str | None], list[object]]:
    sys.path.insert(0, str(ROOT))
    from newsmodel.countries.gold import load_gold
    from tests.newsmodel.country_table import TRICKY_SENTENCES

    gold = load_gold(GOLD)
    texts = [g.text for g in gold] + [s for s, _, _ in TRICKY_SENTENCES]
    dates = [g.date.isoformat() if g.date else None for g in gold] + [None] * len(TRICKY_SENTENCES)
    return texts, dates, list(gold)


def _export(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "newsmodel"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _run(path: Path, texts: list[str], dates: list[str | None], passes: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(path), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        input=json.dumps({"sentences": texts, "dates": dates, "passes": passes}),
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _gold_figures(pairs: list[list[list[str]]], gold: list) -> tuple[float, float]:
    from newsmodel.countries.gold import score_gold

    by_text = {g.text: [(a, b, None) for a, b in p] for g, p in zip(gold, pairs, strict=False)}
    score = score_gold(lambda text, _date: by_text[text], gold)
    return score.recall, score.precision


def _direction(gold: list) -> tuple[str, float]:
    from newsmodel.countries import get_detector
    from newsmodel.countries.direction import get_direction_reader
    from newsmodel.countries.gold import score_gold

    det, reader = get_detector(), get_direction_reader()
    reader.read("Russia invaded Ukraine.", det.detect("Russia invaded Ukraine."))  # load the parser
    start = time.perf_counter()
    score = score_gold(
        lambda text, date: [(p.a, p.b, p.source) for p in reader.read(text, det.detect(text, date=date))],
        gold,
    )
    rate = len(gold) / (time.perf_counter() - start)
    return score.summary(), rate


def per_file() -> None:
    """Pair recall / precision and direction of this tree, one row per gold file and all files."""
    sys.path.insert(0, str(ROOT))
    from newsmodel.countries import get_detector
    from newsmodel.countries.direction import get_direction_reader
    from newsmodel.countries.gold import load_gold, score_gold

    det, reader = get_detector(), get_direction_reader()
    gold = load_gold(GOLD)

    def predict(text: str, date: object) -> list[tuple[str, str, str | None]]:
        return [(p.a, p.b, p.source) for p in reader.read(text, det.detect(text, date=date))]  # type: ignore[arg-type]

    names = sorted({g.source.split(":")[0] for g in gold})
    print("| gold file | sentences | pairs | recall | precision | directed | undirected |")
    print("|---|---|---|---|---|---|---|")
    for name in [*names, "all"]:
        rows = [g for g in gold if name == "all" or g.source.startswith(f"{name}:")]
        s = score_gold(predict, rows)
        print(
            f"| {name} | {s.sentences} | {s.gold_pairs} | {s.recall:.3f} | {s.precision:.3f} | "
            f"{s.directed_accuracy:.3f} ({s.directed_right}/{s.directed_gold}) | "
            f"{s.undirected_accuracy:.3f} ({s.undirected_right}/{s.undirected_gold}) |"
        )


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 repeats x 2 passes")
    parser.add_argument("--baseline", default=BASELINE_REF, help="git ref of the baseline detector")
    parser.add_argument("--per-file", action="store_true", help="this tree's gold figures per file")
    args = parser.parse_args()
    if args.per_file:
        per_file()
        return
    repeats, passes = (2, 2) if args.quick else (5, 10)
    texts, dates, gold = _sentences()
    rates: dict[str, list[float]] = {"baseline": [], "this tree": []}
    last: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"baseline": _export(args.baseline, Path(tmp)), "this tree": ROOT}
        for _ in range(repeats):
            for side, path in sides.items():
                last[side] = _run(path, texts, dates, passes)
                rates[side].append(last[side]["rate"])
    n = len(gold)
    old_r, old_p = _gold_figures(last["baseline"]["pairs"][:n], gold)
    new_r, new_p = _gold_figures(last["this tree"]["pairs"][:n], gold)
    summary, direction_rate = _direction(gold)
    ratio = statistics.median(rates["this tree"]) / statistics.median(rates["baseline"])
    print(
        f"Country detection on {len(texts)} sentences, one core, {repeats} repeats x {passes} passes "
        f"(sentences/s, median and min-max); gold set: {n} hand-written sentences.\n"
    )
    print("| detector | sentences/s | gold pair recall | gold pair precision |")
    print("|---|---|---|---|")
    print(
        f"| baseline `{args.baseline}` (trie regex, no dates) | {_fmt(rates['baseline'])} | {old_r:.3f} | {old_p:.3f} |"
    )
    print(
        f"| this tree (+ leaders by date, fuzzy, guards) | {_fmt(rates['this tree'])} | {new_r:.3f} | {new_p:.3f} |"
    )
    print(f"\nspeed ratio this tree / baseline: {ratio:.2f}x")
    print(
        f"\ndirection (spaCy parse, pair sentences, {direction_rate:,.0f} sentences/s with detection): {summary}"
    )


if __name__ == "__main__":
    main()
