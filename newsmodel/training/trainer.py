"""The fine-tuning loop on Hugging Face Accelerate: one process, or DDP across processes.

Accelerate owns what we used to write by hand: the device, DDP (gloo on CPU, NCCL on GPU),
mixed precision (bf16/fp16 autocast and the fp16 grad scaler), gradient clipping across
processes, and saving/restoring model, optimizer, scheduler and every process's RNG state.
What stays ours: the batch order (seeded per epoch, padded to the longest sentence), the loss
(class weights, label smoothing, R-Drop, distillation from teachers' soft labels), layer-wise
LR decay, gradient accumulation, early stopping on validation macro-F1, top-k checkpoint
averaging and the mid-epoch resume bookkeeping.

Every global batch is the same as in a single process: each of N processes takes every N-th
sentence of it, DDP averages the gradients. Validation runs on the full split in every process
(no gather; about 5% of an epoch's compute), so all ranks take the same early-stopping decision.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from newsmodel.errors import ConfigError
from newsmodel.logging import get_logger
from newsmodel.training.data import EncodedSplit, iter_batches
from newsmodel.training.distill import distill_settings
from newsmodel.training.objectives import classification_loss, layerwise_param_groups

__all__ = [
    "FitResult",
    "class_weights",
    "fit",
    "is_main_process",
    "predict_logits",
    "resolve_device",
    "seed_everything",
]

log = get_logger(__name__)
EpochCallback = Callable[[int, dict[str, float]], None]
LOOP_FILE = "loop.json"
SNAPSHOTS_FILE = "snapshots.pt"


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
    processes: int = 1
    averaged_epochs: list[int] = field(default_factory=list)
    resumed_from_step: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    # trainer.refit: the epochs kept when trained again on train + validation, and on how many.
    refit_epochs: list[int] = field(default_factory=list)
    refit_train_size: int = 0
    refit_seconds: float = 0.0
    # trainer.distill: how many teachers, and their averaged soft labels' validation macro-F1.
    teachers: int = 0
    teacher_val_macro_f1: float | None = None


@dataclass
class _Loop:
    """Where the loop stands; written beside every checkpoint so a killed run resumes mid-epoch."""

    epoch: int = 1
    batches_done: int = 0
    step: int = 0
    seen: int = 0
    train_seconds: float = 0.0
    running_loss: float = 0.0
    best_f1: float = -1.0
    best_epoch: int = 0
    stale: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    # Validation macro-F1 of the epochs whose weights are kept for averaging.
    kept: dict[str, float] = field(default_factory=dict)


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


def is_main_process() -> bool:
    """True outside a launcher and on rank 0 inside one (torchrun sets RANK)."""
    import os

    return int(os.environ.get("RANK", "0")) == 0


def mixed_precision_mode(device: Any, mode: str) -> str:
    """Accelerate's mixed_precision for trainer.mixed_precision: CPU always "no" (slower there)."""
    import torch

    if mode not in ("auto", "bf16", "fp16", "no"):
        raise ConfigError(f"trainer.mixed_precision={mode!r}: use auto, bf16, fp16 or no")
    if mode == "no" or device.type != "cuda":
        return "no"
    if mode == "auto":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return mode


def ddp_backend(device: Any, backend: str) -> str:
    """gloo on CPU, NCCL on CUDA (auto); NCCL without CUDA is a config error, not a hang."""
    if backend == "auto":
        return "nccl" if device.type == "cuda" else "gloo"
    if backend not in ("gloo", "nccl"):
        raise ConfigError(f"trainer.ddp_backend={backend!r}: use auto, gloo or nccl")
    if backend == "nccl" and device.type != "cuda":
        raise ConfigError("trainer.ddp_backend=nccl needs CUDA devices; use gloo (or auto) on CPU")
    return backend


def build_accelerator(trainer_cfg: Any) -> Any:
    """The Accelerator for this config (its process group comes from torchrun's env, if any)."""
    import os

    from accelerate import Accelerator
    from accelerate.utils import InitProcessGroupKwargs

    device = resolve_device(str(trainer_cfg.device))
    backend = ddp_backend(device, str(trainer_cfg.get("ddp_backend", "auto")))
    # A backend handed to Accelerate outside a launcher would make it look for a process group.
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return Accelerator(
        cpu=device.type == "cpu",
        mixed_precision=mixed_precision_mode(device, str(trainer_cfg.mixed_precision)),
        kwargs_handlers=[InitProcessGroupKwargs(backend=backend)] if launched else None,
    )


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


