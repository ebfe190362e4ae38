"""URL canonicalisation, entry-point parsing and extraction on the committed fixture pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crawler.discovery import parse_feed, parse_listing, parse_sitemap
from crawler.errors import ParseError
from crawler.extract import content_hash, extract_article
from crawler.source_run import _run_bounded
from crawler.testing import SITE_DIR
from crawler.urls import canonicalize, resolve
from newsmodel.errors import DependencyUnavailable

BASE = "http://news.test"


def page(rel: str) -> bytes:
    return (SITE_DIR / rel).read_bytes().replace(b"{{BASE}}", BASE.encode())


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://News.Test:80/a/../b.html?utm_source=x&b=2&a=1#top", "http://news.test/b.html?a=1&b=2"),
        ("https://news.test:443/story?fbclid=abc&id=7", "https://news.test/story?id=7"),
        ("https://news.test", "https://news.test/"),
        ("http://127.0.0.1:8080/x.html?gclid=1", "http://127.0.0.1:8080/x.html"),
    ],
)
def test_canonicalize(url: str, canonical: str) -> None:
    assert canonicalize(url) == canonical


def test_canonicalize_and_resolve_refuse_non_http() -> None:
    with pytest.raises(ValueError):
        canonicalize("ftp://news.test/x")
    with pytest.raises(ValueError, match="longer than 2048"):
        canonicalize("https://news.test/" + "a" * 2100)
    assert resolve(BASE + "/a/", "mailto:x@y.z") is None
    assert resolve(BASE + "/a/", "javascript:void(0)") is None
    assert resolve(BASE + "/a/", "b.html") == BASE + "/a/b.html"


def test_feeds() -> None:
    rss = parse_feed(page("feeds/rss.xml"), BASE + "/feeds/rss.xml")
    assert len(rss) == 6
    assert rss[3].url == BASE + "/articles/pyongyang-missile-test.html"  # relative link resolved
    assert rss[0].published_at is not None and rss[0].published_at.isoformat() == "2026-11-18T00:30:00+00:00"
    atom = parse_feed(page("feeds/atom.xml"), BASE + "/feeds/atom.xml")
    assert [a.url.rsplit("/", 1)[1] for a in atom] == [
        "tokyo-beijing-islands.html",
        "seoul-tokyo-trade-pact.html",
    ]
    with pytest.raises(ParseError, match="malformed feed"):
        parse_feed(page("feeds/broken.xml"), BASE + "/feeds/broken.xml")
    with pytest.raises(ParseError):
        parse_feed(page("listing.html"), BASE + "/listing.html")


def test_sitemaps() -> None:
    index = parse_sitemap(page("sitemap_index.xml"), BASE + "/sitemap_index.xml")
    assert index.children == [BASE + "/sitemaps/news.xml"] and index.links == []
    news = parse_sitemap(page("sitemaps/news.xml"), BASE + "/sitemaps/news.xml")
    assert len(news.links) == 3
    assert news.links[0].published_at is not None and news.links[0].title is not None
    with pytest.raises(ParseError, match="malformed sitemap XML"):
        parse_sitemap(b"<urlset><url><loc>x", BASE)
    with pytest.raises(ParseError, match="not a sitemap"):
        parse_sitemap(b"<rss/>", BASE)


def test_sitemap_entities_are_never_expanded(tmp_path: Path) -> None:
    """XXE: a hostile sitemap must not read local files into URLs."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://news.test/&x;</loc></url></urlset>'
    ).encode()
    links = parse_sitemap(xxe, BASE).links
    assert [link.url for link in links] == ["http://news.test/"]


def test_listing_selector() -> None:
    links = parse_listing(page("listing.html"), BASE + "/listing.html", "a.story-link")
    assert [link.url for link in links] == [
        BASE + "/partner/summit-copy.html",
        BASE + "/partner/kremlin-statement.html?ref=homepage",
    ]
    assert canonicalize(links[1].url) == BASE + "/partner/kremlin-statement.html"


def test_extraction_and_the_syndication_hash() -> None:
    original = extract_article(page("wire/summit-wire-story.html"), BASE + "/wire/summit-wire-story.html")
    copy = extract_article(page("partner/summit-copy.html"), BASE + "/partner/summit-copy.html")
    assert original.title == "India and Japan leaders pledge to boost high-speed rail and security ties"
    assert original.language == "en"
    assert (
        original.published_at is not None and original.published_at.isoformat() == "2026-11-19T06:00:00+00:00"
    )
    assert "Fixture Times" not in original.text and "Partner Daily" not in copy.text
    assert content_hash(original.text) == content_hash(copy.text)
    assert content_hash(original.text) != content_hash(original.text + " Updated.")
    with pytest.raises(ParseError, match="no article text"):
        extract_article(page("empty.html"), BASE + "/empty.html")


def test_an_escaping_error_is_reraised_as_itself() -> None:
    async def boom() -> None:
        raise DependencyUnavailable("database", "DATABASE_URL", "x", "gone")

    async def fine() -> None:
        await asyncio.sleep(0)

    with pytest.raises(DependencyUnavailable, match="set DATABASE_URL"):
        asyncio.run(_run_bounded([fine, boom, fine]))
