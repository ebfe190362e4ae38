"""One exception tree for the platform: every error a user can act on derives from NewsmodelError.

Library errors (SQLAlchemy, MLflow, httpx, onnxruntime) are converted to these at package
boundaries so commands print one actionable line and the API maps them to status codes in one place.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DependencyUnavailable",
    "ModelNotAvailable",
    "NewsmodelError",
]


class NewsmodelError(Exception):
    """Base of every error this platform raises on purpose."""


class ConfigError(NewsmodelError):
    """A setting or config file is missing or invalid; the message names what to set."""


class DataError(NewsmodelError):
    """Input data is unusable (bad rows, unknown labels, leakage); the message says where."""


class DependencyUnavailable(NewsmodelError):
    """A service we need (database, Redis, MLflow, artifact store) did not answer.

    The message always names the environment variable and the address tried, so the
    fix is obvious without a stack trace.
    """

    def __init__(self, service: str, variable: str, address: str, reason: str = "") -> None:
        self.service = service
        self.variable = variable
        self.address = address
        self.reason = reason
        detail = f": {reason}" if reason else ""
        super().__init__(f"{service} unreachable at {address} (set {variable}){detail}")


class ModelNotAvailable(NewsmodelError):
    """No model version is live (nothing promoted yet) or it failed to load."""
