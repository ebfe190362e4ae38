"""Article text and metadata with trafilatura; the content hash that collapses syndicated copies.

The hash is taken over the extracted text with case and whitespace folded, so the same wire
story in two outlets' page templates hashes the same while any edit to the words does not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import trafilatura
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from crawler.errors import ParseError

__all__ = ["ExtractedArticle", "content_hash", "extract_article"]

_SPACE = re.compile(r"\s+")
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": False}
MIN_TEXT_CHARS = 200


@dataclass(frozen=True)
class ExtractedArticle:
    title: str | None
    text: str
    published_at: dt.datetime | None
    language: str | None


def content_hash(text: str) -> str:
    """sha256 of the text with whitespace collapsed and case folded."""
    return hashlib.sha256(_SPACE.sub(" ", text).strip().casefold().encode("utf-8")).hexdigest()


def _html_lang(html: bytes) -> str | None:
    root = HTMLParser(html).css_first("html")
    lang = (root.attributes.get("lang") or "").strip() if root is not None else ""
    return lang.split("-")[0].lower()[:8] or None


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def extract_article(html: bytes, url: str) -> ExtractedArticle:
    """Main text, title, date and language of an article page; ParseError when there is no article."""
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, date_extraction_params=_DATE_PARAMS
        )
    except (ValueError, TypeError) as exc:  # lxml/trafilatura on a badly broken document
        raise ParseError(url, f"article extraction failed ({exc})") from None
    fields: dict[str, Any] = {}
    if isinstance(doc, dict):
        fields = doc
    elif doc is not None:
        fields = doc.as_dict()
    text = (fields.get("text") or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        raise ParseError(url, f"no article text found ({len(text)} characters extracted)")
    return ExtractedArticle(
        title=fields.get("title") or None,
        text=text,
        published_at=_parse_date(fields.get("date")),
        language=_html_lang(html),
    )
