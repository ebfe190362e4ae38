"""Stage `train`: fit on the run's train split (early stopping on validation) and log the torch
checkpoint (`checkpoint/`: weights + tokenizer) that every later stage starts from.

Resumable inside the stage too: the loop checkpoints under `<run folder>/checkpoints/`, and a
killed run started again on the same folder continues mid-epoch (see training.trainer.fit).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from newsmodel.datasets.types import DatasetSplits
from newsmodel.stages.context import RunContext

__all__ = ["CHECKPOINT_DIR", "RESUME_DIR", "SELECTION_LOGITS", "fit_only", "run"]

CHECKPOINT_DIR = "checkpoint"
RESUME_DIR = "checkpoints"
# trainer.refit: the validation logits of the model chosen before the refit (the served model
# trained on validation); the quantize stage calibrates on them.
SELECTION_LOGITS = "selection_validation_logits.npy"


def fit_only(cfg: Any, splits: DatasetSplits, out: Path) -> None:
    """A non-zero rank of a distributed run: take part in the loop, log nothing."""
    from newsmodel.training.candidate import fit_candidate

    fit_candidate(cfg, splits, None, out / RESUME_DIR)


def run(ctx: RunContext) -> dict[str, float]:
    from newsmodel.evaluation.metrics import classification_metrics
    from newsmodel.training.candidate import fit_candidate
    from newsmodel.training.models import pretrained_source
    from newsmodel.training.trainer import predict_logits

    splits = ctx.splits()
    fc = fit_candidate(ctx.cfg, splits, lambda e, m: ctx.log_metrics(m, step=e), ctx.out / RESUME_DIR)
    target = ctx.out / CHECKPOINT_DIR
    shutil.rmtree(target, ignore_errors=True)
    fc.model.save_pretrained(str(target))
    fc.tokenizer.save_pretrained(str(target))
    ctx.log_path(target, CHECKPOINT_DIR)
    if fc.selection_logits is not None:  # refit: the served model trained on validation
        import numpy as np

        np.save(ctx.out / SELECTION_LOGITS, fc.selection_logits)
        ctx.log_path(ctx.out / SELECTION_LOGITS)
        val_logits = fc.selection_logits
    else:
        val_logits = predict_logits(
            fc.model, fc.encoded["validation"], int(ctx.cfg.trainer.eval_batch_size), fc.pad_id, "cpu"
        )
    pred = val_logits.argmax(axis=1)
    validation = classification_metrics(fc.encoded["validation"].labels, pred, fc.labels)
    parameters = int(sum(p.numel() for p in fc.model.parameters()))
    ctx.update_report(
        {
            "model": {
                "name": str(ctx.cfg.model.name),
                "architecture": str(ctx.cfg.model.architecture),
                "weights": pretrained_source(ctx.cfg.model) or "random init (pretrained=false)",
                "max_length": int(ctx.cfg.model.max_length),
                "parameters": parameters,
            },
            "data": {
                "scheme": f"{splits.scheme}@{_scheme_version(splits.scheme)}",
                "labels": list(fc.labels),
                "fingerprint": splits.fingerprint,
                "params": {k: str(v) for k, v in splits.params.items()},
                "sizes": {n: len(getattr(splits, n)) for n in ("train", "validation", "test")},
                "benchmark": splits.benchmark.ref if splits.benchmark else None,
                # the pair encoding (newsmodel.text.pair_input) the model reads; None: sentence-level
                "pair_input": ctx.cfg.data.get("pair_input") or None,
            },
            "training": {**fc.fit.__dict__},
            # with a refit: the reading of the model chosen on validation, before it was refit
            "validation": validation,
        }
    )
    shutil.rmtree(ctx.out / RESUME_DIR, ignore_errors=True)
    return {
        "best_val_accuracy": validation["accuracy"],
        "best_val_macro_f1": validation["macro_f1"],
        "train_seconds": fc.fit.train_seconds,
        "train_samples_per_s": fc.fit.train_samples_per_second,
        "best_epoch": float(fc.fit.best_epoch),
        "parameters": float(parameters),
        "train_processes": float(fc.fit.processes),
        **({"refit_train_sentences": float(fc.fit.refit_train_size)} if fc.fit.refit_train_size else {}),
        **(
            {"teacher_val_macro_f1": fc.fit.teacher_val_macro_f1}
            if fc.fit.teacher_val_macro_f1 is not None
            else {}
        ),
    }


def _scheme_version(name: str) -> int:
    from newsmodel.labels import get_scheme

    return get_scheme(name).version


def load_checkpoint(ctx: RunContext) -> tuple[Any, Any]:
    """The trained torch model (eval mode, CPU) and its tokenizer, from the run."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = ctx.fetch(CHECKPOINT_DIR)
    model = AutoModelForSequenceClassification.from_pretrained(str(path)).eval()
    return model, AutoTokenizer.from_pretrained(str(path))
