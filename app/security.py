"""API keys (X-API-Key header) and MLflow webhook signatures, both compared in constant time.

MLflow 3 signs a delivery as `v1,<base64 HMAC-SHA256(secret, "<delivery_id>.<timestamp>.<body>")>`
in `X-MLflow-Signature`, with `X-MLflow-Delivery-Id` and `X-MLflow-Timestamp` (unix seconds)
beside it (mlflow/webhooks/delivery.py). We reject stale timestamps and replayed delivery ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Iterable, Mapping

from pydantic import SecretStr

from app.errors import Unauthorized

__all__ = [
    "API_KEY_HEADER",
    "SIGNATURE_HEADER",
    "ReplayGuard",
    "check_api_key",
    "key_id",
    "matching_key",
    "sign_webhook",
    "verify_webhook",
]

API_KEY_HEADER = "X-API-Key"
SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"
# Headers are parsed before anything is trusted: bounded forms only, no int() of arbitrary
# length (a 5,000-digit timestamp overflowed the float arithmetic below: a 500).
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
_DELIVERY_ID = re.compile(r"[\x21-\x7e]{1,200}")
_MAX_SIGNATURE_CHARS = 200


def matching_key(presented: str, keys: Iterable[SecretStr]) -> SecretStr | None:
    """The configured key equal to `presented`, compared in constant time against every key."""
    given = presented.encode("utf-8", "surrogateescape")
    found: SecretStr | None = None
    for key in keys:
        # Compare against every key (no early exit) so timing says nothing about which matched.
        if hmac.compare_digest(given, key.get_secret_value().encode("utf-8")):
            found = key
    return found


def key_id(key: SecretStr) -> str:
    """A short stable name for a key (rate-limit buckets, logs) that does not reveal it."""
    return hashlib.sha256(key.get_secret_value().encode("utf-8")).hexdigest()[:16]


def check_api_key(presented: str | None, keys: Iterable[SecretStr]) -> None:
    """Raise Unauthorized unless `presented` equals one of the configured keys."""
    if not presented:
        raise Unauthorized(f"missing {API_KEY_HEADER} header: this endpoint needs an API key")
    if matching_key(presented, keys) is None:
        raise Unauthorized(f"invalid {API_KEY_HEADER}")


def sign_webhook(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The signature MLflow would send for this delivery (also used by tests)."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


class ReplayGuard:
    """Remembers delivery ids seen within the tolerance window."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, delivery_id: str, now: float) -> bool:
        with self._lock:
            for key in [k for k, t in self._seen.items() if now - t > 2 * self.window_s]:
                del self._seen[key]
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = now
            return True


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secret: SecretStr,
    guard: ReplayGuard,
    tolerance_s: float,
    now: float | None = None,
) -> None:
    """Raise Unauthorized unless the delivery is signed with `secret`, fresh and not replayed."""
    signature = headers.get(SIGNATURE_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER)
    delivery_id = headers.get(DELIVERY_ID_HEADER)
    if not signature or not timestamp or not delivery_id:
        raise Unauthorized(
            f"webhook needs {SIGNATURE_HEADER}, {TIMESTAMP_HEADER} and {DELIVERY_ID_HEADER} headers "
            "(create the MLflow webhook with secret=WEBHOOK_SECRET)"
        )
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise Unauthorized(f"{TIMESTAMP_HEADER} is not a unix timestamp (up to 12 ASCII digits)")
    if not _DELIVERY_ID.fullmatch(delivery_id) or len(signature) > _MAX_SIGNATURE_CHARS:
        raise Unauthorized(f"{DELIVERY_ID_HEADER} or {SIGNATURE_HEADER} is not in the form MLflow sends")
    sent_at = int(timestamp)
    now = time.time() if now is None else now
    if abs(now - sent_at) > tolerance_s:
        raise Unauthorized(
            f"webhook timestamp is more than {int(tolerance_s)} s from now (replay or clock skew)"
        )
    expected = sign_webhook(secret.get_secret_value(), delivery_id, timestamp, body)
    if not hmac.compare_digest(signature.encode("utf-8"), expected.encode("utf-8")):
        raise Unauthorized("webhook signature does not match WEBHOOK_SECRET")
    if not guard.first_time(delivery_id, now):
        raise Unauthorized(f"webhook delivery {delivery_id} was already received (replay)")
