"""Turn a fetched entry point (feed, sitemap, listing page) into candidate article links.

feedparser reads RSS and Atom (and survives most broken feeds); lxml reads sitemaps with
entities and network access off; selectolax applies the listing page's CSS selector. No
per-site scraping code: a source differs from another only by its configuration.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import feedparser
from lxml import etree
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from crawler.errors import ParseError
from crawler.urls import resolve

__all__ = ["DiscoveredLink", "SitemapPage", "parse_feed", "parse_listing", "parse_sitemap"]


@dataclass(frozen=True)
class DiscoveredLink:
    """An article URL plus what the entry point already told us about it."""

    url: str
    published_at: dt.datetime | None = None
    title: str | None = None


@dataclass
class SitemapPage:
    links: list[DiscoveredLink] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # nested sitemaps of a sitemap index


def _struct_time_to_dt(value: time.struct_time | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime(*value[:6], tzinfo=dt.UTC)


def parse_feed(body: bytes, base_url: str) -> list[DiscoveredLink]:
    """Entries of an RSS/Atom feed; raise ParseError when nothing usable could be read."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if not parsed.entries:
        if parsed.get("bozo"):
            reason = str(parsed.get("bozo_exception", "unknown error")).splitlines()[0]
            raise ParseError(base_url, f"malformed feed ({reason})")
        if not parsed.get("version"):
            raise ParseError(base_url, "not an RSS or Atom feed")
        return []
    links: list[DiscoveredLink] = []
    for entry in parsed.entries:
        href = entry.get("link") or next(
            (ln.get("href") for ln in entry.get("links", []) if ln.get("rel") == "alternate"), None
        )
        url = resolve(base_url, href) if href else None
        if url is None:
            continue
        published = _struct_time_to_dt(entry.get("published_parsed") or entry.get("updated_parsed"))
        links.append(DiscoveredLink(url, published, entry.get("title")))
    return links


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _parse_w3c_date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def parse_sitemap(body: bytes, base_url: str) -> SitemapPage:
    """A `urlset` (article URLs) or a `sitemapindex` (child sitemaps)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(base_url, f"malformed sitemap XML ({exc})") from None
    page = SitemapPage()
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(base_url, f"not a sitemap (root element <{kind}>)")
    for item in root:
        values: dict[str, str] = {}
        for child in item.iter():
            name = _local(child.tag)
            if name in ("loc", "lastmod", "publication_date", "title") and child.text:
                values.setdefault(name, child.text.strip())
        url = resolve(base_url, values.get("loc", ""))
        if url is None:
            continue
        if kind == "sitemapindex":
            page.children.append(url)
        else:
            when = _parse_w3c_date(values.get("publication_date") or values.get("lastmod"))
            page.links.append(DiscoveredLink(url, when, values.get("title")))
    return page


def parse_listing(body: bytes, base_url: str, selector: str) -> list[DiscoveredLink]:
    """Links matched by the source's CSS selector (the node itself or its first `a[href]`)."""
    tree = HTMLParser(body)
    if tree.body is None:
        raise ParseError(base_url, "listing page has no HTML body")
    links: list[DiscoveredLink] = []
    for node in tree.css(selector):
        anchor = node if node.tag == "a" and node.attributes.get("href") else node.css_first("a[href]")
        href = anchor.attributes.get("href") if anchor is not None else None
        url = resolve(base_url, href) if href else None
        if url:
            links.append(DiscoveredLink(url, None, (anchor.text(strip=True) or None) if anchor else None))
    return links
