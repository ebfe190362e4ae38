"""Length groups: how much padding a micro-batch may carry before it is split (MAX_PADDING_WASTE).

A server's micro-batch holds sentences in arrival order, of mixed lengths; OnnxPredictor sorts
them by token length and splits them into groups, each padded to its longest sentence, a group
growing only while its padding stays within a share of its real tokens. Padding costs ONNX
what a real token costs, and a further group costs one more session run, so the threshold
trades the two. This runs the same sentences, in arrival order, as micro-batches of 8, 16 and 32
(what a server holds at 8-32 concurrent one-sentence clients) under the earlier threshold
(0.25, the baseline), today's default and no padding at all (0: only equal lengths share a
run), plus each turn of 96 sorted at once (towards the bare predictor's ceiling in bench/serve.py).
Settings take turns on each chunk of 96 sentences, so a machine that speeds up or slows down
during the run affects them all alike. One ONNX thread (a server's inference thread on its core).

    python bench/padding.py            # MiniLM int8 (real weights, random head), 2,000 sentences
    python bench/padding.py --quick    # tiny model, 288 sentences (smoke only)
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsmodel.predictor import OnnxPredictor

BASELINE = 0.25  # the threshold before 2026-12-04
CHUNK = 96  # sentences per turn; a multiple of every batch size below
BATCHES = (8, 16, 32)


def _serve_module() -> ModuleType:
    """bench/serve.py's model builder and sentence loader (one copy of that code)."""
    spec = importlib.util.spec_from_file_location("bench_serve", Path(__file__).with_name("serve.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def padding_share(predictor: OnnxPredictor, texts: list[str], batch: int, waste: float) -> float:
    """Padded tokens over real tokens when `texts` run as micro-batches of `batch`."""
    real = padded = 0
    for start in range(0, len(texts), batch):
        lengths = [len(e.ids) for e in predictor._encode(texts[start : start + batch])]
        for group in predictor._groups(lengths, 32, waste):
            width = max(lengths[i] for i in group)
            real += sum(lengths[i] for i in group)
            padded += width * len(group)
    return padded / real - 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny model, 288 sentences (smoke only)")
    parser.add_argument("--sentences", type=int, help="how many sentences (default 2000; --quick 288)")
    args = parser.parse_args()
    serve = _serve_module()
    from newsmodel.predictor import MAX_PADDING_WASTE, OnnxPredictor

    kind = "tiny" if args.quick else "minilm"
    n = args.sentences or (288 if args.quick else 2000)
    texts = serve.load_sentences(n)
    texts = texts[: len(texts) // CHUNK * CHUNK] or texts
    thresholds = [BASELINE, MAX_PADDING_WASTE, 0.0]
    with tempfile.TemporaryDirectory(prefix="bench-padding-") as tmp:
        model_dir = serve.build_model_dir(Path(tmp) / "model", kind)
        predictor = OnnxPredictor.from_dir(model_dir, intra_op_threads=1, inter_op_threads=1)
        predictor.warm_up()
        seconds: dict[tuple[float, int | str], float] = defaultdict(float)
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            for waste in thresholds:
                predictor.padding_waste = waste
                for batch in BATCHES:
                    t0 = time.perf_counter()
                    for i in range(0, len(chunk), batch):
                        predictor.predict(chunk[i : i + batch], batch_size=32)
                    seconds[(waste, batch)] += time.perf_counter() - t0
            predictor.padding_waste = BASELINE
            t0 = time.perf_counter()
            predictor.predict(chunk, batch_size=32)
            seconds[(BASELINE, "sorted")] += time.perf_counter() - t0
        shares = {(w, b): padding_share(predictor, texts, b, w) for w in thresholds for b in BATCHES}

    rate = {key: len(texts) / s for key, s in seconds.items()}
    print(
        f"### Padding per micro-batch: threshold {BASELINE} (before) vs {MAX_PADDING_WASTE} (default) vs 0\n"
    )
    print(
        f"Model: {kind} int8, 1 ONNX thread; {len(texts)} ConfliBERT sentences in arrival order, settings "
        f"taking turns every {CHUNK} sentences. Sentences/s (padding added, as a share of the real "
        f"tokens); each 96-sentence turn in one sorted pass at batch 32 (no micro-batches): "
        f"{rate[(BASELINE, 'sorted')]:.1f}/s.\n"
    )
    print("| padding threshold | " + " | ".join(f"micro-batch {b}" for b in BATCHES) + " |")
    print("|---|" + "---:|" * len(BATCHES))
    for waste in thresholds:
        label = f"{waste:g}" + (
            " (before)" if waste == BASELINE else " (default)" if waste == MAX_PADDING_WASTE else ""
        )
        cells = []
        for b in BATCHES:
            ratio = rate[(waste, b)] / rate[(BASELINE, b)]
            cells.append(f"{rate[(waste, b)]:.1f} ({shares[(waste, b)]:.0%} padding; {ratio:.2f}x)")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
