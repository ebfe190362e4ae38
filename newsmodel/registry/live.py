"""The one answer to "which version is live": alias `champion` first, then the stage `Production`.

People promote in the MLflow UI either way (README, "Promote a model"), so both count; when they
name different versions the alias wins and the answer says what the stage holds. Every consumer
asks here - the API and the Celery workers (through `app.registry`), the gate, `newsmodel live`,
the relation index's default version and the dashboard (through the API) - so none can disagree.
Later consumers (a shadow `challenger`, drift monitoring, index history) should too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from newsmodel.errors import DependencyUnavailable
from newsmodel.settings import redact_url

__all__ = ["LiveVersion", "live_version", "resolve_live_version", "version_by_alias"]

_ABSENT = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE")


@dataclass(frozen=True)
class LiveVersion:
    """A registered model version and how it was found to be live."""

    name: str
    version: str
    via: str  # "alias champion" or "stage Production"
    # When alias and stage name different versions: what the stage holds (the alias won).
    stage_version: str | None = None

    @property
    def disagreement(self) -> str | None:
        if self.stage_version is None:
            return None
        return f"{self.via} names v{self.version} but the stage holds v{self.stage_version}"


def _unavailable(client: Any, exc: Exception) -> DependencyUnavailable:
    reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    uri = redact_url(str(getattr(client, "tracking_uri", "") or ""))
    return DependencyUnavailable("MLflow registry", "MLFLOW_TRACKING_URI", uri, reason)


def version_by_alias(client: Any, name: str, alias: str) -> str | None:
    """The version an alias points at, or None (no such alias or model)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        if exc.error_code in _ABSENT:
            return None
        raise _unavailable(client, exc) from exc


def _version_in_stage(client: Any, name: str, stage: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # stages are deprecated, still supported
            versions = client.get_latest_versions(name, stages=[stage])
    except MlflowException as exc:
        if exc.error_code in _ABSENT:
            return None
        raise _unavailable(client, exc) from exc
    return str(max(int(v.version) for v in versions)) if versions else None


def resolve_live_version(
    client: Any, name: str, alias: str = "champion", stage: str = "Production"
) -> LiveVersion | None:
    """The live version of `name` now, or None when nothing is promoted.

    DependencyUnavailable (naming MLFLOW_TRACKING_URI) when the registry does not answer.
    An empty `alias` or `stage` switches that way of promoting off.
    """
    try:
        by_alias = version_by_alias(client, name, alias) if alias else None
        by_stage = _version_in_stage(client, name, stage) if stage else None
    except DependencyUnavailable:
        raise
    except Exception as exc:  # connection errors surface untyped (requests/urllib3) through MLflow
        raise _unavailable(client, exc) from exc
    if by_alias:
        other = by_stage if by_stage and by_stage != by_alias else None
        return LiveVersion(name, by_alias, f"alias {alias}", other)
    if by_stage:
        return LiveVersion(name, by_stage, f"stage {stage}")
    return None


def live_version(client: Any, name: str | None = None) -> LiveVersion | None:
    """`resolve_live_version` with the settings' REGISTERED_MODEL_NAME, MODEL_ALIAS and MODEL_STAGE."""
    from newsmodel.settings import get_settings

    settings = get_settings()
    return resolve_live_version(
        client, name or settings.registered_model_name, settings.model_alias, settings.model_stage
    )
