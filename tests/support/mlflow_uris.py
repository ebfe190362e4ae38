"""Point MLflow's fluent API (tracking and registry URI) at one server for a block, then put back
exactly what was there: `set_registry_uri` also exports MLFLOW_REGISTRY_URI, and reading the URI
back returns a resolved default, so a naive save/restore would pin the wrong registry."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["mlflow_pointed_at"]


@contextmanager
def mlflow_pointed_at(uri: str) -> Iterator[None]:
    import mlflow
    from mlflow.tracking._model_registry import utils as registry_utils

    saved_tracking = mlflow.get_tracking_uri()
    saved_registry = registry_utils._registry_uri
    saved_env = os.environ.get("MLFLOW_REGISTRY_URI")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved_tracking)
        registry_utils._registry_uri = saved_registry
        if saved_env is None:
            os.environ.pop("MLFLOW_REGISTRY_URI", None)
        else:
            os.environ["MLFLOW_REGISTRY_URI"] = saved_env