def _adamw(groups: list[dict[str, Any]], lr: float) -> Any:
    """AdamW with the fused kernel (as the HF Trainer's default); the per-tensor loop where refused."""
    import torch

    try:
        return torch.optim.AdamW(groups, lr=lr, fused=True)
    except (RuntimeError, ValueError):
        return torch.optim.AdamW(groups, lr=lr)


def _shard(indices: list[int], rank: int, world: int) -> list[int]:
    """This process's part of a global batch; a batch smaller than `world` is repeated to fill."""
    if world == 1:
        return indices
    filled = (indices * world)[: max(len(indices), world)]
    return filled[rank::world]


def _epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    order = list(range(n))
    random.Random(seed + epoch).shuffle(order)
    return order


def _collate(split: EncodedSplit, idx: list[int], pad_id: int) -> dict[str, Any]:
    soft = split.soft_labels[idx] if split.soft_labels is not None else None
    sub = EncodedSplit([split.input_ids[i] for i in idx], [split.labels[i] for i in idx], soft)
    return next(iter_batches(sub, len(idx), pad_id))


def _latest_checkpoint(root: Path | None) -> Path | None:
    if root is None or not root.is_dir():
        return None
    done = [p for p in root.glob("step-*") if (p / LOOP_FILE).is_file()]
    return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)


