"""What the loop minimises and how fast each layer learns: the ablation's training knobs.

- class-weighted cross-entropy with optional label smoothing (torch's own);
- R-Drop (Liang et al., 2021): the batch runs twice through dropout in one forward pass (the
  copies concatenated) and the symmetric KL between the two predictions is added, weighted by
  `rdrop_alpha`; it doubles the forward/backward cost;
- knowledge distillation (Hinton et al., 2015): with teachers' soft labels in the batch, the
  loss is (1 - alpha) x the hard-label loss + alpha x T^2 x KL(teachers || student), both at
  temperature T (T^2 keeps the soft gradients' scale as T changes);
- layer-wise learning-rate decay (LLRD): the head learns at `lr`, encoder layer i of L at
  `lr * decay**(L - i)`, the embeddings at `lr * decay**(L + 1)`; `decay=1` is a flat rate.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["classification_loss", "layerwise_param_groups"]

_NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight", "NoNorm")
_LAYER = re.compile(r"\.layer\.(\d+)\.")


def classification_loss(
    model: Any,
    batch: dict[str, Any],
    weight: Any,
    label_smoothing: float = 0.0,
    rdrop_alpha: float = 0.0,
    distill: tuple[float, float] | None = None,
) -> Any:
    """Mean loss of one batch (a scalar tensor to backpropagate); `distill` = (alpha, temperature)
    blends in the batch's `soft_labels`."""
    import torch
    import torch.nn.functional as F

    ids, mask, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
    soft = batch.get("soft_labels") if distill is not None else None

    def hard_and_soft(logits: Any) -> Any:
        ce = F.cross_entropy(logits, labels, weight=weight, label_smoothing=label_smoothing)
        if soft is None or distill is None:
            return ce
        alpha, temperature = distill
        student = F.log_softmax(logits / temperature, dim=-1)
        kl = F.kl_div(student, soft.to(logits.dtype), reduction="batchmean") * temperature**2
        return (1.0 - alpha) * ce + alpha * kl

    if rdrop_alpha <= 0:
        return hard_and_soft(model(input_ids=ids, attention_mask=mask).logits.float())
    logits = model(input_ids=torch.cat([ids, ids]), attention_mask=torch.cat([mask, mask])).logits.float()
    first, second = logits.chunk(2)
    base = hard_and_soft(first) + hard_and_soft(second)
    log_p, log_q = F.log_softmax(first, dim=-1), F.log_softmax(second, dim=-1)
    kl = F.kl_div(log_p, log_q, log_target=True, reduction="batchmean") + F.kl_div(
        log_q, log_p, log_target=True, reduction="batchmean"
    )
    return base / 2 + rdrop_alpha * kl / 2


def _depth(name: str, num_layers: int) -> int:
    """0 for the head, L - i for encoder layer i, L + 1 for the embeddings."""
    if "embeddings" in name:
        return num_layers + 1
    match = _LAYER.search(name)
    return num_layers - int(match.group(1)) if match else 0


def layerwise_param_groups(
    model: Any, lr: float, weight_decay: float, decay: float = 1.0
) -> list[dict[str, Any]]:
    """AdamW parameter groups: no weight decay on biases and norms; LR scaled by depth when decay < 1."""
    num_layers = int(getattr(model.config, "num_hidden_layers", 0))
    groups: dict[tuple[int, bool], dict[str, Any]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        depth = _depth(name, num_layers) if decay != 1.0 else 0
        no_decay = any(k in name for k in _NO_DECAY)
        group = groups.setdefault(
            (depth, no_decay),
            {"params": [], "weight_decay": 0.0 if no_decay else weight_decay, "lr": lr * decay**depth},
        )
        group["params"].append(param)
    return list(groups.values())
