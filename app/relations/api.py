"""Relation index routes: `/v1/relations`, one pair's series, a day's sentences, and the dashboard.

Thin: each route parses, calls one `newsmodel.relindex.queries` function, returns a schema.
With no version asked for, the routes show the live version's index (the registry's answer, as
the model follower last read it through `newsmodel.registry.live`; see `app.relations.deps`) and
say whether its backfill is complete; `compare_version` overlays another version's series with
the moment the live version changed between them. Export and alerts live in their own modules.
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
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.errors import NotFound
from app.relations.alerts_api import router as alerts_router
from app.relations.deps import (
    IndexDay,
    NameParam,
    PairParam,
    VersionParam,
    backfill_view,
    choose,
    live,
    method_view,
    parse_pair,
    service_settings,
    shown,
    switch_view,
)
from app.relations.drift_api import router as drift_router
from app.relations.export_api import router as export_router
from app.relations.model_input import Reading, model_input, version_reading
from app.relations.schemas import (
    ComparedSeries,
    DaySentencesPage,
    DaySentenceView,
    MarkedMention,
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
from newsmodel.relindex import (
    CountryPair,
    DaySentence,
    LiveSwitch,
    VersionInfo,
    day_sentences,
    focus_pairs,
    indexed_versions,
    live_switches,
    pair_series,
    pair_summaries,
    version_coverage,
    version_quantification,
    version_scheme,
)
from newsmodel.relindex.arithmetic import scheme_for_labels

__all__ = ["router"]

router = APIRouter(tags=["relations"])
# Before `/v1/relations/{pair}`, which would otherwise take "export" and "alerts" for a pair.
router.include_router(export_router)
router.include_router(alerts_router)
router.include_router(drift_router)

STATIC_DIR = Path(__file__).parent / "static"
_STATIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_MEDIA = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
DEFAULT_SERIES_DAYS = 180
TREND_FLAT = 0.02
MAX_OFFSET = 100_000
DB = DbSession  # the app's Database, one read transaction per request


def _version(
    request: Request, session: Session, model_name: str | None, model_version: str | None
) -> VersionInfo:
    return choose(request, session, model_name, model_version).version


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
    chosen = choose(request, session, model_name, model_version)
    version = chosen.version
    now = live(request)
    pairs = focus_pairs(service_settings(request).focus_countries) if focus else None
    if pairs is not None and directed:
        pairs = [p for pair in pairs for p in (pair, *pair.directed())]
    summaries = pair_summaries(session, version, pairs, window_days=window_days, directed=directed)
    return RelationsPage(
        **dict(shown(session, chosen)),
        model_name=version.model_name,
        model_version=version.model_version,
        as_of=version.last_day,
        window_days=window_days,
        computed_at=version.computed_at,
        versions=[VersionView(**vars(v)) for v in indexed_versions(session)],
        live_model_version=now.version if now else None,
        live_via=now.via if now else None,
        method=method_view(version_scheme(session, version), version_quantification(session, version)),
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
    request: Request,
    session: DB,
    pair: PairParam,
    start: Annotated[
        IndexDay | None, Query(description=f"First day; default: end - {DEFAULT_SERIES_DAYS - 1}")
    ] = None,
    end: Annotated[IndexDay | None, Query(description="Last day; default: the newest indexed day")] = None,
    smoothing: Annotated[Smoothing, Query(description="Which score goes into `value`")] = "none",
    model_version: VersionParam = None,
    model_name: NameParam = None,
    compare_version: Annotated[
        str | None,
        Query(
            description="Another version of the same model to overlay (e.g. the one live before a "
            "promotion); the response marks when the live version changed between the two",
            max_length=64,
            pattern=r"^[^\x00-\x1f\x7f]*$",
        ),
    ] = None,
) -> RelationSeries:
    """One pair's daily series with its 95% intervals and 7-/30-day smoothed scores."""
    wanted = parse_pair(pair)
    chosen = choose(request, session, model_name, model_version)
    version = chosen.version
    last = end or version.last_day
    first = start or last - dt.timedelta(days=DEFAULT_SERIES_DAYS - 1)
    if first > last:
        raise DataError(f"start {first} is after end {last}: give start <= end (YYYY-MM-DD)")
    if compare_version is not None and compare_version == version.model_version:
        raise DataError(f"compare_version {compare_version!r} is the version shown: name another one")
    rows = pair_series(session, version, wanted, first, last)
    if not rows and not pair_series(session, version, wanted):
        raise NotFound(f"no index rows for {wanted} under {version.model_name} v{version.model_version}")
    page = shown(session, chosen)
    now = live(request)
    return RelationSeries(
        **dict(page),
        pair=str(wanted),
        model_name=version.model_name,
        model_version=version.model_version,
        live_model_version=now.version if now and now.name == version.model_name else None,
        start=first,
        end=last,
        smoothing=smoothing,
        method=method_view(version_scheme(session, version), version_quantification(session, version)),
        points=[_point(r, smoothing) for r in rows],
        compare=(
            _compared(request, session, version, rows, wanted, compare_version, (first, last), smoothing)
            if compare_version is not None
            else None
        ),
    )


