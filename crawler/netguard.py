"""Refuse private, loopback and link-local addresses before any request leaves the process.

A feed or a redirect can point anywhere (SSRF): every hop's host is resolved and each address
it resolves to must be globally routable. An IPv6 address that carries an IPv4 address (mapped,
compatible, NAT64, 6to4, Teredo) is judged by the IPv4 address it carries: 64:ff9b::7f00:1
reaches 127.0.0.1 through a NAT64 gateway. The names are resolved once: the connection is made
to the address that was checked (`crawler.pinned_transport`), so a DNS server that answers
differently the second time (rebinding) has no second time. Tests and the demo serve the
fixture site on loopback, so `allow_private=True` turns the refusal off there and nowhere else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import urlsplit

from crawler.errors import BlockedURL

__all__ = ["AddressGuard", "Resolver", "embedded_ipv4", "is_public"]

_CACHE_TTL_S = 60.0
Resolver = Callable[[str, int], Awaitable[list[str]]]

_MAPPED = IPv6Network("::ffff:0:0/96")  # RFC 4291
_COMPATIBLE = IPv6Network("::/96")  # RFC 4291 (deprecated, still routed by some stacks)
_NAT64 = IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use prefix
_SIX_TO_FOUR = IPv6Network("2002::/16")  # RFC 3056
_TEREDO = IPv6Network("2001::/32")  # RFC 4380


def _v4(value: int) -> IPv4Address:
    return IPv4Address(value & 0xFFFFFFFF)


def _rfc6052_layouts(n: int) -> list[IPv4Address]:
    """The IPv4 address in each RFC 6052 layout a local-use NAT64 prefix may use (/48../96);
    bits 64-71 are reserved, so the /48, /56 and /64 layouts skip them."""

    def bits(start: int, length: int) -> int:
        return (n >> (128 - start - length)) & ((1 << length) - 1)

    return [
        _v4((bits(48, 16) << 16) | bits(72, 16)),  # /48
        _v4((bits(56, 8) << 24) | bits(72, 24)),  # /56
        _v4(bits(72, 32)),  # /64
        _v4(bits(96, 32)),  # /96
    ]


def embedded_ipv4(ip: IPv6Address) -> list[IPv4Address]:
    """The IPv4 address(es) an IPv6 address carries; empty for a plain IPv6 address."""
    n = int(ip)
    if ip in _MAPPED or ip in _COMPATIBLE or ip in _NAT64:
        return [_v4(n)]
    if ip in _NAT64_LOCAL:
        return _rfc6052_layouts(n)
    if ip in _SIX_TO_FOUR:
        return [_v4(n >> 80)]
    if ip in _TEREDO:
        server, client = ip.teredo or (None, None)
        return [a for a in (server, client) if a is not None]
    return []


def _global(ip: IPv4Address | IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def is_public(address: str) -> bool:
    """True when `address` (IPv4 or IPv6, optionally with a %zone) is globally routable,
    judging an IPv6 address that carries IPv4 by every IPv4 address it carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, IPv6Address):
        carried = embedded_ipv4(ip)
        if carried:
            return all(_global(v4) for v4 in carried)
    return _global(ip)


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))  # resolver order, no repeats


class AddressGuard:
    """Resolves hosts (cached for a minute) and refuses non-public addresses with BlockedURL.

    `resolver` and `also_allowed` exist for tests: a name that must resolve without the
    internet, and a loopback site standing in for a public one.
    """

    def __init__(
        self,
        allow_private: bool,
        *,
        resolver: Resolver | None = None,
        also_allowed: Sequence[IPv4Network | IPv6Network] = (),
    ) -> None:
        self.allow_private = allow_private
        self._resolver = resolver or _system_resolver
        self._also_allowed = tuple(also_allowed)
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}

    async def _resolve(self, host: str, port: int) -> list[str]:
        key = (host, port)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit and now - hit[0] < _CACHE_TTL_S:
            return hit[1]
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
            addresses = [host]
        except ValueError:
            addresses = await self._resolver(host, port)
        self._cache[key] = (now, addresses)
        return addresses

    def _allowed(self, address: str) -> bool:
        if is_public(address):
            return True
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip in network for network in self._also_allowed)

    async def addresses_for(self, host: str, port: int, url: str | None = None) -> list[str]:
        """The addresses to connect to for host:port, every one of them checked."""
        where = url or f"{host}:{port}"
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise BlockedURL(where, f"cannot resolve host {host!r} ({exc})") from None
        if not addresses:
            raise BlockedURL(where, f"host {host!r} resolves to no address")
        if self.allow_private:
            return addresses
        refused = [a for a in addresses if not self._allowed(a)]
        if refused:
            raise BlockedURL(
                where,
                f"host {host!r} resolves to non-public address {refused[0]} "
                "(set CRAWLER_ALLOW_PRIVATE_ADDRESSES=true only for local test sites)",
            )
        return addresses

    async def check(self, url: str) -> None:
        """Raise BlockedURL if the URL's host resolves to a private/loopback/link-local address."""
        if self.allow_private:
            return
        parts = urlsplit(url)
        host = (parts.hostname or "").strip("[]")
        if not host:
            raise BlockedURL(url, "URL has no host")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise BlockedURL(url, "URL has an invalid port") from None
        await self.addresses_for(host, port, url)
