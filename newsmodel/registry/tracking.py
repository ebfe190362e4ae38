"""Connect to the MLflow tracking server (or the embedded sqlite store) and fail in one line.

The client is built for an explicit URI (injected, never global state read at import); a
server that does not answer becomes DependencyUnavailable naming MLFLOW_TRACKING_URI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from newsmodel.errors import DependencyUnavailable
from newsmodel.settings import get_settings, redact_url

__all__ = ["connect", "ensure_experiment", "git_commit", "resolve_tracking_uri"]


def resolve_tracking_uri(explicit: str | None = None) -> str:
    return explicit or get_settings().mlflow_tracking_uri


def connect(tracking_uri: str | None = None) -> Any:
    """Point the mlflow fluent API at `tracking_uri`, check it answers, return an MlflowClient."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    uri = resolve_tracking_uri(tracking_uri)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    elif uri.startswith(("http://", "https://")):
        _check_http(uri)
    mlflow.set_tracking_uri(uri)
    # No set_registry_uri: the registry follows the tracking URI by default, whereas a
    # process-wide registry URI would outlive this call and redirect every later
    # MlflowClient(tracking_uri=...) built without one to this store's registry.
    try:  # a refused store (e.g. MLflow 3's file store in maintenance mode) fails at construction
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.search_experiments(max_results=1)
    except MlflowException as exc:
        raise DependencyUnavailable("MLflow", "MLFLOW_TRACKING_URI", redact_url(uri), str(exc)[:200]) from exc
    return client


def _check_http(uri: str) -> None:
    import httpx

    try:
        response = httpx.get(f"{uri.rstrip('/')}/health", timeout=5.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise DependencyUnavailable("MLflow", "MLFLOW_TRACKING_URI", redact_url(uri), str(exc)[:200]) from exc


def ensure_experiment(client: Any, name: str) -> str:
    """The experiment id; new experiments of the embedded store keep artifacts under ARTIFACT_ROOT."""
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    location = None
    if not str(client.tracking_uri).startswith(("http://", "https://")):
        location = f"{get_settings().artifact_root.rstrip('/')}/{name}"
    return str(client.create_experiment(name, artifact_location=location))


def git_commit() -> str:
    """GIT_COMMIT from the settings (containers), else `git rev-parse HEAD`, else "unknown"."""
    configured = get_settings().git_commit
    if configured:
        return configured
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"
