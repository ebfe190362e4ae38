"""Look up registered model versions with MLflow errors turned into our own."""

from __future__ import annotations

import contextlib
from typing import Any

from newsmodel.errors import ModelNotAvailable

__all__ = ["current_production", "get_version"]


def get_version(client: Any, name: str, version: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, str(version))
    except MlflowException as exc:
        raise ModelNotAvailable(f"model {name!r} has no version {version!r} ({exc.error_code})") from exc


def current_production(client: Any, name: str, stage: str, alias: str) -> Any | None:
    """The version in `stage`, else the one holding `alias` (people may promote either way), else None."""
    import warnings

    from mlflow.exceptions import MlflowException

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            staged = client.get_latest_versions(name, stages=[stage])
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
    if staged:
        return staged[0]
    with contextlib.suppress(MlflowException):
        return client.get_model_version_by_alias(name, alias)
    return None
