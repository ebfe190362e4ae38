"""The crawler's address guard: IPv6 forms that carry IPv4, one resolution per connection (the
connection goes to the checked address, Host kept), and every redirect hop checked again.

Run with allow_private_addresses off against the fixture site on loopback: a resolver of the
test's own stands in for DNS (no internet here) and, where a test needs the loopback site to
stand in for a public one, `also_allowed` admits 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.errors import BlockedURL, FetchError
from crawler.fetcher import Fetcher
from crawler.netguard import AddressGuard, embedded_ipv4, is_public
from crawler.settings import CrawlerSettings
from crawler.testing import FixtureSite

LOOPBACK = ipaddress.ip_network("127.0.0.1/32")
PUBLIC_V4 = IPv4Address("93.184.215.14")


def _embeddings(v4: IPv4Address, suffix: int) -> dict[str, IPv6Address]:
    """Every IPv6 form that carries `v4`, with arbitrary bits where the form has free bits."""
    n = int(v4)
    return {
        "mapped ::ffff:0:0/96": IPv6Address((0xFFFF << 32) | n),
        "compatible ::/96": IPv6Address(n),
        "NAT64 64:ff9b::/96": IPv6Address((0x64FF9B << 96) | n),
        "NAT64 local 64:ff9b:1::/48 (/96 layout)": IPv6Address((0x64FF9B0001 << 80) | n),
        "6to4 2002::/16": IPv6Address((0x2002 << 112) | (n << 80) | (suffix & ((1 << 80) - 1))),
        "Teredo 2001::/32": IPv6Address(
            (0x20010000 << 96) | (int(PUBLIC_V4) << 64) | ((suffix & 0xFFFFFFFF) << 32) | (n ^ 0xFFFFFFFF)
        ),
    }


@settings(max_examples=300, deadline=None, database=None)
@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=(1 << 80) - 1))
def test_ipv6_forms_carrying_ipv4_are_judged_by_the_ipv4(v4: IPv4Address, suffix: int) -> None:
    expected = v4.is_global and not v4.is_multicast
    for form, v6 in _embeddings(v4, suffix).items():
        assert v4 in embedded_ipv4(v6), (form, v6)
        if form.startswith("NAT64 local"):
            # The operator picks the layout (RFC 6052 /48../96): every layout's IPv4 must be
            # public, so this form is never public when the one it carries is not.
            assert not is_public(str(v6)) or expected, (form, v6, v4)
        else:
            assert is_public(str(v6)) is expected, (form, v6, v4)


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 -> 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 -> 169.254.169.254 (cloud metadata)
        "64:ff9b:1:7f00:0:100::",  # local-use NAT64, /48 layout -> 127.0.0.1
        "2002:7f00:1::1",  # 6to4 -> 127.0.0.1
        "2002:a00:1::",  # 6to4 -> 10.0.0.1
        "2001:0:5db8:d70e:0:0:80ff:fffe",  # Teredo, client 127.0.0.1
        "::ffff:192.168.1.1",
        "::10.0.0.1",  # IPv4-compatible
    ],
)
def test_the_guard_refuses_ipv6_forms_that_reach_private_ipv4(address: str) -> None:
    guard = AddressGuard(allow_private=False)
    with pytest.raises(BlockedURL, match="non-public address"):
        asyncio.run(guard.check(f"http://[{address}]/feed.xml"))


def test_plain_public_ipv6_and_ipv6_carrying_public_ipv4_pass() -> None:
    for address in ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"]:
        assert is_public(address), address


def _settings(**overrides: object) -> CrawlerSettings:
    values: dict[str, object] = {
        "allow_private_addresses": False,
        "max_retries": 0,
        "connect_timeout_s": 1.0,
        "request_deadline_s": 3.0,
        "per_host_min_interval_s": 0.0,
    }
    values.update(overrides)
    return CrawlerSettings(**values)  # type: ignore[arg-type]


class _Dns:
    """A resolver that answers from a script and counts its lookups."""

    def __init__(self, answers: Callable[[str, int], list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers(host, port)


@pytest.fixture
def no_system_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any lookup that does not go through the guard's resolver fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a second DNS lookup outside the guard: {args[:2]}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", refuse)


def _fetch(fetcher: Fetcher, url: str) -> bytes:
    async def go() -> bytes:
        async with fetcher:
            return (await fetcher.fetch(url, allows=lambda _u: True)).content

    return asyncio.run(go())


def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(
    site: FixtureSite, no_system_dns: None
) -> None:
    dns = _Dns(lambda host, port: ["127.0.0.1"] if host == "news.example" else [])
    guard = AddressGuard(False, resolver=dns, also_allowed=[LOOPBACK])
    url = f"http://news.example:{site.port}/articles/seoul-tokyo-trade-pact.html"
    body = _fetch(Fetcher(_settings(), guard=guard), url)
    assert b"Seoul" in body
    # robots.txt and the page: both connections went to 127.0.0.1, addressed to news.example,
    # and the name was looked up once (the guard's check and the connection share the answer).
    assert site.hosts == {f"news.example:{site.port}": 2}
    assert dns.lookups == ["news.example"]


def test_a_rebinding_name_gets_no_second_answer(site: FixtureSite, no_system_dns: None) -> None:
    """First answer public (checked), later answers loopback: the connection uses the first."""
    dns = _Dns(lambda host, port: [str(PUBLIC_V4)] if not dns.lookups[1:] else ["127.0.0.1"])
    guard = AddressGuard(False, resolver=dns)
    url = f"http://rebind.example:{site.port}/articles/seoul-tokyo-trade-pact.html"
    with pytest.raises(FetchError) as caught:
        _fetch(Fetcher(_settings(), guard=guard), url)  # no internet: the public address fails
    assert "connection failed" in str(caught.value) and "non-public" not in str(caught.value), caught.value
    assert dns.lookups == ["rebind.example"]
    assert sum(site.hits.values()) == 0, site.hits  # the loopback site never saw a request


def test_a_name_resolving_to_loopback_is_refused_at_the_connection(site: FixtureSite) -> None:
    """The backend itself refuses (not only the fetcher's pre-check): a client that skipped
    the pre-check still cannot connect."""
    from crawler.pinned_transport import pinned_transport

    dns = _Dns(lambda host, port: ["127.0.0.1"])
    guard = AddressGuard(False, resolver=dns)

    async def go() -> None:
        transport = pinned_transport(guard, httpx.Limits())
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get(f"http://internal.example:{site.port}/robots.txt")

    with pytest.raises(BlockedURL, match=r"non-public address 127\.0\.0\.1"):
        asyncio.run(go())
    assert sum(site.hits.values()) == 0


def test_every_redirect_hop_is_checked_again(site: FixtureSite, no_system_dns: None) -> None:
    """A public page redirecting to a name that resolves to a private address."""
    dns = _Dns(lambda host, port: ["127.0.0.1"] if host == "news.example" else ["10.0.0.7"])
    guard = AddressGuard(False, resolver=dns, also_allowed=[LOOPBACK])
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(302, headers={"Location": "http://intranet.example/admin"})

    fetcher = Fetcher(_settings(), guard=guard, transport=httpx.MockTransport(handler))
    with pytest.raises(BlockedURL, match=r"10\.0\.0\.7"):
        _fetch(fetcher, f"http://news.example:{site.port}/story.html")
    assert requested == [
        f"http://news.example:{site.port}/robots.txt",
        f"http://news.example:{site.port}/story.html",
    ]
