"""Relation index routes: `/v1/relations`, one pair's series, a day's sentences, and the dashboard.

Thin: each route parses, calls one `newsmodel.relindex.queries` function, returns a schema.
Errors are raised as NewsmodelError subclasses (bad pair -> DataError 422, nothing indexed ->
NotFound 404) and rendered by the app's one exception handler. Sessions come from the app's
Database (`app.api.deps.DbSession`); an unreachable database is one 503 line.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.errors import NotFound
from app.relations.schemas import (
    DaySentencesPage,
    DaySentenceView,
    IndexMethod,
    PairSummaryView,
    RelationPoint,
    RelationSeries,
    RelationsPage,
    Smoothing,
    SparkPointView,
    VersionView,
)
from newsmodel.db.models import RelationIndexRow
from newsmodel.errors import DataError
from newsmodel.labels.schemes import LabelScheme
from newsmodel.relindex import (
    DEFAULT_RESAMPLES,
    INTERVAL_LEVEL,
    PAIR_FORM,
    CountryPair,
    IndexNotFound,
    VersionInfo,
    day_sentences,
    focus_pairs,
    indexed_versions,
    pair_series,
    pair_summaries,
    resolve_version,
    version_scheme,
)
from newsmodel.settings import BaseServiceSettings, get_settings

__all__ = ["router"]

router = APIRouter(tags=["relations"])

STATIC_DIR = Path(__file__).parent / "static"
_STATIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_MEDIA = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
DEFAULT_SERIES_DAYS = 180
TREND_FLAT = 0.02
# Every day a client names is bounded before any date arithmetic (start = end - 179 days would
# overflow at 0001-01-01): far wider than any news index, far from date.min/date.max.
FIRST_INDEX_DAY = dt.date(1970, 1, 1)
LAST_INDEX_DAY = dt.date(2199, 12, 31)
MAX_OFFSET = 100_000
# Names and versions go into SQL: printable text of a sane length (Postgres refuses NUL).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def _settings(request: Request) -> BaseServiceSettings:
    """The app's settings once its lifespan has built them, else the environment's."""
    settings = getattr(getattr(request.app.state, "services", None), "settings", None)
    return settings if isinstance(settings, BaseServiceSettings) else get_settings()


def _within_index_range(day: dt.date) -> dt.date:
    if not FIRST_INDEX_DAY <= day <= LAST_INDEX_DAY:
        raise ValueError(f"must be between {FIRST_INDEX_DAY} and {LAST_INDEX_DAY} (YYYY-MM-DD)")
    return day


IndexDay = Annotated[dt.date, AfterValidator(_within_index_range)]
DB = DbSession  # the app's Database, one read transaction per request
PairParam = Annotated[
    str, PathParam(description=f"Country pair: {PAIR_FORM}", examples=["KOR-USA", "KOR>USA"], max_length=64)
]
VersionParam = Annotated[
    str | None,
    Query(description="Model version; default: the newest computed", max_length=64, pattern=_PRINTABLE),
]
NameParam = Annotated[
    str | None,
    Query(description="Registered model name; default: any", max_length=256, pattern=_PRINTABLE),
]


def _parse_pair(text: str) -> CountryPair:
    return CountryPair.parse(text)  # DataError -> 422 naming the expected form


def _version(session: Session, model_name: str | None, model_version: str | None) -> VersionInfo:
    try:
        return resolve_version(session, model_name, model_version)
    except IndexNotFound as exc:
        raise NotFound(str(exc)) from None


def _method(scheme: LabelScheme | None) -> IndexMethod:
    return IndexMethod(
        scheme=scheme.name if scheme else None,
        weights=dict(scheme.polarity) if scheme else {},
        interval=(
            f"{INTERVAL_LEVEL:.0%} percentile bootstrap over articles, {DEFAULT_RESAMPLES} seeded "
            "resamples; [-1, 1] when the day has a single article"
        ),
    )


def _point(row: RelationIndexRow, smoothing: Smoothing = "none") -> RelationPoint:
    value = {"none": row.score, "7d": row.score_7d, "30d": row.score_30d}[smoothing]
    return RelationPoint(
        day=row.day,
        value=value,
        score=row.score,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        score_7d=row.score_7d,
        score_30d=row.score_30d,
        sentence_count=row.sentence_count,
        article_count=row.article_count,
        source_count=row.source_count,
        volume_share=row.volume_share,
        class_shares=row.class_shares,
    )


def _trend(delta: float | None) -> str:
    if delta is None:
        return "unknown"
    if abs(delta) < TREND_FLAT:
        return "flat"
    return "up" if delta > 0 else "down"


@router.get("/v1/relations", response_model=RelationsPage)
def list_relations(
    request: Request,
    session: DB,
    model_version: VersionParam = None,
    model_name: NameParam = None,
    focus: Annotated[bool, Query(description="Only pairs among FOCUS_COUNTRIES")] = False,
    window_days: Annotated[int, Query(ge=1, le=366, description="Sparkline length in days")] = 30,
    directed: Annotated[
        bool, Query(description="Also each direction (KOR>USA, USA>KOR) beside the unordered pair")
    ] = False,
) -> RelationsPage:
    """Every pair's latest score, interval, smoothed scores, 7-day trend and a sparkline."""
    version = _version(session, model_name, model_version)
    pairs = focus_pairs(_settings(request).focus_countries) if focus else None
    if pairs is not None and directed:
        pairs = [p for pair in pairs for p in (pair, *pair.directed())]
    summaries = pair_summaries(session, version, pairs, window_days=window_days, directed=directed)
    return RelationsPage(
        model_name=version.model_name,
        model_version=version.model_version,
        as_of=version.last_day,
        window_days=window_days,
        computed_at=version.computed_at,
        versions=[VersionView(**vars(v)) for v in indexed_versions(session)],
        method=_method(version_scheme(session, version)),
        pairs=[
            PairSummaryView(
                pair=str(s.pair),
                country_a=s.pair.a,
                country_b=s.pair.b,
                source=s.pair.source,
                latest_day=s.latest_day,
                score=s.score,
                ci_low=s.ci_low,
                ci_high=s.ci_high,
                score_7d=s.score_7d,
                score_30d=s.score_30d,
                trend_7d=s.trend_7d,
                trend=_trend(s.trend_7d),  # type: ignore[arg-type]
                sentence_count=s.sentence_count,
                sentences_in_window=s.sentences_in_window,
                sparkline=[SparkPointView(**vars(p)) for p in s.sparkline],
            )
            for s in summaries
        ],
    )


