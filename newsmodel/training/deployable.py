"""Which registered model a training config may register under.

Only deployable configs register under the serving name (REGISTERED_MODEL_NAME): a smoke,
tiny, quick or demo run is a check of the code, not a candidate, and must never be one alias
away from serving. Those register under a name of their own (`mlflow.registered_model_name`)
or not at all; asking for the serving name is refused before any training starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsmodel.errors import ConfigError

__all__ = ["Registration", "non_deployable_reasons", "registration_for"]


@dataclass(frozen=True)
class Registration:
    """Where a run's model goes: a registered model name, or None with the reason."""

    name: str | None
    deployable: bool
    why_not: str = ""


def non_deployable_reasons(cfg: Any) -> list[str]:
    """Why this config is not a deployable candidate (empty: it is)."""
    reasons = []
    if not cfg.get("deployable", True):
        reasons.append("the config says deployable: false")
    for group in ("model", "trainer"):
        section = cfg.get(group) or {}
        if not section.get("deployable", True):
            reasons.append(
                f"{group} {section.get('name', '') or 'config'} is marked deployable: false".replace(
                    "  ", " "
                )
            )
    if cfg.get("data") is not None and cfg.data.get("limit"):
        reasons.append(f"data.limit={cfg.data.limit} trains on a sample")
    return reasons


def registration_for(cfg: Any, serving_name: str, name: str | None = None) -> Registration:
    """The registered model name for this run (`name`: asked for explicitly, e.g. `newsmodel
    register RUN --name`); ConfigError when a non-deployable run asks for the serving name."""
    if name is None and not cfg.mlflow.register:
        return Registration(None, not non_deployable_reasons(cfg), "mlflow.register=false")
    explicit = name or (str(cfg.mlflow.registered_model_name) if cfg.mlflow.registered_model_name else None)
    reasons = non_deployable_reasons(cfg)
    if not reasons:
        return Registration(explicit or serving_name, True)
    if explicit == serving_name:
        raise ConfigError(
            f"this run is not deployable ({'; '.join(reasons)}) and may not register under the serving "
            f"name {serving_name!r}: set mlflow.registered_model_name to a name of its own, or "
            "mlflow.register=false"
        )
    if explicit is None:
        return Registration(
            None,
            False,
            f"not deployable ({'; '.join(reasons)}); set mlflow.registered_model_name=NAME to register it "
            "under a name of its own",
        )
    return Registration(explicit, False)
