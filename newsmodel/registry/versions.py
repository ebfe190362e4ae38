"""Look up registered model versions with MLflow errors turned into our own.

Which version is live is not decided here: see `newsmodel.registry.live`.
"""

from __future__ import annotations

from typing import Any

from newsmodel.errors import ModelNotAvailable

__all__ = ["get_version"]


def get_version(client: Any, name: str, version: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, str(version))
    except MlflowException as exc:
        raise ModelNotAvailable(f"model {name!r} has no version {version!r} ({exc.error_code})") from exc
