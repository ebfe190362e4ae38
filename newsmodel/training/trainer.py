"""The fine-tuning loop: the same code on CPU and GPU.

AdamW with linear warmup/decay, gradient clipping, class-weighted loss, mixed precision on CUDA
(bf16 where supported, else fp16 with a grad scaler), early stopping on validation macro-F1,
and the best epoch's weights restored at the end. `on_epoch` streams metrics (MLflow).
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger
from newsmodel.training.data import EncodedSplit, iter_batches

__all__ = ["FitResult", "class_weights", "fit", "predict_logits", "resolve_device", "seed_everything"]

log = get_logger(__name__)
EpochCallback = Callable[[int, dict[str, float]], None]


@dataclass
class FitResult:
    best_epoch: int
    best_val_macro_f1: float
    epochs_run: int
    steps: int
    train_seconds: float
    train_samples_per_second: float
    device: str
    precision: str
    history: list[dict[str, float]] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def resolve_device(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"trainer.device={name} but no CUDA device is visible; use trainer.device=auto")
    return torch.device(name)


def _adamw(groups: list[dict[str, Any]], lr: float) -> Any:
    """AdamW with the fused kernel (one pass over all parameters, CPU and CUDA since torch 2.4),
    as the Hugging Face Trainer uses by default; the per-tensor loop where fused is refused."""
    import torch

    try:
        return torch.optim.AdamW(groups, lr=lr, fused=True)
    except (RuntimeError, ValueError):
        return torch.optim.AdamW(groups, lr=lr)


def _autocast_dtype(device: Any, mode: str) -> Any:
    """None = full fp32. Mixed precision only on CUDA: CPU autocast is slower for these models."""
    import torch

    if mode == "no" or device.type != "cuda":
        return None
    if mode not in ("auto", "bf16", "fp16"):
        raise ConfigError(f"trainer.mixed_precision={mode!r}: use auto, bf16, fp16 or no")
    if mode == "bf16" or (mode == "auto" and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float16


def class_weights(labels: Sequence[int], num_labels: int, mode: str) -> np.ndarray | None:
    """Inverse-frequency weights ("balanced", as scikit-learn defines it) or None."""
    if mode in ("none", None):
        return None
    if mode != "balanced":
        raise ConfigError(f"trainer.class_weights={mode!r}: use balanced or none")
    counts = np.bincount(np.asarray(labels), minlength=num_labels).astype(np.float64)
    counts[counts == 0] = 1.0
    return (len(labels) / (num_labels * counts)).astype(np.float32)  # type: ignore[no-any-return]


def predict_logits(model: Any, split: EncodedSplit, batch_size: int, pad_id: int, device: Any) -> np.ndarray:
    """Logits (n, num_labels) in split order, fp32, eval mode, no grad."""
    import torch

    model.eval()
    out: list[np.ndarray] = []
    with torch.inference_mode():
        for batch in iter_batches(split, batch_size, pad_id):
            logits = model(
                input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)
            ).logits
            out.append(logits.float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels), dtype=np.float32)


def _macro_f1(y_true: Sequence[int], logits: np.ndarray, num_labels: int) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    pred = logits.argmax(axis=1)
    f1 = f1_score(y_true, pred, average="macro", labels=list(range(num_labels)), zero_division=0)
    return float(accuracy_score(y_true, pred)), float(f1)


def fit(
    model: Any,
    train: EncodedSplit,
    validation: EncodedSplit,
    trainer_cfg: Any,
    pad_id: int,
    seed: int,
    on_epoch: EpochCallback | None = None,
) -> FitResult:
    """Train in place; leaves `model` holding the weights of the best validation macro-F1 epoch."""
    import torch
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    if len(train) == 0 or len(validation) == 0:
        raise ConfigError("training needs non-empty train and validation splits")
    if trainer_cfg.num_threads:
        torch.set_num_threads(int(trainer_cfg.num_threads))
    seed_everything(seed)
    device = resolve_device(str(trainer_cfg.device))
    amp_dtype = _autocast_dtype(device, str(trainer_cfg.mixed_precision))
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    model.to(device)
    num_labels = int(model.config.num_labels)
    weights = class_weights(train.labels, num_labels, str(trainer_cfg.class_weights))
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(weights, device=device) if weights is not None else None
    )
    batch_size = int(trainer_cfg.batch_size)
    steps_per_epoch = math.ceil(len(train) / batch_size)
    total_steps = steps_per_epoch * int(trainer_cfg.epochs)
    if trainer_cfg.max_steps:
        total_steps = min(total_steps, int(trainer_cfg.max_steps))
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "NoNorm")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
            "weight_decay": float(trainer_cfg.weight_decay),
        },
        {
            "params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = _adamw(groups, float(trainer_cfg.lr))
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(float(trainer_cfg.warmup_ratio) * total_steps), total_steps
    )

    best_f1, best_epoch, best_state, stale = -1.0, 0, None, 0
    history: list[dict[str, float]] = []
    step, seen, train_time = 0, 0, 0.0
    epoch = 0
    for epoch in range(1, int(trainer_cfg.epochs) + 1):
        model.train()
        started = time.perf_counter()
        running, batches = 0.0, 0
        bar = tqdm(
            iter_batches(train, batch_size, pad_id, shuffle=True, seed=seed + epoch),
            total=steps_per_epoch,
            desc=f"epoch {epoch}",
            disable=not trainer_cfg.progress,
            leave=False,
        )
        for batch in bar:
            if step >= total_steps:
                break
            batch = {k: v.to(device) for k, v in batch.items()}
            context = torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else nullcontext()
            with context:
                logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            loss = loss_fn(logits.float(), batch["labels"])
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), float(trainer_cfg.max_grad_norm))
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1
            seen += len(batch["labels"])
            running += float(loss.detach())
            batches += 1
            bar.set_postfix(loss=f"{running / batches:.4f}")
        train_time += time.perf_counter() - started
        val_logits = predict_logits(model, validation, int(trainer_cfg.eval_batch_size), pad_id, device)
        val_acc, val_f1 = _macro_f1(validation.labels, val_logits, num_labels)
        metrics = {
            "train_loss": running / max(batches, 1),
            "val_accuracy": val_acc,
            "val_macro_f1": val_f1,
            "lr": float(scheduler.get_last_lr()[0]),
            "epoch_seconds": time.perf_counter() - started,
        }
        history.append({"epoch": float(epoch), **metrics})
        log.info("epoch done", epoch=epoch, step=step, **{k: round(v, 4) for k, v in metrics.items()})
        if on_epoch is not None:
            on_epoch(epoch, metrics)
        if val_f1 > best_f1:
            best_f1, best_epoch, stale = val_f1, epoch, 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= int(trainer_cfg.early_stopping_patience):
                log.info("early stopping", epoch=epoch, best_epoch=best_epoch, best_val_macro_f1=best_f1)
                break
        if step >= total_steps:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.to("cpu").eval()
    return FitResult(
        best_epoch=best_epoch,
        best_val_macro_f1=best_f1,
        epochs_run=epoch,
        steps=step,
        train_seconds=train_time,
        train_samples_per_second=seen / train_time if train_time else 0.0,
        device=str(device),
        precision=str(amp_dtype).replace("torch.", "") if amp_dtype else "fp32",
        history=copy.deepcopy(history),
    )
