"""The demo news set: four synthetic outlets' articles, rendered as pages, RSS feeds and sitemaps.

The stories live in one data file (`site/demo/articles.yaml`, fictional, see its README), so
a syndicated wire story is the same text on every outlet that carries it by construction;
each outlet wraps it in its own page template (header, navigation, byline, footer), as real
sites do, and the crawler must see through that to store it once. The fixture site serves
these pages under `/demo/`; `crawler.testing.sources.demo_source_entries` points sources at
them. Paths, all under `/demo/<outlet>/`:

    rss.xml                               the outlet's feed (newest `feed_items`, or all)
    <lang>/rss.xml                        an edition feed for articles in another language
    news/<slug>.html                      an article (`<lang>/news/<slug>.html` in an edition)
    sitemap_index.xml, sitemaps/<YYYY-MM>.xml   news sitemaps (outlets with `sitemap_source`)
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import format_datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from newsmodel.errors import ConfigError

__all__ = ["DEMO_DATA", "DEMO_PREFIX", "DemoArticle", "DemoNews", "DemoOutlet", "load_demo_news"]

DEMO_DATA = Path(__file__).resolve().parent / "site" / "demo" / "articles.yaml"
DEMO_PREFIX = "/demo"
_RSS = "application/rss+xml; charset=utf-8"
_SITEMAP = "application/xml; charset=utf-8"
_HTML = "text/html; charset=utf-8"
_SECTIONS = ("World", "Politics", "Business", "Opinion")


@dataclass(frozen=True)
class DemoOutlet:
    """One synthetic outlet: its key in paths, display name, source name(s) and home country."""

    key: str
    name: str
    source: str
    country: str
    language: str = "en"
    feed_items: int | None = None
    sitemap_source: str | None = None

    @property
    def prefix(self) -> str:
        return f"{DEMO_PREFIX}/{self.key}"

    def feed_path(self, language: str) -> str:
        return f"{self.prefix}/rss.xml" if language == self.language else f"{self.prefix}/{language}/rss.xml"


@dataclass(frozen=True)
class DemoArticle:
    """One story as its origin outlet published it; `copies` name the outlets that syndicate it."""

    slug: str
    outlet: str
    published: dt.datetime
    title: str
    paragraphs: tuple[str, ...]
    language: str = "en"
    copies: tuple[str, ...] = ()

    @property
    def outlets(self) -> tuple[str, ...]:
        return (self.outlet, *self.copies)

    def path(self, outlet: DemoOutlet) -> str:
        edition = "" if self.language == outlet.language else f"/{self.language}"
        # No date in the path: htmldate would prefer a URL date (midnight, no offset) to the meta tag.
        return f"{outlet.prefix}{edition}/news/{self.slug}.html"


@dataclass(frozen=True, eq=False)
class DemoNews:
    """The loaded set; `render(path, base)` answers a request under /demo/ (None: not found)."""

    outlets: dict[str, DemoOutlet]
    articles: tuple[DemoArticle, ...]

    def pages(self) -> Iterator[tuple[str, DemoArticle, DemoOutlet]]:
        """Every article page: (path, story, outlet that publishes this copy), copies included."""
        for article in self.articles:
            for key in article.outlets:
                outlet = self.outlets[key]
                yield article.path(outlet), article, outlet

    def published_by(self, outlet: DemoOutlet) -> list[DemoArticle]:
        """The outlet's stories (own and syndicated), newest first."""
        own = [a for a in self.articles if outlet.key in a.outlets]
        return sorted(own, key=lambda a: a.published, reverse=True)

    def languages(self, outlet: DemoOutlet) -> list[str]:
        found = {a.language for a in self.published_by(outlet)} | {outlet.language}
        return [outlet.language, *sorted(found - {outlet.language})]

    def render(self, path: str, base: str) -> tuple[bytes, str] | None:
        target = self._routes.get(path.rstrip("/") or "/")
        if target is None:
            return None
        kind, outlet, extra = target
        if kind == "index":
            return _index_page(self, base).encode(), _HTML
        if kind == "front":
            return _front_page(self, outlet, base).encode(), _HTML
        if kind == "feed":
            return _feed(self, outlet, extra, base).encode(), _RSS
        if kind == "sitemap_index":
            return _sitemap_index(self, outlet, base).encode(), _SITEMAP
        if kind == "sitemap":
            return _sitemap(self, outlet, extra, base).encode(), _SITEMAP
        article = next(a for a in self.articles if a.slug == extra)
        origin = self.outlets[article.outlet]
        return _article_page(article, outlet, origin, base).encode(), _HTML

    @cached_property
    def _routes(self) -> dict[str, tuple[str, DemoOutlet, str]]:
        """Every servable path -> (kind, outlet, detail), built once."""
        first = next(iter(self.outlets.values()))
        routes: dict[str, tuple[str, DemoOutlet, str]] = {DEMO_PREFIX: ("index", first, "")}
        for outlet in self.outlets.values():
            routes[outlet.prefix] = ("front", outlet, "")
            for language in self.languages(outlet):
                routes[outlet.feed_path(language)] = ("feed", outlet, language)
            if outlet.sitemap_source:
                routes[f"{outlet.prefix}/sitemap_index.xml"] = ("sitemap_index", outlet, "")
                for month in _months(self, outlet):
                    routes[f"{outlet.prefix}/sitemaps/{month}.xml"] = ("sitemap", outlet, month)
        for path, article, outlet in self.pages():
            routes[path] = ("article", outlet, article.slug)
        return routes


