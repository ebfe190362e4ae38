"""Build the tokenizer and the sequence classifier a model config describes.

Three sources: a local checkpoint (`model.checkpoint`, e.g. a DAPT output), a registry package
that ships weights offline (`source: package`, MiniLM), or a hub name (`source: hub`, online
users). `pretrained: false` builds the same architecture from the YAML `arch` block with random
weights and a WordPiece tokenizer trained on the train split - chosen explicitly, never as a
silent fallback when the hub is unreachable.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsmodel.errors import ConfigError

__all__ = [
    "ARCHITECTURES",
    "build_classifier",
    "build_tokenizer",
    "config_class",
    "load_pretrained",
    "pretrained_source",
]

ARCHITECTURES = ("bert", "electra", "mobilebert")


def config_class(architecture: str) -> Any:
    from transformers import BertConfig, ElectraConfig, MobileBertConfig

    classes = {"bert": BertConfig, "electra": ElectraConfig, "mobilebert": MobileBertConfig}
    try:
        return classes[architecture]
    except KeyError:
        raise ConfigError(
            f"model.architecture={architecture!r} is not supported; use one of {', '.join(ARCHITECTURES)}"
        ) from None


def pretrained_source(model_cfg: Any) -> str | None:
    """The local path or hub name to load weights from; None means random init (`pretrained: false`)."""
    if model_cfg.checkpoint:
        path = Path(str(model_cfg.checkpoint)).expanduser()
        if not (path / "config.json").is_file():
            raise ConfigError(f"model.checkpoint={path} has no config.json: point it at a saved model dir")
        return str(path)
    if not model_cfg.pretrained:
        return None
    if model_cfg.source == "package":
        try:
            module = importlib.import_module(str(model_cfg.package))
        except ImportError as exc:
            raise ConfigError(
                f"model {model_cfg.name} needs the package {model_cfg.package!r} "
                f"(pip install {str(model_cfg.package).replace('_', '-')}): {exc}"
            ) from exc
        return str(module.get_model_path())
    if model_cfg.source == "hub":
        if not model_cfg.hub_name:
            raise ConfigError(f"model {model_cfg.name}: source=hub needs model.hub_name")
        return str(model_cfg.hub_name)
    raise ConfigError(
        f"model {model_cfg.name}: source={model_cfg.source!r} has no weights; set model.pretrained=false"
    )


def load_pretrained(loader: Any, source: str, what: str, **kwargs: Any) -> Any:
    """Load from a local dir (offline) or the hub; an unreachable hub becomes one actionable line."""
    local = Path(source).is_dir()
    try:
        return loader.from_pretrained(source, local_files_only=local or _offline(), **kwargs)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load the {what} of {source!r} ({str(exc).splitlines()[0][:160]}). Offline? "
            "Use model=minilm (offline weights), model.checkpoint=DIR, or model.pretrained=false "
            "for random init with a tokenizer trained on the corpus"
        ) from exc


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def build_tokenizer(model_cfg: Any, train_texts: Sequence[str]) -> Any:
    """The checkpoint's tokenizer, a `newsmodel tokenizer train` output, or one trained now."""
    from transformers import AutoTokenizer

    from newsmodel.training.tokenizer import check_tokenizer, load_tokenizer_dir, train_wordpiece

    if model_cfg.tokenizer_dir:
        tokenizer = load_tokenizer_dir(str(model_cfg.tokenizer_dir))
    elif (source := pretrained_source(model_cfg)) is not None:
        tokenizer = load_pretrained(AutoTokenizer, source, "tokenizer")
    else:
        tokenizer = train_wordpiece(train_texts, int(model_cfg.vocab_size), bool(model_cfg.lowercase))
    if train_texts:
        check_tokenizer(tokenizer, train_texts[0])
    return tokenizer


def build_classifier(model_cfg: Any, labels: Sequence[str], vocab_size: int, meta: bool = False) -> Any:
    """A `*ForSequenceClassification` with `len(labels)` outputs, in `labels` order.

    `meta=True` builds it on the meta device (no memory, no weights): how the config test checks
    that every architecture block is valid without allocating bert-base.
    """
    import torch
    from transformers import AutoModelForSequenceClassification

    id2label = dict(enumerate(labels))
    label2id = {label: i for i, label in id2label.items()}
    common = {
        "num_labels": len(labels),
        "id2label": id2label,
        "label2id": label2id,
        "hidden_dropout_prob": float(model_cfg.dropout),
    }
    source = pretrained_source(model_cfg)
    if source is not None and not meta:
        model = load_pretrained(AutoModelForSequenceClassification, source, "weights", **common)
        if model.config.model_type != model_cfg.architecture:
            raise ConfigError(
                f"{source} is a {model.config.model_type} model but model.architecture={model_cfg.architecture}"
            )
        return model
    arch = dict(model_cfg.arch or {})
    config = config_class(str(model_cfg.architecture))(vocab_size=vocab_size, **arch, **common)
    if meta:
        with torch.device("meta"):
            return AutoModelForSequenceClassification.from_config(config)
    return AutoModelForSequenceClassification.from_config(config)
