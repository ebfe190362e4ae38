"""The polite HTTP fetcher: every rule a request must pass, in one place.

Order for each hop: host allowed by the source -> address is public -> robots.txt allows ->
per-host gate (concurrency + interval) -> request with timeouts and a wall-clock deadline ->
body read and decoded with a size cap (compressed bodies inflated piece by piece, never past the
cap) -> retry with backoff on 429/5xx/timeouts (honouring Retry-After) -> redirects followed by
hand so each hop is checked again. Connections go to the addresses the guard checked (the
default transport is `crawler.pinned_transport`). httpx errors become FetchError here. The
transport is injectable (tests pass a real local server; unit tests may pass a MockTransport).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import gzip
import io
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Self
from urllib.parse import urlsplit

import httpx

from crawler.decompress import ACCEPT_ENCODING, BodyTooLarge, decoded
from crawler.errors import BlockedURL, FetchError
from crawler.http_cache import ValidatorStore
from crawler.netguard import AddressGuard
from crawler.pinned_transport import pinned_transport
from crawler.politeness import HostGates
from crawler.robots import RobotsCache
from crawler.settings import CrawlerSettings
from crawler.urls import resolve

__all__ = ["ContentKind", "FetchResult", "Fetcher"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_XML = frozenset(
    {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml"}
)


class ContentKind(Enum):
    """What the caller expects; decides the accepted Content-Types."""

    HTML = frozenset({"text/html", "application/xhtml+xml"})
    FEED = _XML | {"text/plain"}
    SITEMAP = _XML | {"text/plain", "application/gzip", "application/x-gzip"}


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    content_type: str
    content: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


class Fetcher:
    """One per crawler process (or per `crawler run`): owns the client, gates and robots cache."""

    def __init__(
        self,
        settings: CrawlerSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        validators: ValidatorStore | None = None,
        guard: AddressGuard | None = None,
    ) -> None:
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.request_deadline_s,
        )
        self.guard = guard or AddressGuard(settings.allow_private_addresses)
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        self._client = httpx.AsyncClient(
            transport=transport or pinned_transport(self.guard, limits),
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self.gates = HostGates(settings.per_host_concurrency, settings.per_host_min_interval_s)
        self.robots = RobotsCache(self._fetch_robots, settings.user_agent)
        self.validators = validators or ValidatorStore()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        allows: Callable[[str], bool],
        kind: ContentKind = ContentKind.HTML,
        conditional: bool = False,
    ) -> FetchResult:
        """GET `url` under every rule; raise FetchError (BlockedURL for refusals) with the reason."""
        headers = {}
        if conditional:
            saved = self.validators.get(url)
            if "etag" in saved:
                headers["If-None-Match"] = saved["etag"]
            if "last_modified" in saved:
                headers["If-Modified-Since"] = saved["last_modified"]
        seen = [url]
        current = url
        for _ in range(self.settings.max_redirects + 1):
            if not allows(current):
                raise BlockedURL(current, f"host {urlsplit(current).netloc!r} is not allowed for this source")
            await self.guard.check(current)
            rules = await self.robots.check(current)
            netloc = urlsplit(current).netloc
            delay = rules.crawl_delay(self.settings.user_agent)
            if delay:
                self.gates.get(netloc).slow_down(min(delay, 60.0))
            status, resp_headers, body = await self._get_with_retries(current, headers)
            if status in _REDIRECT_STATUS and resp_headers.get("location"):
                target = resolve(current, resp_headers["location"])
                if target is None:
                    raise FetchError(url, f"redirect to a non-http URL {resp_headers['location']!r}")
                if target in seen:
                    raise FetchError(url, f"redirect loop ({' -> '.join([*seen, target])})")
                seen.append(target)
                current = target
                continue
            return self._result(url, current, status, resp_headers, body, kind)
        raise FetchError(url, f"too many redirects (more than {self.settings.max_redirects})")

    def _result(
        self, url: str, final: str, status: int, headers: httpx.Headers, body: bytes, kind: ContentKind
    ) -> FetchResult:
        ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        result = FetchResult(
            url, final, status, ctype, body, headers.get("etag"), headers.get("last-modified")
        )
        if status == 304:
            return result
        if status >= 400 or status < 200:
            raise FetchError(url, f"HTTP {status}")
        if ctype and ctype not in kind.value:
            raise FetchError(url, f"unexpected content type {ctype!r} (wanted {kind.name.lower()})")
        if ctype in ("application/gzip", "application/x-gzip") or body[:2] == b"\x1f\x8b":
            result = self._gunzip(result)
        return result

    def _gunzip(self, result: FetchResult) -> FetchResult:
        limit = self.settings.max_response_bytes
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(result.content)) as fh:
                data = fh.read(limit + 1)
        except (OSError, EOFError) as exc:
            raise FetchError(result.url, f"broken gzip body ({exc})") from None
        if len(data) > limit:
            raise FetchError(result.url, f"response larger than {limit} bytes once decompressed")
        return FetchResult(result.url, result.final_url, result.status, "application/xml", data)

    async def _get_with_retries(self, url: str, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        gate = self.gates.get(urlsplit(url).netloc)
        attempts = self.settings.max_retries + 1
        last = ""
        for attempt in range(attempts):
            try:
                async with gate.slot():
                    status, resp_headers, body = await self._get_once(url, headers)
            except FetchError as exc:
                if not exc.reason.startswith(("timed out", "connection")):
                    raise
                last, wait = exc.reason, self._backoff(attempt)
            else:
                if status not in _RETRY_STATUS:
                    return status, resp_headers, body
                last = f"HTTP {status}"
                asked = _retry_after_s(resp_headers.get("retry-after"))
                if asked is not None and asked > self.settings.max_retry_after_s:
                    raise FetchError(url, f"HTTP {status} with Retry-After {asked:.0f}s (over the cap)")
                wait = asked if asked is not None else self._backoff(attempt)
                if status in (429, 503):
                    gate.pause(wait)
            if attempt + 1 < attempts:
                await asyncio.sleep(wait)
        raise FetchError(url, f"{last} after {attempts} attempt(s)")

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff_base_s * (2**attempt)
        return base * (0.5 + random.random() / 2)

    async def _get_once(self, url: str, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        limit = self.settings.max_response_bytes
        try:
            async with asyncio.timeout(self.settings.request_deadline_s):
                async with self._client.stream("GET", url, headers=headers) as resp:
                    declared = resp.headers.get("content-length", "").strip()
                    if declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
                        raise FetchError(
                            url, f"response larger than {limit} bytes (Content-Length {declared[:20]})"
                        )
                    raw, encoding = resp.aiter_raw(), resp.headers.get("content-encoding")
                    if resp.is_stream_consumed:  # built in memory (a MockTransport): already decoded
                        raw, encoding = _one_chunk(resp.content), None
                    try:
                        body = await decoded(raw, encoding, limit, url)
                    except BodyTooLarge:
                        raise FetchError(url, f"response larger than {limit} bytes") from None
                    return resp.status_code, resp.headers, body
        except TimeoutError:
            raise FetchError(url, f"timed out (deadline {self.settings.request_deadline_s:g}s)") from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise FetchError(url, f"connection failed ({type(exc).__name__}: {exc})") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"request failed ({type(exc).__name__}: {exc})") from None

    async def _fetch_robots(self, robots_url: str) -> tuple[int, bytes]:
        """GET /robots.txt through the same gate and guard, following same-host redirects."""
        current = robots_url
        origin = urlsplit(robots_url).netloc
        for _ in range(self.settings.max_redirects + 1):
            await self.guard.check(current)
            async with self.gates.get(urlsplit(current).netloc).slot():
                status, headers, body = await self._get_once(current, {})
            if status in _REDIRECT_STATUS and headers.get("location"):
                target = resolve(current, headers["location"])
                if target is None or urlsplit(target).hostname != urlsplit(robots_url).hostname:
                    return 404, b""  # off-site robots redirect: treat as no rules
                current = target
                continue
            return status, body
        raise BlockedURL(robots_url, f"robots.txt on {origin} redirects too many times")