def _months(news: DemoNews, outlet: DemoOutlet) -> list[str]:
    return sorted({f"{a.published:%Y-%m}" for a in news.published_by(outlet)})


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _article_page(article: DemoArticle, outlet: DemoOutlet, origin: DemoOutlet, base: str) -> str:
    byline = f"By {outlet.name} staff" if origin is outlet else f"Wire report from {origin.name}"
    nav = " ".join(f'<a href="{outlet.prefix}/{s.lower()}/">{s}</a>' for s in _SECTIONS)
    body = "\n".join(f"      <p>{_esc(p)}</p>" for p in article.paragraphs)
    stamp = article.published.isoformat()
    return f"""<!DOCTYPE html>
<html lang="{article.language}">
<head>
  <meta charset="utf-8">
  <title>{_esc(article.title)} | {_esc(outlet.name)}</title>
  <meta property="og:title" content="{_esc(article.title)}">
  <meta property="og:site_name" content="{_esc(outlet.name)}">
  <meta property="og:type" content="article">
  <meta property="article:published_time" content="{stamp}">
  <link rel="canonical" href="{base}{article.path(outlet)}">
</head>
<body>
  <header><a href="{outlet.prefix}/">{_esc(outlet.name)}</a>
    <nav>{nav}</nav>
  </header>
  <main>
    <article>
      <h1>{_esc(article.title)}</h1>
      <p class="byline">{_esc(byline)}</p>
{body}
    </article>
    <aside><h2>More from {_esc(outlet.name)}</h2><ul><li><a href="{outlet.prefix}/">Latest news</a></li></ul></aside>
  </main>
  <footer><p>{_esc(outlet.name)} is a synthetic outlet of the newsmodel demo; its stories are fictional.</p></footer>
</body>
</html>
"""