def _switch_between(switches: list[LiveSwitch], a: str, b: str) -> LiveSwitch | None:
    """The live change from one of the two versions to the other (else the latest to either)."""
    both = {a, b}
    direct = [s for s in switches if s.model_version in both and s.previous_version in both]
    either = [s for s in switches if s.model_version in both]
    found = direct or either
    return found[-1] if found else None


def _compared(
    request: Request,
    session: Session,
    version: VersionInfo,
    rows: list[RelationIndexRow],
    pair: CountryPair,
    compare_version: str,
    days: tuple[dt.date, dt.date],
    smoothing: Smoothing,
) -> ComparedSeries:
    other = choose(request, session, version.model_name, compare_version).version
    other_rows = pair_series(session, other, pair, *days)
    mine = {r.day: r.score for r in rows}
    overlap = sorted(r.day for r in other_rows if r.day in mine)
    diffs = [mine[r.day] - r.score for r in other_rows if r.day in mine]
    switches = live_switches(session, version.model_name)
    switch = _switch_between(switches, version.model_version, other.model_version)
    return ComparedSeries(
        model_version=other.model_version,
        method=method_view(version_scheme(session, other), version_quantification(session, other)),
        backfill=backfill_view(version_coverage(session, other)),
        points=[_point(r, smoothing) for r in other_rows],
        overlap_days=len(overlap),
        overlap_start=overlap[0] if overlap else None,
        overlap_end=overlap[-1] if overlap else None,
        mean_difference=sum(diffs) / len(diffs) if diffs else None,
        switch=switch_view(switch) if switch else None,
    )


@router.get("/v1/relations/{pair}/days/{day}/sentences", response_model=DaySentencesPage)
def get_day_sentences(
    request: Request,
    session: DB,
    pair: PairParam,
    day: Annotated[IndexDay, PathParam(description="Day (UTC), YYYY-MM-DD")],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    model_version: VersionParam = None,
    model_name: NameParam = None,
) -> DaySentencesPage:
    """The sentences behind one pair-day: text, source, URL, predicted class and probability, and
    what the version read (`model_input`: a pair-aware version's marked text, `marked` its marked
    mentions)."""
    wanted = parse_pair(pair)
    version = _version(request, session, model_name, model_version)
    found = day_sentences(session, version, wanted, day, limit=limit, offset=offset)
    reading, style = version_reading(request, version.model_name, version.model_version)
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
        method=(
            method_view(scheme_for_labels(sorted(found.row.class_shares)), found.row.quantification)
            if found.row is not None
            else None
        ),
        reading=reading,
        pair_input=style,
        sentences=[_sentence_view(s, (wanted.a, wanted.b), reading, style) for s in found.sentences],
    )


def _sentence_view(
    sentence: DaySentence, pair: tuple[str, str], reading: Reading, style: str | None
) -> DaySentenceView:
    text, marked = model_input(sentence.text, pair, reading, style)
    return DaySentenceView(**vars(sentence), model_input=text, marked=[MarkedMention(**m) for m in marked])


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
