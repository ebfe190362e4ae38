"""Build (or bring up to date) the relation index of one model version, incrementally.

A day is recomputed when some prediction of that version for a sentence of that day was
created at or after the oldest `computed_at` of the day's index rows (or the day has no rows
yet). The whole day is recomputed, every pair, because each pair's `volume_share` is relative
to all sentences scored that day. Days are written in chunks, each chunk in one transaction
(delete the chunk's rows, insert the new ones, refresh the smoothed columns that depend on
them), so a crash leaves finished chunks consistent and the rest still dirty for the next run.
Rows of other model versions are never touched.

With the version's `Calibration` (measured on held-out data at training time, stored in its
`label_map.json`; `newsmodel.registry.calibration.version_calibration`), class shares are
corrected for its confusion by `method` and each row records the method in `quantification`;
without one (versions packaged before calibration existed) the shares are plain averages.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import Row, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from newsmodel.db.models import Article, ArticleLink, Prediction, RelationIndexRow, Sentence
from newsmodel.db.session import Database
from newsmodel.errors import DataError
from newsmodel.labels.schemes import get_scheme
from newsmodel.logging import get_logger
from newsmodel.relindex.arithmetic import (
    DEFAULT_RESAMPLES,
    pair_day_stats,
    probability_matrix,
    scheme_for_labels,
    stable_seed,
    trailing_weighted_mean,
)
from newsmodel.relindex.pairs import CountryPair
from newsmodel.relindex.quantify import DEFAULT_METHOD, PLAIN, Calibration, QuantMethod
from newsmodel.relindex.sqlday import utc_day

__all__ = ["SMOOTHING_WINDOWS", "BuildReport", "build_index", "sentence_day"]

SMOOTHING_WINDOWS = {"score_7d": 7, "score_30d": 30}
_LONGEST_WINDOW = max(SMOOTHING_WINDOWS.values())
_IN_CHUNK = 1000  # ids per IN (...) list

log = get_logger("newsmodel.relindex")

ProgressCallback = Callable[[int, int], None]


def sentence_day() -> utc_day:
    """SQL for a sentence's day: its article's published date (UTC), else the fetch date."""
    return utc_day(func.coalesce(Article.published_at, Article.fetched_at))


@dataclass(frozen=True)
class BuildReport:
    """What one build did; printed by the CLI and returned by the Celery task."""

    model_name: str
    model_version: str
    days_with_predictions: int
    days_recomputed: int
    days_removed: int
    rows_written: int
    sentences: int
    seconds: float
    # First day left for a later call when `max_days` stopped this one early (else None).
    next_day: dt.date | None = None
    quantification: str = PLAIN

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _aware(ts: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; the services write UTC."""
    if ts is not None and ts.tzinfo is None:
        return ts.replace(tzinfo=dt.UTC)
    return ts


def _scored_join(model_name: str, model_version: str) -> Any:
    return (
        select()
        .select_from(Prediction)
        .join(Sentence, Sentence.id == Prediction.sentence_id)
        .join(Article, Article.id == Sentence.article_id)
        .where(Prediction.model_name == model_name, Prediction.model_version == model_version)
    )


def _prediction_days(
    session: Session, model_name: str, model_version: str, since: dt.date | None
) -> dict[dt.date, dt.datetime]:
    day = sentence_day()
    stmt = _scored_join(model_name, model_version).add_columns(day, func.max(Prediction.created_at))
    if since is not None:
        stmt = stmt.where(day >= since)
    stmt = stmt.group_by(day)
    return {d: _aware(ts) for d, ts in session.execute(stmt) if d is not None}  # type: ignore[misc]


def _indexed_days(
    session: Session, model_name: str, model_version: str, since: dt.date | None
) -> dict[dt.date, dt.datetime]:
    stmt = select(RelationIndexRow.day, func.min(RelationIndexRow.computed_at)).where(
        RelationIndexRow.model_name == model_name, RelationIndexRow.model_version == model_version
    )
    if since is not None:
        stmt = stmt.where(RelationIndexRow.day >= since)
    stmt = stmt.group_by(RelationIndexRow.day)
    return {d: _aware(ts) for d, ts in session.execute(stmt)}  # type: ignore[misc]


def _dirty_days(
    predicted: dict[dt.date, dt.datetime], indexed: dict[dt.date, dt.datetime], force: bool
) -> tuple[list[dt.date], list[dt.date]]:
    """(days to recompute, days whose predictions are gone and whose rows must go)."""
    stale = sorted(set(indexed) - set(predicted))
    if force:
        return sorted(predicted), stale
    dirty = [d for d, newest in predicted.items() if d not in indexed or newest >= indexed[d]]
    return sorted(dirty), stale


