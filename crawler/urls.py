"""Canonical URLs: the key that makes "seen before" cheap and syndicated links collapse.

courlan (trafilatura's own URL library) lowercases scheme and host, drops default ports,
sorts the query and strips known tracking parameters (utm_*, fbclid, gclid, ...); we add
dot-segment resolution and drop the fragment, which never names a different article.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlsplit

import courlan

__all__ = ["MAX_URL_CHARS", "canonicalize", "resolve"]

MAX_URL_CHARS = 2048  # articles.canonical_url / article_links.canonical_url are VARCHAR(2048)


def resolve(base: str, href: str) -> str | None:
    """Absolute http(s) URL of `href` found on page `base`, or None for mailto:, javascript:, ..."""
    href = href.strip()
    if not href:
        return None
    try:
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
    except ValueError:  # e.g. an unbalanced IPv6 bracket ("http://[::1"): not a usable link
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def canonicalize(url: str) -> str:
    """The canonical form used for dedupe; raises ValueError for a URL that is not http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    # urljoin with itself resolves "/a/../b" the RFC 3986 way before courlan sees it.
    resolved = urljoin(url.strip(), parts.path or "/")
    if parts.query:
        resolved = f"{resolved}?{parts.query}"
    canonical = urldefrag(courlan.normalize_url(resolved)).url
    if len(canonical) > MAX_URL_CHARS:
        raise ValueError(f"URL longer than {MAX_URL_CHARS} characters")
    return canonical
