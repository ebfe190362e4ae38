"""Domain-adaptive pre-training (DAPT): masked-LM steps on crawled news sentences before fine-tuning.

Starts from the model config's weights (MiniLM, a hub checkpoint, or random init for the
from-scratch path, whose WordPiece vocabulary is then trained on the same sentences), masks 15%
of tokens (BERT's 80/10/10 rule, via transformers' collator), and saves a checkpoint directory
that fine-tuning picks up with `model.checkpoint=DIR`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.errors import ConfigError, DataError
from newsmodel.logging import get_logger

__all__ = ["DaptResult", "run_dapt"]

log = get_logger(__name__)


@dataclass(frozen=True)
class DaptResult:
    output_dir: Path
    sentences: int
    steps: int
    first_loss: float
    last_loss: float
    seconds: float


def _masked_lm(model_cfg: Any, vocab_size: int) -> Any:
    from transformers import AutoModelForMaskedLM

    from newsmodel.training.models import config_class, load_pretrained, pretrained_source

    source = pretrained_source(model_cfg)
    if source is not None:
        return load_pretrained(AutoModelForMaskedLM, source, "weights")
    config = config_class(str(model_cfg.architecture))(vocab_size=vocab_size, **dict(model_cfg.arch or {}))
    return AutoModelForMaskedLM.from_config(config)


def run_dapt(
    model_cfg: Any,
    texts: Sequence[str],
    output_dir: Path,
    *,
    steps: int = 200,
    batch_size: int = 16,
    lr: float = 5e-5,
    mlm_probability: float = 0.15,
    seed: int = 13,
    num_threads: int | None = None,
) -> DaptResult:
    """Train the masked-LM head and encoder for `steps` batches; save model + tokenizer."""
    import torch
    from transformers import DataCollatorForLanguageModeling, get_linear_schedule_with_warmup

    from newsmodel.training.models import build_tokenizer
    from newsmodel.training.trainer import seed_everything

    if len(texts) < 2:
        raise DataError(f"DAPT needs sentences to read; got {len(texts)}")
    if steps < 1 or batch_size < 1:
        raise ConfigError("DAPT needs steps >= 1 and batch_size >= 1")
    if num_threads:
        torch.set_num_threads(num_threads)
    seed_everything(seed)
    tokenizer = build_tokenizer(model_cfg, list(texts))
    model = _masked_lm(model_cfg, len(tokenizer))
    encoded = tokenizer(list(texts), truncation=True, max_length=int(model_cfg.max_length))["input_ids"]
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=True, mlm_probability=mlm_probability)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    losses: list[float] = []
    started = time.perf_counter()
    epochs = math.ceil(steps * batch_size / len(encoded))
    step = 0
    for _ in range(epochs):
        order = torch.randperm(len(encoded), generator=generator).tolist()
        for start in range(0, len(order), batch_size):
            if step >= steps:
                break
            batch = collator([{"input_ids": encoded[i]} for i in order[start : start + batch_size]])
            loss = model(**batch).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 50 == 0:
                log.info("dapt progress", step=step, loss=round(sum(losses[-50:]) / len(losses[-50:]), 4))
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output_dir))
    tokenizer.save_pretrained(str(output_dir))
    window = max(1, min(20, len(losses) // 4))
    return DaptResult(
        output_dir=output_dir,
        sentences=len(encoded),
        steps=step,
        first_loss=sum(losses[:window]) / window,
        last_loss=sum(losses[-window:]) / window,
        seconds=time.perf_counter() - started,
    )