def _load_rows(
    session: Session, model_name: str, model_version: str, days: Sequence[dt.date]
) -> list[Row[Any]]:
    day = sentence_day()
    stmt = (
        _scored_join(model_name, model_version)
        .add_columns(
            day.label("day"),
            Prediction.sentence_id,
            Prediction.probabilities,
            Sentence.country_a,
            Sentence.country_b,
            Sentence.source_country,
            Sentence.article_id,
            Sentence.importance,
            Article.source_id,
        )
        .where(day.in_(list(days)))
    )
    return list(session.execute(stmt))


def _article_sources(session: Session, rows: Iterable[Row[Any]]) -> dict[int, set[int]]:
    """Distinct sources per article: its own source plus every source a syndicated copy came from."""
    sources: dict[int, set[int]] = {}
    for row in rows:
        sources.setdefault(row.article_id, set())
        if row.source_id is not None:
            sources[row.article_id].add(row.source_id)
    ids = sorted(sources)
    for i in range(0, len(ids), _IN_CHUNK):
        stmt = select(ArticleLink.article_id, ArticleLink.source_id).where(
            ArticleLink.article_id.in_(ids[i : i + _IN_CHUNK]), ArticleLink.source_id.is_not(None)
        )
        for article_id, source_id in session.execute(stmt):
            if source_id is not None:
                sources[article_id].add(source_id)
    return sources


def _compute_rows(
    rows: Sequence[Row[Any]],
    sources: dict[int, set[int]],
    *,
    model_name: str,
    model_version: str,
    computed_at: dt.datetime,
    resamples: int,
    method: QuantMethod = PLAIN,
    calibration: Calibration | None = None,
) -> list[dict[str, Any]]:
    """Turn one chunk's prediction rows into relation_index rows (no smoothing yet)."""
    if not rows:
        return []
    keysets = {tuple(sorted(r.probabilities)) for r in rows}
    schemes = {scheme_for_labels(keys).name for keys in keysets}
    if len(schemes) != 1:
        raise DataError(f"predictions of model version {model_version} mix label schemes {sorted(schemes)}")
    scheme = get_scheme(schemes.pop())
    if calibration is not None and tuple(calibration.labels) != tuple(scheme.labels):
        raise DataError(
            f"the calibration of model version {model_version} is for labels {list(calibration.labels)}, "
            f"its predictions have {list(scheme.labels)}"
        )

    per_day_total: dict[dt.date, int] = defaultdict(int)
    groups: dict[tuple[dt.date, str, str, str], list[Row[Any]]] = defaultdict(list)
    for r in rows:
        per_day_total[r.day] += 1
        groups[(r.day, r.country_a, r.country_b, "")].append(r)
        # the directed rows: sentences whose parse says which side acts
        if r.source_country == r.country_a:
            groups[(r.day, r.country_a, r.country_b, ">")].append(r)
        elif r.source_country == r.country_b:
            groups[(r.day, r.country_a, r.country_b, "<")].append(r)

    out: list[dict[str, Any]] = []
    for (day, a, b, direction), members in sorted(groups.items()):
        pair = CountryPair(a, b, direction)
        article_ids = np.array([m.article_id for m in members], dtype=np.int64)
        distinct_sources = set().union(*(sources.get(int(x), set()) for x in set(article_ids.tolist())))
        stats = pair_day_stats(
            sentence_ids=np.array([m.sentence_id for m in members], dtype=np.int64),
            article_ids=article_ids,
            probs=probability_matrix([m.probabilities for m in members], scheme),
            scheme=scheme,
            source_count=len(distinct_sources),
            seed=stable_seed(str(pair), day.isoformat(), model_name, model_version),
            importance=np.array(
                [np.nan if m.importance is None else m.importance for m in members], dtype=np.float64
            ),
            resamples=resamples,
            method=method,
            calibration=calibration,
        )
        out.append(
            {
                "country_a": a,
                "country_b": b,
                "direction": direction,
                "day": day,
                "model_name": model_name,
                "model_version": model_version,
                **asdict(stats),
                "volume_share": stats.sentence_count / per_day_total[day],
                "score_7d": None,
                "score_30d": None,
                "computed_at": computed_at,
                "quantification": method if calibration is not None else PLAIN,
            }
        )
    return out


