"""Content-Encoding decoded as the bytes arrive, never past the body limit.

HTTP clients inflate each network chunk whole: a 64 KiB gzip chunk of zeros becomes 64 MiB in
memory before any size check can run. Here every decompressor call is capped (zlib's
`max_length`, brotli's `output_buffer_limit`) to what is left of the limit, so at most the
limit plus one small piece is ever inflated; the caller refuses the body the moment it passes.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Protocol

from crawler.errors import FetchError

__all__ = ["ACCEPT_ENCODING", "BodyTooLarge", "decoded"]

ACCEPT_ENCODING = "gzip, deflate, br"
_PIECE = 64 * 1024  # the most one decompressor call may produce


class BodyTooLarge(Exception):
    """The decoded body passed the limit (raised as soon as it does)."""


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip (members back to back allowed) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._gzip and not self._started and data:
            self._started = True
            try:  # zlib header present? else raw deflate
                zlib.decompressobj(zlib.MAX_WBITS).decompress(data[:2])
            except zlib.error:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            while data:
                out = self._d.decompress(data, _PIECE)
                if out:
                    yield out
                if self._d.eof and self._gzip and self._d.unused_data:
                    data = self._d.unused_data  # the next gzip member
                    self._d = zlib.decompressobj(self._wbits)
                else:
                    data = self._d.unconsumed_tail
        except zlib.error as exc:
            raise ValueError(f"broken compressed body ({exc})") from None

    def finish(self) -> Iterator[bytes]:
        # All input consumed; what zlib still holds is at most one match (258 bytes).
        try:
            out = b"" if self._d.eof else self._d.flush()
        except zlib.error as exc:
            raise ValueError(f"broken compressed body ({exc})") from None
        if out:
            yield out


class _Brotli:
    def __init__(self) -> None:
        import brotli

        self._brotli = brotli
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._d.process(data, output_buffer_limit=_PIECE)
            while out:  # drain what the capped call left inside, piece by piece
                yield out
                if self._d.is_finished():
                    return
                out = self._d.process(b"", output_buffer_limit=_PIECE)
        except self._brotli.error as exc:
            raise ValueError(f"broken brotli body ({exc})") from None

    def finish(self) -> Iterator[bytes]:
        return iter(())


def _decoder(encoding: str) -> _Decoder:
    codings = [
        c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"
    ]
    if not codings:
        return _Identity()
    if len(codings) > 1:
        raise ValueError(f"stacked content codings {encoding!r} are not accepted")
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if coding == "deflate":
        return _Zlib(gzip=False)
    if coding == "br":
        return _Brotli()
    raise ValueError(f"unsupported content coding {coding!r} (accepted: {ACCEPT_ENCODING})")


async def decoded(raw: AsyncIterator[bytes], encoding: str | None, limit: int, url: str) -> bytes:
    """The body of `raw` decoded per `encoding`; BodyTooLarge once it passes `limit` bytes,
    FetchError for an unknown coding or a broken stream."""
    try:
        decoder = _decoder(encoding or "")
    except ValueError as exc:
        raise FetchError(url, str(exc)) from None
    pieces: list[bytes] = []
    size = 0

    def take(out: Iterator[bytes]) -> None:
        nonlocal size
        for piece in out:
            size += len(piece)
            if size > limit:
                raise BodyTooLarge
            pieces.append(piece)

    received = 0
    try:
        async for chunk in raw:
            received += len(chunk)
            if received > limit:  # compressed or not, nothing bigger than the limit is read
                raise BodyTooLarge
            take(decoder.feed(chunk))
        take(decoder.finish())
    except ValueError as exc:
        raise FetchError(url, str(exc)) from None
    return b"".join(pieces)
