"""Compose the Hydra-style YAML config groups in `newsmodel/conf` (sweeps: newsmodel.training.sweep).

The CLI uses Hydra's compose API (not `@hydra.main`) so the Typer command stays the entry point
and tests can build every config in-process; `--multirun` sweeps are parsed with Hydra's own override
grammar and run as an Optuna grid study.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from newsmodel.errors import ConfigError

__all__ = [
    "CONFIG_DIR",
    "available_options",
    "compose_config",
    "flatten_config",
    "to_yaml",
]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "conf"
GROUPS = ("model", "data", "trainer", "experiment", "sweep")


def available_options(group: str) -> list[str]:
    """Names of the YAML files in one config group (what `model=` accepts, for example)."""
    if group not in GROUPS:
        raise ConfigError(f"unknown config group {group!r}; known: {', '.join(GROUPS)}")
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def compose_config(overrides: Sequence[str] = ()) -> Any:
    """Return the resolved DictConfig for these overrides; bad overrides become a ConfigError."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="newsmodel"):
            cfg = compose(config_name="config", overrides=list(overrides))
        OmegaConf.resolve(cfg)
    except (HydraException, OmegaConfBaseException) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"bad training config override ({first_line}); groups: {_group_help()}") from exc
    return cfg


def _group_help() -> str:
    return "; ".join(f"{g}={'|'.join(available_options(g))}" for g in GROUPS)


def flatten_config(cfg: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys -> scalar values (lists kept as their string form), for MLflow params."""
    from omegaconf import DictConfig, OmegaConf

    data = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    flat: dict[str, Any] = {}
    for key, value in _walk(data, prefix):
        flat[key] = value
    return flat


def _walk(node: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        if not node and prefix:
            yield prefix, "{}"
        for key, value in node.items():
            yield from _walk(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        yield prefix, str(node)
    else:
        yield prefix, node


def to_yaml(cfg: Any) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(cfg, resolve=True)