def _feed(news: DemoNews, outlet: DemoOutlet, language: str, base: str) -> str:
    stories = [a for a in news.published_by(outlet) if a.language == language]
    if outlet.feed_items is not None:
        stories = stories[: outlet.feed_items]
    items = "".join(
        f"""
    <item>
      <title>{_esc(a.title)}</title>
      <link>{base}{a.path(outlet)}</link>
      <guid isPermaLink="false">{outlet.key}-{a.slug}</guid>
      <pubDate>{format_datetime(a.published.astimezone(dt.UTC), usegmt=True)}</pubDate>
    </item>"""
        for a in stories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>{_esc(outlet.name)}</title>
    <link>{base}{outlet.prefix}/</link>
    <description>Latest stories from {_esc(outlet.name)} (synthetic demo outlet).</description>
    <language>{language}</language>{items}
  </channel>
</rss>
"""


def _sitemap_index(news: DemoNews, outlet: DemoOutlet, base: str) -> str:
    entries = "".join(
        f"\n  <sitemap><loc>{base}{outlet.prefix}/sitemaps/{month}.xml</loc></sitemap>"
        for month in _months(news, outlet)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}\n</sitemapindex>\n'
    )


def _w3c_utc(when: dt.datetime) -> str:
    # UTC, as most news sitemaps write it (and what a SQLite Timestamp column keeps unchanged).
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sitemap(news: DemoNews, outlet: DemoOutlet, month: str, base: str) -> str:
    urls = "".join(
        f"""
  <url>
    <loc>{base}{a.path(outlet)}</loc>
    <news:news><news:publication_date>{_w3c_utc(a.published)}</news:publication_date>
      <news:title>{_esc(a.title)}</news:title></news:news>
  </url>"""
        for a in news.published_by(outlet)
        if f"{a.published:%Y-%m}" == month
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}
</urlset>
"""


def _front_page(news: DemoNews, outlet: DemoOutlet, base: str) -> str:
    links = "".join(
        f'\n    <li><a class="story-link" href="{base}{a.path(outlet)}">{_esc(a.title)}</a></li>'
        for a in news.published_by(outlet)
    )
    return (
        f'<!DOCTYPE html><html lang="{outlet.language}"><head><meta charset="utf-8">'
        f"<title>{_esc(outlet.name)}</title></head><body><h1>{_esc(outlet.name)}</h1>"
        f"<p>Synthetic demo outlet; stories are fictional.</p><ul>{links}\n</ul></body></html>\n"
    )


def _index_page(news: DemoNews, base: str) -> str:
    rows = "".join(
        f'\n    <li><a href="{base}{o.prefix}/">{_esc(o.name)}</a> ({o.country}): '
        + ", ".join(f'<a href="{base}{o.feed_path(lang)}">{lang} feed</a>' for lang in news.languages(o))
        + (f', <a href="{base}{o.prefix}/sitemap_index.xml">sitemap</a>' if o.sitemap_source else "")
        + "</li>"
        for o in news.outlets.values()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Demo news set</title></head>'
        "<body><h1>Demo news set</h1><p>Synthetic demo articles written for this project; "
        f"events are fictional.</p><ul>{rows}\n</ul></body></html>\n"
    )


def _parse_outlet(key: str, raw: Any) -> DemoOutlet:
    if not isinstance(raw, dict):
        raise ConfigError(f"demo outlet {key!r}: expected a mapping")
    try:
        return DemoOutlet(key=key, **raw)
    except TypeError as exc:
        raise ConfigError(f"demo outlet {key!r}: {exc}") from None


def _parse_article(index: int, raw: Any, outlets: dict[str, DemoOutlet]) -> DemoArticle:
    where = f"demo article #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    where = f"demo article {raw.get('slug', '#' + str(index + 1))!r}"
    try:
        published = dt.datetime.fromisoformat(str(raw["published"]))
        article = DemoArticle(
            slug=str(raw["slug"]),
            outlet=str(raw["outlet"]),
            published=published,
            title=str(raw["title"]).strip(),
            paragraphs=tuple(line.strip() for line in str(raw["body"]).splitlines() if line.strip()),
            language=str(raw.get("language", "en")),
            copies=tuple(raw.get("copies", ())),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing field {exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if published.tzinfo is None:
        raise ConfigError(f"{where}: 'published' needs a UTC offset, e.g. 2026-11-02T11:40:00+09:00")
    unknown = [o for o in article.outlets if o not in outlets]
    if unknown:
        raise ConfigError(f"{where}: unknown outlet(s) {unknown}; known: {sorted(outlets)}")
    return article


@lru_cache(maxsize=4)
def load_demo_news(path: Path = DEMO_DATA) -> DemoNews:
    """Read and check the demo data file once per process (ConfigError names the bad entry)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the demo news set {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected 'outlets' and 'articles'")
    outlets = {key: _parse_outlet(key, raw) for key, raw in (data.get("outlets") or {}).items()}
    articles = tuple(_parse_article(i, raw, outlets) for i, raw in enumerate(data.get("articles") or []))
    slugs = [a.slug for a in articles]
    if len(set(slugs)) != len(slugs):
        raise ConfigError(f"{path}: duplicate slugs {sorted({s for s in slugs if slugs.count(s) > 1})}")
    return DemoNews(outlets, articles)
