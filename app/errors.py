"""The API's own error types, all NewsmodelError subclasses, and their HTTP status codes.

Routes raise these (or the core ones); `app.main` renders every NewsmodelError through one
exception handler using `status_for`, so no route builds an error response by hand.
"""

from __future__ import annotations

from newsmodel.errors import (
    ConfigError,
    DataError,
    DependencyUnavailable,
    ModelNotAvailable,
    NewsmodelError,
)

__all__ = [
    "Conflict",
    "LimitExceeded",
    "NotFound",
    "Overloaded",
    "Unauthorized",
    "status_for",
]


class Unauthorized(NewsmodelError):
    """Missing or wrong API key / webhook signature."""


class NotFound(NewsmodelError):
    """The job (or other resource) named in the URL does not exist."""


class Conflict(NewsmodelError):
    """The request cannot apply to the resource in its current state (e.g. cancel a finished job)."""


class LimitExceeded(DataError):
    """A request limit was exceeded; the message names the limit and the variable that sets it."""


class Overloaded(NewsmodelError):
    """The inference queue is too long to answer this request in time (-> 503 with Retry-After):
    behind a load balancer it is retried on another replica instead of waiting here."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# Most specific first: the first isinstance match wins.
_STATUS: tuple[tuple[type[NewsmodelError], int], ...] = (
    (Unauthorized, 401),
    (NotFound, 404),
    (Conflict, 409),
    (DataError, 422),
    (ModelNotAvailable, 503),
    (Overloaded, 503),
    (DependencyUnavailable, 503),
    (ConfigError, 500),
)


def status_for(exc: NewsmodelError) -> int:
    """The HTTP status code for one of our errors (500 for anything unmapped)."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500
