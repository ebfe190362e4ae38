"""Sources that point at a running fixture site: what the demo and the tests crawl offline.

`fixture_source_entries` covers the crawler's test pages (feeds, sitemap, listing, faults);
`demo_source_entries` covers only the demo news set under /demo/ (four synthetic outlets,
three weeks of stories) that `make demo` crawls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from crawler.sources import SourceConfig, parse_sources
from crawler.testing.demo_news import load_demo_news
from crawler.testing.fixture_site import FixtureSite

__all__ = [
    "KOREAN_FIXTURE_ARTICLES",
    "demo_source_entries",
    "demo_sources",
    "fixture_source_entries",
    "fixture_sources",
    "korean_fixture_source_entries",
    "korean_fixture_sources",
    "write_demo_sources",
    "write_fixture_sources",
]


def fixture_source_entries(site: FixtureSite, *, include_faults: bool = False) -> list[dict[str, Any]]:
    """sources.yaml entries (plain dicts) for the fixture site's feeds, sitemap and listing page."""
    common = {"language": "en", "allowed_hosts": [site.netloc], "verified": True, "schedule": "every 60m"}
    entries: list[dict[str, Any]] = [
        {"name": "fixture-times-rss", "country": "USA", "category": "outlet", "kind": "rss",
         "urls": [site.url("/feeds/rss.xml")]},
        {"name": "fixture-times-atom", "country": "JPN", "category": "outlet", "kind": "atom",
         "urls": [site.url("/feeds/atom.xml")]},
        {"name": "fixture-times-sitemap", "country": "USA", "category": "outlet", "kind": "sitemap",
         "urls": [site.url("/sitemap_index.xml")]},
        {"name": "partner-daily", "country": "IND", "category": "outlet", "kind": "listing",
         "urls": [site.url("/listing.html")], "selector": "a.story-link"},
    ]  # fmt: skip
    if include_faults:
        entries.append({"name": "fixture-faults", "country": "USA", "category": "outlet", "kind": "rss",
                        "urls": [site.url("/feeds/faults.xml")]})  # fmt: skip
    return [{**common, **e} for e in entries]


# The Korean-language outlet of the fixture site (site/ko/): three stories in its feed.
KOREAN_FIXTURE_ARTICLES = (
    "/ko/articles/north-korea-russia-troops.html",
    "/ko/articles/korea-us-tariff-summit.html",
    "/ko/articles/japan-korea-export-curbs.html",
)


def korean_fixture_source_entries(site: FixtureSite) -> list[dict[str, Any]]:
    """sources.yaml entry for the fixture site's Korean-language outlet (its own feed, /ko/rss.xml)."""
    return [
        {"name": "fixture-ilbo-ko", "country": "KOR", "category": "outlet", "kind": "rss",
         "urls": [site.url("/ko/rss.xml")], "language": "ko", "allowed_hosts": [site.netloc],
         "verified": True, "schedule": "every 60m"},
    ]  # fmt: skip


def korean_fixture_sources(site: FixtureSite) -> list[SourceConfig]:
    return parse_sources({"sources": korean_fixture_source_entries(site)}, "fixture site (Korean)")


def fixture_sources(site: FixtureSite, *, include_faults: bool = False) -> list[SourceConfig]:
    return parse_sources(
        {"sources": fixture_source_entries(site, include_faults=include_faults)}, "fixture site"
    )


def write_fixture_sources(site: FixtureSite, path: Path, *, include_faults: bool = False) -> Path:
    """Write a sources.yaml for the running site (for `crawler run --sources-file PATH`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"sources": fixture_source_entries(site, include_faults=include_faults)}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def demo_source_entries(site: FixtureSite) -> list[dict[str, Any]]:
    """sources.yaml entries for the demo outlets: one RSS source each (all its edition feeds),
    plus a sitemap source for outlets that publish one (their feed only holds the newest items)."""
    news = load_demo_news()
    common = {"category": "outlet", "verified": True, "schedule": "every 60m"}
    entries: list[dict[str, Any]] = []
    for outlet in news.outlets.values():
        # A fresh allowed_hosts list per entry: a shared one would be dumped as a YAML anchor.
        base = {
            "country": outlet.country,
            "language": outlet.language,
            "allowed_hosts": [site.netloc],
            **common,
        }
        feeds = [site.url(outlet.feed_path(lang)) for lang in news.languages(outlet)]
        entries.append({"name": outlet.source, "kind": "rss", "urls": feeds, **base})
        if outlet.sitemap_source:
            sitemap = site.url(f"{outlet.prefix}/sitemap_index.xml")
            entries.append({"name": outlet.sitemap_source, "kind": "sitemap", "urls": [sitemap], **base})
    return entries


def demo_sources(site: FixtureSite) -> list[SourceConfig]:
    return parse_sources({"sources": demo_source_entries(site)}, "demo news set")


def write_demo_sources(site: FixtureSite, path: Path) -> Path:
    """Write a sources.yaml with just the demo outlets (for `crawler run --sources-file PATH`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"sources": demo_source_entries(site)}, sort_keys=False), encoding="utf-8")
    return path
