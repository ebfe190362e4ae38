"""Sources as configuration: the pydantic model of `sources.yaml` and its loader.

A source is one outlet or government site: how to discover its article URLs (a feed, a
sitemap, or a listing page plus a CSS selector), which hosts it may touch, when it runs and
how hard it may be pushed. Invalid files fail with one line per problem naming the source
and the field, never a pydantic traceback.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler.errors import SourcesFileError

__all__ = [
    "CronSchedule",
    "IntervalSchedule",
    "SourceConfig",
    "SourceKind",
    "SourceLimits",
    "SourcesFile",
    "host_allowed",
    "load_sources",
    "parse_schedule",
    "parse_sources",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_EVERY = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class SourceKind(StrEnum):
    RSS = "rss"
    ATOM = "atom"
    SITEMAP = "sitemap"
    LISTING = "listing"


class IntervalSchedule(BaseModel):
    """`every 30m`: run, then again that long after the previous start."""

    seconds: int


class CronSchedule(BaseModel):
    """A five-field crontab line in UTC, e.g. `0 */6 * * *`."""

    crontab: str


def parse_schedule(text: str) -> IntervalSchedule | CronSchedule:
    """Read `every N(s|m|h|d)` or a crontab line; raise ValueError saying which forms work."""
    text = text.strip()
    every = _EVERY.match(text)
    if every:
        seconds = int(every.group(1)) * _UNIT_S[every.group(2)]
        if seconds < 60:
            raise ValueError(f"{text!r} is more often than once a minute; use at least 'every 1m'")
        return IntervalSchedule(seconds=seconds)
    from newsmodel.cron import cron_trigger

    try:
        cron_trigger(text)
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is neither 'every N(s|m|h|d)' nor a five-field crontab line ({exc})"
        ) from None
    return CronSchedule(crontab=text)


def host_allowed(netloc: str, allowed: list[str]) -> bool:
    """True when `netloc` (host[:port]) matches an allowed entry.

    `example.com` matches that host on any port, `example.com:8080` only that port, and
    `*.example.com` the host and its subdomains.
    """
    netloc = netloc.lower()
    host = netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc
    for entry in allowed:
        entry = entry.lower()
        if entry.startswith("*."):
            base = entry[2:]
            if host == base or host.endswith("." + base):
                return True
        elif entry in (netloc, host):
            return True
    return False


class SourceLimits(BaseModel):
    """Per-source limits; unset politeness values fall back to the crawler settings."""

    model_config = ConfigDict(extra="forbid")

    max_articles: int = Field(
        default=200, ge=1, le=100_000, description="article pages fetched per run at most"
    )
    per_host_concurrency: int | None = Field(default=None, ge=1, le=32)
    min_interval_s: float | None = Field(default=None, ge=0, le=3600)


class SourceConfig(BaseModel):
    """One entry of sources.yaml."""

    model_config = ConfigDict(extra="forbid")

    name: str
    country: str = Field(description="ISO 3166 alpha-3 code of the home country")
    category: Literal["outlet", "government"]
    kind: SourceKind
    urls: list[str] = Field(min_length=1)
    language: str
    allowed_hosts: list[str] = Field(default_factory=list)
    selector: str | None = Field(default=None, description="CSS selector of article links (listing only)")
    schedule: str = "every 60m"
    limits: SourceLimits = Field(default_factory=lambda: SourceLimits())
    verified: bool = False
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} must be lowercase letters, digits, '.', '_' or '-' (max 120)")
        return value

    @field_validator("country")
    @classmethod
    def _check_country(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or pycountry.countries.get(alpha_3=code) is None:
            raise ValueError(f"{value!r} is not an ISO 3166 alpha-3 code (e.g. KOR, USA)")
        return code

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        if not _LANG.match(value):
            raise ValueError(f"{value!r} is not a language tag like 'en' or 'zh-CN'")
        return value

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an absolute http(s) URL")
        return value

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value.strip()

    @model_validator(mode="after")
    def _check_consistency(self) -> SourceConfig:
        if self.kind is SourceKind.LISTING:
            if not self.selector:
                raise ValueError("kind 'listing' needs a 'selector' (CSS selector of article links)")
            _check_css(self.selector)
        elif self.selector:
            raise ValueError(f"'selector' only applies to kind 'listing', not {self.kind.value!r}")
        if not self.allowed_hosts:
            self.allowed_hosts = sorted({urlsplit(u).netloc.lower() for u in self.urls})
        for url in self.urls:
            if not host_allowed(urlsplit(url).netloc, self.allowed_hosts):
                raise ValueError(f"url {url!r} is on a host missing from allowed_hosts")
        return self

    @property
    def parsed_schedule(self) -> IntervalSchedule | CronSchedule:
        return parse_schedule(self.schedule)

    def allows(self, url: str) -> bool:
        """True when the URL is http(s) on one of the source's allowed hosts."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and host_allowed(parts.netloc, self.allowed_hosts)


def _check_css(selector: str) -> None:
    from selectolax.lexbor import LexborHTMLParser, SelectolaxError

    try:
        LexborHTMLParser("<html></html>").css(selector)
    except (SelectolaxError, ValueError) as exc:
        raise ValueError(f"selector {selector!r} is not valid CSS ({exc})") from None


class SourcesFile(BaseModel):
    """The whole file: a list of sources with unique names."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig]

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} appears more than once")
            seen.add(source.name)
        return self


def _problem_lines(exc: ValidationError, raw: Any) -> list[str]:
    """One line per pydantic error: `source 'cnn' (#3) field 'country': ...`."""
    lines = []
    entries = raw.get("sources") if isinstance(raw, dict) else None
    for err in exc.errors():
        loc = list(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
            index = loc[1]
            name = "?"
            if isinstance(entries, list) and index < len(entries) and isinstance(entries[index], dict):
                name = str(entries[index].get("name", "?"))
            field = ".".join(str(p) for p in loc[2:]) or "(entry)"
            lines.append(f"source {name!r} (#{index + 1}) field {field!r}: {msg}")
        else:
            where = ".".join(str(p) for p in loc) or "(file)"
            lines.append(f"{where}: {msg}")
    return lines


def parse_sources(raw: Any, origin: str = "sources.yaml") -> list[SourceConfig]:
    """Validate already-loaded YAML data; raise SourcesFileError with every problem at once."""
    if not isinstance(raw, dict) or "sources" not in raw:
        raise SourcesFileError(origin, ["the file must be a mapping with a 'sources:' list"])
    try:
        return SourcesFile.model_validate(raw).sources
    except ValidationError as exc:
        raise SourcesFileError(origin, _problem_lines(exc, raw)) from None


def load_sources(path: Path | str) -> list[SourceConfig]:
    """Read and validate a sources file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourcesFileError(str(path), [f"cannot read the file ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise SourcesFileError(
            str(path), [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from None
    return parse_sources(raw, str(path))
