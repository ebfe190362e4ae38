"""CPU latency (batch 1) and throughput (batch 32) of torch fp32 eager, ONNX fp32 and ONNX int8.

Every engine runs the same pre-tokenized batches (sentences grouped by length, as the predictor
does, and padded to the longest in the batch) on the same number of threads, so the figures compare engines, not tokenizers. Each repeat is one pass over
all batches; we report the median over repeats and the spread (min..max).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SpeedResult", "make_batches", "measure_engines", "onnx_runner", "time_runner", "torch_runner"]

Batch = dict[str, np.ndarray]


@dataclass(frozen=True)
class SpeedResult:
    engine: str
    batch_size: int
    sentences: int
    # Per-repeat figures: milliseconds per batch call and sentences per second.
    ms_per_batch_median: float
    ms_per_batch_min: float
    ms_per_batch_max: float
    sentences_per_s_median: float
    sentences_per_s_min: float
    sentences_per_s_max: float
    repeats: int
    threads: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_batches(
    input_ids: Sequence[Sequence[int]], batch_size: int, n_batches: int, pad_id: int
) -> list[Batch]:
    """The first `batch_size * n_batches` sentences (cycled if too few), grouped by length as the
    predictor groups them, each batch padded to its own longest row."""
    if not input_ids:
        raise ValueError("no sentences to benchmark with")
    sample = sorted((input_ids[i % len(input_ids)] for i in range(batch_size * n_batches)), key=len)
    batches: list[Batch] = []
    for start in range(0, len(sample), batch_size):
        rows = sample[start : start + batch_size]
        longest = max(len(r) for r in rows)
        ids = np.full((len(rows), longest), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), longest), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        batches.append({"input_ids": ids, "attention_mask": mask})
    return batches


def torch_runner(model: Any, threads: int) -> Callable[[Batch], Any]:
    import torch

    torch.set_num_threads(threads)
    model = model.to("cpu").eval()

    def run(batch: Batch) -> Any:
        with torch.inference_mode():
            return model(
                input_ids=torch.from_numpy(batch["input_ids"]),
                attention_mask=torch.from_numpy(batch["attention_mask"]),
            ).logits

    return run


def onnx_runner(path: Path, threads: int) -> Callable[[Batch], Any]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}

    def run(batch: Batch) -> Any:
        return session.run(None, {k: v for k, v in batch.items() if k in names})

    return run


def time_runner(
    engine: str, run: Callable[[Batch], Any], batches: list[Batch], repeats: int, warmup: int, threads: int
) -> SpeedResult:
    for batch in batches[: max(warmup, 0)]:
        run(batch)
    per_call_ms: list[float] = []
    rates: list[float] = []
    sentences = sum(len(b["input_ids"]) for b in batches)
    for _ in range(max(repeats, 1)):
        started = time.perf_counter()
        for batch in batches:
            run(batch)
        took = time.perf_counter() - started
        per_call_ms.append(1000.0 * took / len(batches))
        rates.append(sentences / took)
    return SpeedResult(
        engine=engine,
        batch_size=len(batches[0]["input_ids"]),
        sentences=sentences,
        ms_per_batch_median=statistics.median(per_call_ms),
        ms_per_batch_min=min(per_call_ms),
        ms_per_batch_max=max(per_call_ms),
        sentences_per_s_median=statistics.median(rates),
        sentences_per_s_min=min(rates),
        sentences_per_s_max=max(rates),
        repeats=len(rates),
        threads=threads,
    )


def measure_engines(
    engines: dict[str, Callable[[Batch], Any]],
    input_ids: Sequence[Sequence[int]],
    pad_id: int,
    batch_sizes: Sequence[int],
    repeats: int,
    warmup: int,
    threads: int,
    sentences_per_size: int = 64,
) -> list[SpeedResult]:
    """Time each engine at each batch size on the same batches."""
    results: list[SpeedResult] = []
    for size in batch_sizes:
        batches = make_batches(input_ids, size, max(1, sentences_per_size // size), pad_id)
        for name, run in engines.items():
            results.append(time_runner(name, run, batches, repeats, warmup, threads))
    return results