def _lock_version(session: Session, model_name: str, model_version: str) -> None:
    """Serialise concurrent builds of one version on Postgres (SQLite serialises writers itself)."""
    if session.get_bind().dialect.name == "postgresql":
        key = stable_seed("relation_index", model_name, model_version)
        key = key - (1 << 64) if key >= (1 << 63) else key
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _refresh_smoothing(
    session: Session, model_name: str, model_version: str, first: dt.date, last: dt.date
) -> None:
    """Recompute the trailing means of every row whose window touches [first, last]."""
    upto = last + dt.timedelta(days=_LONGEST_WINDOW - 1)
    context = first - dt.timedelta(days=_LONGEST_WINDOW - 1)
    stmt = select(
        RelationIndexRow.id,
        RelationIndexRow.country_a,
        RelationIndexRow.country_b,
        RelationIndexRow.direction,
        RelationIndexRow.day,
        RelationIndexRow.score,
        RelationIndexRow.sentence_count,
    ).where(
        RelationIndexRow.model_name == model_name,
        RelationIndexRow.model_version == model_version,
        RelationIndexRow.day.between(context, upto),
    )
    by_pair: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in session.execute(stmt):
        by_pair[(row.country_a, row.country_b, row.direction)].append(row)
    updates: list[dict[str, Any]] = []
    for members in by_pair.values():
        days = [m.day for m in members]
        scores = [m.score for m in members]
        counts = [m.sentence_count for m in members]
        smoothed = {
            col: trailing_weighted_mean(days, scores, counts, window)
            for col, window in SMOOTHING_WINDOWS.items()
        }
        for i, m in enumerate(members):
            if m.day >= first:
                updates.append({"id": m.id, **{col: values[i] for col, values in smoothed.items()}})
    if updates:
        session.execute(update(RelationIndexRow), updates)


def _write_chunk(
    session: Session,
    model_name: str,
    model_version: str,
    days: Sequence[dt.date],
    new_rows: list[dict[str, Any]],
) -> None:
    session.execute(
        delete(RelationIndexRow).where(
            RelationIndexRow.model_name == model_name,
            RelationIndexRow.model_version == model_version,
            RelationIndexRow.day.in_(list(days)),
        )
    )
    if new_rows:
        session.execute(insert(RelationIndexRow), new_rows)
    session.flush()
    _refresh_smoothing(session, model_name, model_version, min(days), max(days))


def build_index(
    db: Database,
    *,
    model_name: str,
    model_version: str,
    since: dt.date | None = None,
    force: bool = False,
    resamples: int = DEFAULT_RESAMPLES,
    chunk_days: int = 31,
    max_days: int | None = None,
    on_progress: ProgressCallback | None = None,
    calibration: Calibration | None = None,
    method: QuantMethod = DEFAULT_METHOD,
) -> BuildReport:
    """Recompute the days of `model_version` that have new predictions (all days with `force`).

    Days go oldest first; with `max_days` the call stops after that many and reports the first
    day left as `next_day`, so a Celery task can continue with `since=next_day` in a new task.
    Takes the Database, not a session: each chunk of days is its own transaction on purpose.
    `calibration`: the version's held-out measurements (None: plain averaging, whatever `method`).
    """
    if calibration is None:
        method = PLAIN
    started = time.perf_counter()
    computed_at = dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        predicted = _prediction_days(session, model_name, model_version, since)
        indexed = _indexed_days(session, model_name, model_version, since)
    dirty, stale = _dirty_days(predicted, indexed, force)
    todo = sorted(set(dirty) | set(stale))
    left: list[dt.date] = []
    if max_days is not None and len(todo) > max_days:
        todo, left = todo[:max_days], todo[max_days:]
    rows_written = sentences = 0
    for start in range(0, len(todo), chunk_days):
        chunk = todo[start : start + chunk_days]
        with db.transaction() as session:
            _lock_version(session, model_name, model_version)
            rows = _load_rows(session, model_name, model_version, chunk)
            new_rows = _compute_rows(
                rows,
                _article_sources(session, rows),
                model_name=model_name,
                model_version=model_version,
                computed_at=computed_at,
                resamples=resamples,
                method=method,
                calibration=calibration,
            )
            _write_chunk(session, model_name, model_version, chunk, new_rows)
        rows_written += len(new_rows)
        sentences += len(rows)
        if on_progress is not None:
            on_progress(min(start + chunk_days, len(todo)), len(todo))
    report = BuildReport(
        model_name=model_name,
        model_version=model_version,
        days_with_predictions=len(predicted),
        days_recomputed=len(set(dirty) & set(todo)),
        days_removed=len(set(stale) & set(todo)),
        rows_written=rows_written,
        sentences=sentences,
        seconds=round(time.perf_counter() - started, 3),
        next_day=left[0] if left else None,
        quantification=method,
    )
    log.info("relation index built", **report.as_dict())
    return report
