"""The model card (markdown) logged with every candidate: what it is, how it was measured, limits."""

from __future__ import annotations

from typing import Any

__all__ = ["render_model_card"]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _speed_rows(speed: list[dict[str, Any]]) -> list[str]:
    rows = ["| engine | batch | ms / batch (median, min..max) | sentences/s (median) |", "|---|---|---|---|"]
    for s in speed:
        rows.append(
            f"| {s['engine']} | {s['batch_size']} | {s['ms_per_batch_median']:.2f} "
            f"({s['ms_per_batch_min']:.2f}..{s['ms_per_batch_max']:.2f}) | {s['sentences_per_s_median']:.1f} |"
        )
    return rows


def _quant_rows(quant: dict[str, Any]) -> list[str]:
    rows = [
        "| scheme | validation accuracy | drop (points) | size ratio | meets targets |",
        "|---|---|---|---|---|",
    ]
    for t in quant["trials"]:
        rows.append(
            f"| {t['scheme']} | {_pct(t['accuracy'])} | {t['accuracy_drop_points']:.2f} | {t['size_ratio']:.2f}x | "
            f"{'yes' if t['meets_target'] else 'no'} |"
        )
    return rows


def _slice_rows(slices: dict[str, Any], limit: int = 8) -> list[str]:
    rows = ["| slice | n | accuracy | macro-F1 |", "|---|---|---|---|"]
    for kind in ("length", "country_pair"):
        for key, m in list(slices.get(kind, {}).items())[:limit]:
            rows.append(f"| {kind}: {key} | {m['n']} | {_pct(m['accuracy'])} | {m['macro_f1']:.3f} |")
    return rows


def render_model_card(report: dict[str, Any]) -> str:
    """Markdown from the eval report (the same numbers as the run's metrics)."""
    model, data, test = report["model"], report["data"], report["test"]
    int8, base, quant = report["int8"], report["baselines"], report["quantization"]
    per_class = [
        f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        for label, m in test["per_class"].items()
    ]
    lines = [
        f"# {model['name']} ({model['architecture']}) - {data['scheme']} relation classifier",
        "",
        f"Git commit `{report['git_commit']}`; dataset fingerprint `{data['fingerprint']}`; "
        f"labels in logit order: {', '.join(data['labels'])}.",
        "",
        "## Intended use",
        "",
        "Classify one English news sentence that mentions two countries as conflict / neutral / "
        "cooperation (the label scheme above), as input to the daily country-pair relation index. "
        "Not for single-document decisions about people or events.",
        "",
        "## Data and protocol",
        "",
        f"- Train / validation / test: {data['sizes']['train']} / {data['sizes']['validation']} / "
        f"{data['sizes']['test']} sentences, split by the dataset builder (near copies never straddle splits).",
        f"- Model selection (best epoch {report['training']['best_epoch']}, quantization scheme) on "
        "validation only; the test split was scored once, afterwards.",
        f"- Weights: {model['weights']}; max length {model['max_length']} tokens.",
        "",
        "## Test results",
        "",
        "| model | accuracy | macro-F1 | size |",
        "|---|---|---|---|",
        f"| torch fp32 | {_pct(test['accuracy'])} | {test['macro_f1']:.3f} | {report['sizes']['fp32_mb']:.1f} MB |",
        f"| ONNX int8 ({quant['chosen']['scheme']}) | {_pct(int8['accuracy'])} | {int8['macro_f1']:.3f} | "
        f"{report['sizes']['int8_mb']:.1f} MB |",
        f"| TF-IDF + logistic regression | {_pct(base['tfidf_logreg']['accuracy'])} | "
        f"{base['tfidf_logreg']['macro_f1']:.3f} | - |",
        f"| majority class ({base['majority']['predicts']}) | {_pct(base['majority']['accuracy'])} | "
        f"{base['majority']['macro_f1']:.3f} | - |",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *per_class,
        "",
        f"ONNX fp32 vs torch: max |logit difference| {report['parity_max_abs_diff']:.2e}. int8 agrees with "
        f"fp32 on {_pct(int8['agreement_with_fp32'])} of test sentences; size ratio "
        f"{report['sizes']['ratio']:.2f}x.",
        "",
        f"int8 scheme `{quant['chosen']['scheme']}` won on validation (targets: within 1.0 point of fp32 and "
        ">= 3.5x smaller; among schemes meeting both, the closest to fp32 by KL divergence):",
        "",
        *_quant_rows(quant),
        "",
        "## Slices (test, torch fp32)",
        "",
        *_slice_rows(report["slices"]),
        "",
        "## Behaviour",
        "",
        f"Country swap (one country replaced by another of the same role): {report['behaviour']['flips']} of "
        f"{report['behaviour']['n']} test sentences changed label ({_pct(report['behaviour']['flip_rate'])}).",
        "",
        "## Speed on the training machine (model only, pre-tokenized)",
        "",
        *_speed_rows(report["speed"]),
        "",
        "## Limitations",
        "",
        "- Trained on ConfliBERT CAMEO sentences (English, political events); news in other registers or "
        "languages is out of distribution.",
        "- A sentence can relate several pairs; the label is per sentence, not per pair.",
        "",
    ]
    return "\n".join(lines)
