"""Training throughput: our trainer (newsmodel.training.trainer.fit, on Accelerate) in one
process and in two DDP processes (torchrun, gloo) vs a plain Hugging Face `Trainer` loop, same
model, same data, same global batch size, fp32 on CPU. "1 process" uses --threads threads; "2
processes" use --threads threads each, so compare it with "1 process, 2x threads" (same cores).

Both pad each batch to its longest sentence (our iterator; HF's DataCollatorWithPadding) and
run one epoch over the same train sentences; we time the training steps only (our figure
excludes the per-epoch validation pass, HF runs with evaluation off). Medians over repeats,
spread min-max, samples/s.

    python bench/train.py            # minilm (offline weights), 512 sentences, 3 repeats
    python bench/train.py --quick    # tiny-bert, 320 sentences, 1 repeat (< 2 min)
    python bench/train.py --no-ddp   # without the torchrun rows
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conflibert-cameo"
LABELS = ("conflict", "neutral", "cooperation")


def _setup(model_name: str, n: int, max_length: int) -> tuple[Any, Any, Any, Any]:
    from newsmodel.datasets import load_conflibert
    from newsmodel.training.config import compose_config
    from newsmodel.training.data import encode
    from newsmodel.training.models import build_tokenizer

    cfg = compose_config([f"model={model_name}", f"model.max_length={max_length}", "trainer.progress=false"])
    examples = load_conflibert(DATA)[:n]
    tokenizer = build_tokenizer(cfg.model, [e.text for e in examples])
    return cfg, tokenizer, encode(examples, tokenizer, LABELS, max_length), examples


def ours(cfg: Any, tokenizer: Any, enc: Any, batch_size: int, threads: int) -> float:
    from newsmodel.training.models import build_classifier
    from newsmodel.training.trainer import fit

    cfg.trainer.update(
        {
            "epochs": 1,
            "batch_size": batch_size,
            "num_threads": threads,
            "max_steps": None,
            "class_weights": "none",
            "device": "cpu",
        }
    )
    model = build_classifier(cfg.model, LABELS, len(tokenizer))
    # A one-sentence validation split: fit() needs one, and it is excluded from the timing.
    tiny_val = type(enc)(enc.input_ids[:1], enc.labels[:1])
    return fit(model, enc, tiny_val, cfg.trainer, tokenizer.pad_token_id, 13).train_samples_per_second


def ours_ddp(model_name: str, n: int, max_length: int, batch_size: int, threads: int) -> float:
    """Global samples/s of two torchrun processes running `fit` (rank 0 prints it)."""
    import json
    import os
    import subprocess

    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
            str(Path(__file__).resolve()), "--rank-worker", model_name, str(n), str(max_length),
            str(batch_size), str(threads)]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "BENCH_TRAIN_OUT": tmp}
        subprocess.run(args, env=env, check=True, capture_output=True, text=True)
        return float(json.loads((Path(tmp) / "rank0.json").read_text())["samples_per_s"])


def _rank_worker(model_name: str, n: int, max_length: int, batch_size: int, threads: int) -> None:
    """One torchrun rank: the same setup and `fit` as `ours`; rank 0 writes the figure."""
    import json
    import os

    # (--quick: each rank trains its own tiny WordPiece; ids differ, shapes and cost do not.)
    cfg, tokenizer, enc, _ = _setup(model_name, n, max_length)
    rate = ours(cfg, tokenizer, enc, batch_size, threads)
    if os.environ.get("RANK") == "0":
        (Path(os.environ["BENCH_TRAIN_OUT"]) / "rank0.json").write_text(json.dumps({"samples_per_s": rate}))


def hugging_face(cfg: Any, tokenizer: Any, enc: Any, batch_size: int, threads: int) -> float:
    import torch
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from newsmodel.training.models import build_classifier

    torch.set_num_threads(threads)
    model = build_classifier(cfg.model, LABELS, len(tokenizer))
    rows = [
        {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": label}
        for ids, label in zip(enc.input_ids, enc.labels, strict=True)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=batch_size,
            num_train_epochs=1,
            learning_rate=float(cfg.trainer.lr),
            warmup_steps=max(1, len(rows) // batch_size // 10),
            weight_decay=0.01,
            max_grad_norm=1.0,
            eval_strategy="no",
            save_strategy="no",
            logging_strategy="no",
            report_to=[],
            use_cpu=True,
            dataloader_num_workers=0,
            disable_tqdm=True,
            seed=13,
        )
        trainer = Trainer(
            model=model, args=args, train_dataset=rows, data_collator=DataCollatorWithPadding(tokenizer)
        )
        started = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # Trainer prints its own metrics dict
            trainer.train()
        return len(rows) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny-bert, 320 sentences, 1 repeat (< 2 min)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-ddp", action="store_true", help="skip the two-process (torchrun) rows")
    parser.add_argument("--rank-worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import os
    import warnings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    from newsmodel.logging import configure_logging

    configure_logging("WARNING")
    if args.rank_worker:
        name, n_, length, batch, threads = args.rank_worker
        _rank_worker(name, int(n_), int(length), int(batch), int(threads))
        return 0
    model_name, n, repeats = ("tiny-bert", 320, 1) if args.quick else ("minilm", 512, 3)
    batch_size, max_length = 16, 64
    cfg, tokenizer, enc, _ = _setup(model_name, n, max_length)
    t = args.threads
    figures: dict[str, list[float]] = {f"newsmodel trainer, 1 process x {t} thread(s)": [], "HF Trainer": []}
    if not args.no_ddp:
        figures[f"newsmodel trainer, 1 process x {2 * t} threads"] = []
        figures[f"newsmodel trainer, 2 DDP processes (gloo) x {t} thread(s)"] = []
    for _ in range(repeats):  # interleaved, so drift in machine load hits all alike
        figures[f"newsmodel trainer, 1 process x {t} thread(s)"].append(
            ours(cfg.copy(), tokenizer, enc, batch_size, t)
        )
        figures["HF Trainer"].append(hugging_face(cfg, tokenizer, enc, batch_size, t))
        if not args.no_ddp:
            figures[f"newsmodel trainer, 1 process x {2 * t} threads"].append(
                ours(cfg.copy(), tokenizer, enc, batch_size, 2 * t)
            )
            figures[f"newsmodel trainer, 2 DDP processes (gloo) x {t} thread(s)"].append(
                ours_ddp(model_name, n, max_length, batch_size, t)
            )
    base = statistics.median(figures["HF Trainer"])
    print("### Training throughput: our trainer (1 and 2 processes) vs a plain Hugging Face Trainer loop\n")
    print(
        f"{model_name}, {n} ConfliBERT sentences (max {max_length} tokens, dynamic padding), global batch {batch_size}, "
        f"fp32 on CPU, HF Trainer on {t} thread(s), one epoch, {repeats} repeats interleaved.\n"
    )
    print("| trainer | samples/s median | min-max | vs HF Trainer |")
    print("|---|---|---|---|")
    for name, values in figures.items():
        med = statistics.median(values)
        print(f"| {name} | {med:.1f} | {min(values):.1f}-{max(values):.1f} | {med / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