def fit(
    model: Any,
    train: EncodedSplit,
    validation: EncodedSplit,
    trainer_cfg: Any,
    pad_id: int,
    seed: int,
    on_epoch: EpochCallback | None = None,
    checkpoint_dir: Path | None = None,
    fixed_epochs: Sequence[int] | None = None,
) -> FitResult:
    """Train in place; leaves `model` holding the best validation epoch (or the average of the
    `average_top_k` best). With `checkpoint_dir`, saves every `checkpoint_every_steps` optimizer
    steps and at each epoch end, and resumes from the newest complete checkpoint found there.

    With `fixed_epochs` (a refit, `trainer.refit`: the epochs an earlier fit chose on validation)
    nothing is chosen here: no validation pass, no early stopping; the loop runs to the last of
    those epochs on the trainer.epochs LR schedule and keeps exactly their weights (averaged)."""
    import torch
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    fixed = sorted({int(e) for e in fixed_epochs}) if fixed_epochs else []
    if len(train) == 0 or (len(validation) == 0 and not fixed):
        raise ConfigError("training needs non-empty train and validation splits")
    seed_everything(seed)
    accelerator = build_accelerator(trainer_cfg)
    if trainer_cfg.num_threads:  # after Accelerate, which sets its own count for CPU DDP
        torch.set_num_threads(int(trainer_cfg.num_threads))
    world, rank = accelerator.num_processes, accelerator.process_index
    num_labels = int(model.config.num_labels)
    weights = class_weights(train.labels, num_labels, str(trainer_cfg.class_weights))
    weight_t = torch.tensor(weights, device=accelerator.device) if weights is not None else None
    batch_size = int(trainer_cfg.batch_size)
    accum = int(trainer_cfg.get("gradient_accumulation_steps", 1) or 1)
    if batch_size < world:
        raise ConfigError(f"trainer.batch_size={batch_size} is smaller than the {world} processes")
    batches_per_epoch = math.ceil(len(train) / batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / accum)
    total_steps = steps_per_epoch * int(trainer_cfg.epochs)
    if trainer_cfg.max_steps:
        total_steps = min(total_steps, int(trainer_cfg.max_steps))
    groups = layerwise_param_groups(
        model, float(trainer_cfg.lr), float(trainer_cfg.weight_decay), float(trainer_cfg.get("llrd", 1.0))
    )
    optimizer = _adamw(groups, float(trainer_cfg.lr))
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(float(trainer_cfg.warmup_ratio) * total_steps), total_steps
    )
    # The scheduler is not prepared: Accelerate would step it once per process, while every
    # process here steps one share of the same global batch. Checkpointed all the same.
    model, optimizer = accelerator.prepare(model, optimizer)
    accelerator.register_for_checkpointing(scheduler)
    bare = accelerator.unwrap_model(model)
    loop, snapshots = _Loop(), {}
    resumed = _latest_checkpoint(checkpoint_dir)
    if resumed is not None:
        accelerator.load_state(str(resumed))
        loop = _Loop(**json.loads((resumed / LOOP_FILE).read_text()))
        snapshots = torch.load(resumed / SNAPSHOTS_FILE, map_location="cpu")
        log.info("resumed", checkpoint=str(resumed), epoch=loop.epoch, batches_done=loop.batches_done)
    resumed_step = loop.step
    every = int(trainer_cfg.get("checkpoint_every_steps") or 0)
    keep_k = max(1, int(trainer_cfg.get("average_top_k", 1) or 1))
    label_smoothing = float(trainer_cfg.get("label_smoothing", 0.0) or 0.0)
    rdrop = float(trainer_cfg.get("rdrop_alpha", 0.0) or 0.0)
    distill = distill_settings(trainer_cfg)
    if distill is not None and train.soft_labels is None:
        raise ConfigError("trainer.distill.teachers is set but the train split carries no soft labels")
    soft_loss = (distill.alpha, distill.temperature) if distill is not None else None

    def save(tag: str) -> None:
        if checkpoint_dir is None:
            return
        target = checkpoint_dir / f"step-{loop.step:07d}{tag}"
        accelerator.wait_for_everyone()
        accelerator.save_state(str(target))
        if accelerator.is_main_process:
            torch.save(snapshots, target / SNAPSHOTS_FILE)
            (target / LOOP_FILE).write_text(json.dumps(asdict(loop)))  # last: marks it complete
            for old in checkpoint_dir.glob("step-*"):
                if old != target:
                    shutil.rmtree(old, ignore_errors=True)
        accelerator.wait_for_everyone()

    stop = loop.step >= total_steps
    while not stop and loop.epoch <= int(trainer_cfg.epochs):
        epoch = loop.epoch
        model.train()
        started = time.perf_counter()
        order = _epoch_order(len(train), seed, epoch)
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        bar = tqdm(
            total=len(batches),
            initial=loop.batches_done,
            desc=f"epoch {epoch}",
            disable=not trainer_cfg.progress or not accelerator.is_main_process,
            leave=False,
        )
        while loop.batches_done < len(batches) and loop.step < total_steps:
            b = loop.batches_done
            group_end = min(len(batches), (b // accum + 1) * accum)
            boundary = b + 1 == group_end
            batch = _collate(train, _shard(batches[b], rank, world), pad_id)
            batch = {k: v.to(accelerator.device) for k, v in batch.items()}
            context = accelerator.no_sync(model) if not boundary else nullcontext()
            with context:
                loss = classification_loss(model, batch, weight_t, label_smoothing, rdrop, soft_loss)
                accelerator.backward(loss / (group_end - (b // accum) * accum))
            if boundary:
                accelerator.clip_grad_norm_(model.parameters(), float(trainer_cfg.max_grad_norm))
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                loop.step += 1
            loop.batches_done += 1
            loop.seen += len(batches[b])
            loop.running_loss += float(loss.detach())
            bar.update(1)
            bar.set_postfix(loss=f"{loop.running_loss / loop.batches_done:.4f}")
            if boundary and every and loop.step % every == 0 and loop.batches_done < len(batches):
                loop.train_seconds += time.perf_counter() - started
                started = time.perf_counter()
                save("")
        bar.close()
        loop.train_seconds += time.perf_counter() - started
        if fixed:  # a refit: validation is in the training data, nothing to choose
            val_acc, val_f1 = math.nan, math.nan
        else:
            val_logits = predict_logits(
                bare, validation, int(trainer_cfg.eval_batch_size), pad_id, accelerator.device
            )
            val_acc, val_f1 = _macro_f1(validation.labels, val_logits, num_labels)
        # Each process saw one share of every batch: the epoch's loss is the mean over processes.
        mean_loss = float(
            accelerator.reduce(torch.tensor(loop.running_loss / max(loop.batches_done, 1)), "mean")
        )
        metrics = {
            "train_loss": mean_loss,
            **({} if fixed else {"val_accuracy": val_acc, "val_macro_f1": val_f1}),
            "lr": float(scheduler.get_last_lr()[0]),
            "epoch_seconds": time.perf_counter() - started,
        }
        loop.history.append({"epoch": float(epoch), **metrics})
        if accelerator.is_main_process:
            log.info(
                "epoch done", epoch=epoch, step=loop.step, **{k: round(v, 4) for k, v in metrics.items()}
            )
            if on_epoch is not None:
                on_epoch(epoch, metrics)
        if fixed:  # keep exactly the chosen epochs; stop after the last
            if epoch in fixed:
                _keep_snapshot(bare, snapshots, loop.kept, epoch, float(epoch), len(fixed))
            loop.best_epoch = epoch
            stop = epoch >= fixed[-1] or loop.step >= total_steps
        else:
            stop = _select(
                bare, snapshots, loop, epoch, val_f1, keep_k, int(trainer_cfg.early_stopping_patience)
            )
            stop = stop or loop.step >= total_steps
        loop.epoch, loop.batches_done, loop.running_loss = epoch + 1, 0, 0.0
        if not stop and loop.epoch <= int(trainer_cfg.epochs):
            save("")
    averaged = _restore_kept(bare, snapshots, loop.kept)
    accelerator.wait_for_everyone()
    bare.to("cpu").eval()
    accelerator.free_memory()
    return FitResult(
        best_epoch=loop.best_epoch,
        best_val_macro_f1=loop.best_f1,
        epochs_run=loop.epoch - 1,
        steps=loop.step,
        train_seconds=loop.train_seconds,
        train_samples_per_second=loop.seen / loop.train_seconds if loop.train_seconds else 0.0,
        device=str(accelerator.device),
        precision=_precision_name(accelerator.mixed_precision),
        processes=world,
        averaged_epochs=averaged,
        resumed_from_step=resumed_step,
        history=[dict(h) for h in loop.history],
    )


def _select(
    model: Any, snapshots: dict[str, Any], loop: _Loop, epoch: int, f1: float, keep_k: int, patience: int
) -> bool:
    """Keep the epoch's weights if among the k best, track the best epoch; True to stop early."""
    _keep_snapshot(model, snapshots, loop.kept, epoch, f1, keep_k)
    if f1 > loop.best_f1:
        loop.best_f1, loop.best_epoch, loop.stale = f1, epoch, 0
    else:
        loop.stale += 1
    if loop.stale >= patience:
        log.info("early stopping", epoch=epoch, best_epoch=loop.best_epoch, best_val_macro_f1=loop.best_f1)
        return True
    return False


def _precision_name(mode: str) -> str:
    return "fp32" if mode == "no" else mode


def _keep_snapshot(
    model: Any, snapshots: dict[str, Any], kept: dict[str, float], epoch: int, f1: float, k: int
) -> None:
    """Hold the weights of the k best validation epochs so far (CPU copies)."""
    key = str(epoch)
    if len(kept) >= k:
        worst = min(kept, key=lambda e: (kept[e], -int(e)))
        if f1 <= kept[worst]:
            return
        kept.pop(worst)
        snapshots.pop(worst, None)
    kept[key] = f1
    snapshots[key] = {n: t.detach().to("cpu", copy=True) for n, t in model.state_dict().items()}


def _restore_kept(model: Any, snapshots: dict[str, Any], kept: dict[str, float]) -> list[int]:
    """Load the best epoch, or the uniform average of the kept epochs' weights; their epochs."""
    import torch

    epochs = sorted(kept, key=int)
    if not epochs:
        return []
    if len(epochs) == 1:
        model.load_state_dict(snapshots[epochs[0]])
        return [int(epochs[0])]
    first = snapshots[epochs[0]]
    averaged = {}
    for name, tensor in first.items():
        if torch.is_floating_point(tensor):
            averaged[name] = sum(snapshots[e][name] for e in epochs) / len(epochs)
        else:
            averaged[name] = tensor
    model.load_state_dict(averaged)
    return [int(e) for e in epochs]