@router.get("/v1/relations/{pair}", response_model=RelationSeries)
def get_relation(
    session: DB,
    pair: PairParam,
    start: Annotated[
        IndexDay | None, Query(description=f"First day; default: end - {DEFAULT_SERIES_DAYS - 1}")
    ] = None,
    end: Annotated[IndexDay | None, Query(description="Last day; default: the newest indexed day")] = None,
    smoothing: Annotated[Smoothing, Query(description="Which score goes into `value`")] = "none",
    model_version: VersionParam = None,
    model_name: NameParam = None,
) -> RelationSeries:
    """One pair's daily series with its 95% intervals and 7-/30-day smoothed scores."""
    wanted = _parse_pair(pair)
    version = _version(session, model_name, model_version)
    last = end or version.last_day
    first = start or last - dt.timedelta(days=DEFAULT_SERIES_DAYS - 1)
    if first > last:
        raise DataError(f"start {first} is after end {last}: give start <= end (YYYY-MM-DD)")
    rows = pair_series(session, version, wanted, first, last)
    if not rows and not pair_series(session, version, wanted):
        raise NotFound(f"no index rows for {wanted} under {version.model_name} v{version.model_version}")
    return RelationSeries(
        pair=str(wanted),
        model_name=version.model_name,
        model_version=version.model_version,
        start=first,
        end=last,
        smoothing=smoothing,
        method=_method(version_scheme(session, version)),
        points=[_point(r, smoothing) for r in rows],
    )


@router.get("/v1/relations/{pair}/days/{day}/sentences", response_model=DaySentencesPage)
def get_day_sentences(
    session: DB,
    pair: PairParam,
    day: Annotated[IndexDay, PathParam(description="Day (UTC), YYYY-MM-DD")],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    model_version: VersionParam = None,
    model_name: NameParam = None,
) -> DaySentencesPage:
    """The sentences behind one pair-day: text, source, URL, predicted class and probability."""
    wanted = _parse_pair(pair)
    version = _version(session, model_name, model_version)
    found = day_sentences(session, version, wanted, day, limit=limit, offset=offset)
    if found.total == 0:
        raise NotFound(
            f"no sentences of {wanted} on {day} scored by {version.model_name} v{version.model_version}"
        )
    return DaySentencesPage(
        pair=str(wanted),
        day=day,
        model_name=version.model_name,
        model_version=version.model_version,
        total=found.total,
        limit=limit,
        offset=offset,
        index=_point(found.row) if found.row is not None else None,
        sentences=[DaySentenceView(**vars(s)) for s in found.sentences],
    )


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard() -> FileResponse:
    """The relation dashboard: static HTML + JS reading the JSON API above."""
    return FileResponse(STATIC_DIR / "dashboard.html", media_type="text/html")


@router.get("/dashboard/static/{name:path}", include_in_schema=False)
def dashboard_asset(name: str) -> FileResponse:
    """Vendored chart library and the page's own JS/CSS; nothing outside static/ is reachable."""
    path = (STATIC_DIR / name).resolve()
    if not _STATIC_NAME.match(name) or STATIC_DIR.resolve() not in path.parents or not path.is_file():
        raise NotFound(f"no dashboard asset {name!r}")
    return FileResponse(path, media_type=_MEDIA.get(path.suffix, "application/octet-stream"))
