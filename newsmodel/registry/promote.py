"""Promotion: the stage and the `champion` alias move together, so both MLflow UI views agree."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Any

from newsmodel.errors import ConfigError
from newsmodel.registry.floor import rejection
from newsmodel.registry.versions import get_version

__all__ = ["STAGES", "Promotion", "promote"]

STAGES = ("Production", "Staging", "Archived", "None")


@dataclass(frozen=True)
class Promotion:
    name: str
    version: str
    stage: str
    alias: str | None
    archived: list[str] = field(default_factory=list)


def promote(
    client: Any,
    name: str,
    version: str,
    stage: str,
    alias: str = "champion",
    challenger_alias: str = "challenger",
) -> Promotion:
    """Move `version` to `stage`, archiving what held it; Production also takes `alias`.

    A version leaving Production loses the alias, so the alias never points at an archived model.
    A version the quality floor rejected is never promoted to Production; a challenger that
    becomes champion stops being the challenger.
    """
    canonical = {s.lower(): s for s in STAGES}.get(stage.lower())
    if canonical is None:
        raise ConfigError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")
    mv = get_version(client, name, version)
    rejected = rejection(mv.tags or {})
    if canonical == "Production" and rejected:
        raise ConfigError(
            f"{name} v{mv.version} is rejected by the quality floor ({rejected}); the server would refuse "
            "to load it, so it is not promoted"
        )
    # str(): the REST store returns versions as strings, the SQL store (demo mode) as ints.
    previous = [
        str(v.version) for v in _versions_in(client, name, canonical) if str(v.version) != str(mv.version)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage(
            name, mv.version, canonical, archive_existing_versions=canonical in ("Production", "Staging")
        )
    if canonical == "Production":
        client.set_registered_model_alias(name, alias, mv.version)
        _drop_alias_if_on(client, name, challenger_alias, str(mv.version))
        return Promotion(name, str(mv.version), canonical, alias, previous)
    _drop_alias_if_on(client, name, alias, str(mv.version))
    return Promotion(name, str(mv.version), canonical, None, previous if canonical == "Staging" else [])


def _drop_alias_if_on(client: Any, name: str, alias: str, version: str) -> None:
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):
        if alias and str(client.get_model_version_by_alias(name, alias).version) == version:
            client.delete_registered_model_alias(name, alias)


def _versions_in(client: Any, name: str, stage: str) -> list[Any]:
    if stage in ("None", "Archived"):
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return list(client.get_latest_versions(name, stages=[stage]))
