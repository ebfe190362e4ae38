"""Which part a failed model upload blames: the tracking server or the artifact store behind it."""

from __future__ import annotations

import socket

from mlflow.exceptions import MlflowException

from newsmodel.registry.register import _logging_failure


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_upload_failure_with_the_server_down_names_the_tracking_uri() -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    exc = MlflowException(f"API request to {uri}/api/2.0/mlflow-artifacts/artifacts/1/x failed")
    err = _logging_failure(uri, exc)
    assert err.variable == "MLFLOW_TRACKING_URI" and err.address == uri
    assert str(err).startswith(f"MLflow unreachable at {uri} (set MLFLOW_TRACKING_URI)")


def test_other_failures_name_the_tracking_uri() -> None:
    err = _logging_failure("sqlite:///tmp/x.db", MlflowException("database is locked"))
    assert err.variable == "MLFLOW_TRACKING_URI" and "database is locked" in str(err)
