"""An httpx transport whose every connection goes to an address the AddressGuard checked.

httpcore opens each TCP connection through a network backend; ours asks the guard for the
host's checked addresses (resolved once, cached with the guard's check) and connects to one of
them by IP. Everything above the socket still uses the host name: the Host header, TLS SNI
and certificate verification (httpcore takes those from the request's origin, not from the
socket), and the pool, which keys connections by origin. So there is no second DNS lookup
for a rebinding server to answer differently, and no way around the guard through a redirect,
a keep-alive connection or a retry: each new connection is checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from crawler.netguard import AddressGuard

__all__ = ["GuardedNetworkBackend", "pinned_transport"]


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects to the guard's checked addresses for a host, in the resolver's order."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.guard.addresses_for(host, port)  # BlockedURL: never connects
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # try the host's next checked address
        assert error is not None  # addresses_for never returns an empty list
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the crawler")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(guard: AddressGuard, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (TLS context, HTTP/1.1, pooling) on a GuardedNetworkBackend.

    httpx has no public parameter for a network backend, so the transport's connection pool is
    rebuilt with one; tests/crawler/test_address_guard.py fails if httpx stops using it.
    """
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedNetworkBackend(guard),
    )
    return transport
