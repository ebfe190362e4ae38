"""Decompression bombs from the fixture site: refused with no more than the body limit inflated.

Each bomb is ~100 KB on the wire and 100 MB inflated (gzip, deflate, brotli). Python-level
peak memory during the fetch is measured with tracemalloc (zlib's and brotli's output buffers
are Python bytes, so they are counted); the same bomb read the way httpx decodes it (each
network chunk inflated whole) is measured beside it as the baseline.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from crawler.errors import FetchError
from crawler.fetcher import Fetcher
from crawler.settings import CrawlerSettings
from crawler.testing import FixtureSite
from crawler.testing.fixture_site import BOMB_INFLATED_BYTES
from tests.reliability.figures import record_figures

LIMIT = 1_000_000
FIGURES: dict[str, dict[str, float]] = {}


def _peak_mb(action: object) -> float:
    tracemalloc.start()
    try:
        action()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _httpx_decoding(url: str) -> None:
    """What the fetcher did before: count decoded chunks from httpx, stop past the limit."""
    size = 0
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip, deflate, br"}) as resp:
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > LIMIT:
                return


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_a_bomb_is_refused_with_at_most_the_limit_inflated(site: FixtureSite, coding: str) -> None:
    url = site.url(f"/bomb/{coding}.html")
    with httpx.stream("GET", url) as warm:  # the site builds the bomb once, outside the measurement
        wire = sum(len(c) for c in warm.iter_raw())
    settings = CrawlerSettings(
        allow_private_addresses=True,
        max_response_bytes=LIMIT,
        max_retries=0,
        per_host_min_interval_s=0.0,
        request_deadline_s=20.0,
    )

    def fetch() -> None:
        async def go() -> None:
            async with Fetcher(settings) as fetcher:
                await fetcher.fetch(url, allows=lambda _u: True)

        with pytest.raises(FetchError, match=f"larger than {LIMIT} bytes"):
            asyncio.run(go())

    ours = _peak_mb(fetch)
    baseline = _peak_mb(lambda: _httpx_decoding(url))
    assert ours < 3 * LIMIT / 1e6, f"{coding}: peak {ours:.1f} MB for a {LIMIT / 1e6:.0f} MB limit"
    FIGURES[coding] = {
        "wire_kb": round(wire / 1e3, 1),
        "inflated_mb": BOMB_INFLATED_BYTES / 1e6,
        "peak_mb": round(ours, 2),
        "httpx_decoding_peak_mb": round(baseline, 1),
    }


@pytest.fixture(scope="module", autouse=True)
def record_bomb_figures() -> Iterator[None]:
    """After the module's tests (a fixture, not a test): the figures for RELIABILITY.md."""
    yield
    if FIGURES:
        record_figures(
            "decompression-bombs",
            title="Decompression bombs sent to the crawler",
            section="bad-input",
            broken=f"the fixture site answered with {', '.join(FIGURES)} bodies of "
            f"{BOMB_INFLATED_BYTES / 1e6:.0f} MB inflated; the crawler's body limit was {LIMIT / 1e6:.0f} MB",
            observed="each fetch failed with 'response larger than the limit'; Python peak memory "
            "(tracemalloc) stayed near the limit, against tens of MB when httpx inflates each "
            "network chunk whole",
            figures={
                **{coding: dict(values) for coding, values in FIGURES.items()},
                # asserted per bomb: peak below 3x the limit
                "refused_with_more_than_the_limit": 0,
            },
        )
