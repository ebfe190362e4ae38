"""Refuse private, loopback and link-local addresses before any request leaves the process.

A feed or a redirect can point anywhere (SSRF): every hop's host is resolved and each address
it resolves to must be globally routable. Tests and the demo serve the fixture site on
loopback, so `allow_private_addresses=True` turns the check off there and nowhere else.
Residual risk, stated plainly: the HTTP library resolves the name again when it connects, so
a DNS server that answers differently within the cache window (rebinding) is not stopped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from urllib.parse import urlsplit

from crawler.errors import BlockedURL

__all__ = ["AddressGuard"]

_CACHE_TTL_S = 60.0


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class AddressGuard:
    """Resolves hosts (cached for a minute) and raises BlockedURL for non-public addresses."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}

    async def _resolve(self, host: str, port: int) -> list[str]:
        key = (host, port)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit and now - hit[0] < _CACHE_TTL_S:
            return hit[1]
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = sorted({str(info[4][0]) for info in infos})
        self._cache[key] = (now, addresses)
        return addresses

    async def check(self, url: str) -> None:
        """Raise BlockedURL if the URL's host resolves to a private/loopback/link-local address."""
        if self.allow_private:
            return
        parts = urlsplit(url)
        host = (parts.hostname or "").strip("[]")
        if not host:
            raise BlockedURL(url, "URL has no host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise BlockedURL(url, f"cannot resolve host {host!r} ({exc})") from None
        private = [a for a in addresses if not _is_public(a)]
        if private:
            raise BlockedURL(
                url,
                f"host {host!r} resolves to non-public address {private[0]} "
                "(set CRAWLER_ALLOW_PRIVATE_ADDRESSES=true only for local test sites)",
            )
