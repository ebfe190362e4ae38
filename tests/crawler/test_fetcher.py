"""The fetcher's rules on their own: politeness timing, SSRF guard on every hop, headers."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import time

import httpx
import pytest

from crawler.errors import BlockedURL, FetchError
from crawler.fetcher import ContentKind, Fetcher, _retry_after_s
from crawler.settings import CrawlerSettings
from crawler.testing import serve


def settings(**kw: object) -> CrawlerSettings:
    base: dict[str, object] = {
        "allow_private_addresses": True,
        "per_host_min_interval_s": 0.0,
        "read_timeout_s": 2.0,
        "max_retries": 0,
        "backoff_base_s": 0.01,
    }
    return CrawlerSettings(**{**base, **kw})  # type: ignore[arg-type]


def allow_all(url: str) -> bool:
    return True


async def fetch_many(cfg: CrawlerSettings, urls: list[str]) -> float:
    async with Fetcher(cfg) as fetcher:
        await fetcher.robots.rules_for(urls[0])  # robots.txt outside the timing
        started = time.perf_counter()
        await asyncio.gather(*(fetcher.fetch(u, allows=allow_all) for u in urls))
        return time.perf_counter() - started


def test_min_interval_spaces_request_starts_on_one_host() -> None:
    with serve() as site:
        urls = [site.url(f"/gen/{n}.html") for n in range(5)]
        took = asyncio.run(fetch_many(settings(per_host_min_interval_s=0.2, per_host_concurrency=4), urls))
    assert took >= 0.75  # 5 starts, 4 gaps of 0.2 s


def test_concurrency_limit_bounds_requests_in_flight() -> None:
    with serve(latency_s=0.2) as site:
        urls = [site.url(f"/gen/{n}.html") for n in range(6)]
        serial = asyncio.run(fetch_many(settings(per_host_concurrency=1), urls))
        parallel = asyncio.run(fetch_many(settings(per_host_concurrency=6), urls))
    assert serial >= 1.15  # 6 x 0.2 s, one at a time
    assert parallel < serial / 2


def test_user_agent_from_settings_is_sent() -> None:
    with serve() as site:
        cfg = settings(user_agent="newsmodel-test-agent/1.0")

        async def go() -> None:
            async with Fetcher(cfg) as fetcher:
                await fetcher.fetch(site.url("/articles/delhi-moscow-energy.html"), allows=allow_all)

        asyncio.run(go())
    assert set(site.user_agents) == {"newsmodel-test-agent/1.0"}


def test_loopback_is_refused_by_default() -> None:
    async def go() -> None:
        async with Fetcher(settings(allow_private_addresses=False)) as fetcher:
            await fetcher.fetch("http://localhost:9/feed.xml", allows=allow_all, kind=ContentKind.FEED)

    with pytest.raises(BlockedURL, match="non-public address"):
        asyncio.run(go())


def test_a_redirect_to_a_private_address_is_refused() -> None:
    """A public page redirecting to the metadata service. The public host cannot be served
    here, so this one case uses httpx's MockTransport; the guard itself is the real one."""
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    async def go() -> None:
        cfg = settings(allow_private_addresses=False)
        async with Fetcher(cfg, transport=httpx.MockTransport(handler)) as fetcher:
            await fetcher.fetch("http://93.184.215.14/story.html", allows=allow_all)

    with pytest.raises(BlockedURL, match=r"non-public address 169\.254\.169\.254"):
        asyncio.run(go())
    assert requested == ["http://93.184.215.14/robots.txt", "http://93.184.215.14/story.html"]


def test_a_redirect_off_the_allowed_hosts_is_refused() -> None:
    with serve() as site:

        async def go() -> None:
            async with Fetcher(settings()) as fetcher:
                await fetcher.fetch(site.url("/redirect/moved.html"), allows=lambda u: "/redirect/" in u)

        with pytest.raises(BlockedURL, match="not allowed for this source"):
            asyncio.run(go())


def test_retry_after_forms() -> None:
    assert _retry_after_s("7") == 7.0
    future = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), usegmt=True)
    value = _retry_after_s(future)
    assert value is not None and 25 <= value <= 31
    assert _retry_after_s("soon") is None and _retry_after_s(None) is None


def test_retry_after_over_the_cap_fails_at_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(429, headers={"Retry-After": "3600"})

    async def go() -> None:
        async with Fetcher(settings(max_retries=3), transport=httpx.MockTransport(handler)) as fetcher:
            await fetcher.fetch("http://127.0.0.1:9/x.html", allows=allow_all)

    started = time.perf_counter()
    with pytest.raises(FetchError, match="Retry-After 3600s"):
        asyncio.run(go())
    assert time.perf_counter() - started < 2
