"""Request bodies: read within a size and a time limit, uncompressed, before any parsing.

A body over APP_MAX_BODY_BYTES is a 413 (declared or counted while streaming: a chunked upload
has no Content-Length); a body that does not arrive within APP_BODY_READ_TIMEOUT_S is a 408
(a slow upload must not hold a connection and its buffer); a compressed body is a 415: the API
never inflates what a client sends, so there is no decompression bomb to defuse here.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.middleware import send_error

__all__ = ["RequestBodyLimits"]

# Longer than any byte count we would accept: refused without int() of an arbitrary string.
_MAX_DECLARED_DIGITS = 15
_CLOSE = [(b"connection", b"close")]


class _BodyTooLarge(Exception):
    """Raised by _read the moment the counted body passes the limit."""


class RequestBodyLimits:
    """Buffer the body (at most `max_bytes`, within `timeout_s`) and replay it to the app."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def _too_large(self) -> str:
        return f"request body exceeds {self.max_bytes} bytes (limit APP_MAX_BODY_BYTES)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding not in (b"", b"identity"):
            await send_error(
                send,
                415,
                "UnsupportedMediaType",
                "compressed request bodies are not accepted: send the body uncompressed "
                "(no Content-Encoding)",
                _CLOSE,
            )
            return
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and (len(declared) > _MAX_DECLARED_DIGITS or int(declared) > self.max_bytes):
            await send_error(send, 413, "LimitExceeded", self._too_large(), _CLOSE)
            return
        try:
            async with asyncio.timeout(self.timeout_s):
                body = await self._read(receive)
        except _BodyTooLarge:
            await send_error(send, 413, "LimitExceeded", self._too_large(), _CLOSE)
            return
        except TimeoutError:
            await send_error(
                send,
                408,
                "RequestTimeout",
                f"request body not received within {self.timeout_s:g} s (limit APP_BODY_READ_TIMEOUT_S)",
                _CLOSE,
            )
            return
        if body is None:  # the client went away
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, None on disconnect; _BodyTooLarge as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
