"""Reading a /metrics endpoint in tests: samples by name and labels, parsed, not string-matched."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["SampleKey", "labels", "scrape"]

SampleKey = tuple[str, frozenset[tuple[str, str]]]


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    """The label part of a SampleKey: `labels(reason="budget")`."""
    return frozenset(pairs.items())


def scrape(url: str) -> dict[SampleKey, float]:
    """GET a Prometheus text endpoint: {(sample name, labels): value}."""
    text = httpx.get(url, timeout=5).raise_for_status().text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
