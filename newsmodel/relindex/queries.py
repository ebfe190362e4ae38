"""Read side of the relation index: versions, pair summaries, series and a day's sentences.

Shared by the API (`app.relations.api`) and `newsmodel index show`, so both say the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from newsmodel.db.models import Article, Prediction, RelationIndexRow, Sentence, Source
from newsmodel.errors import DataError
from newsmodel.labels.schemes import LabelScheme
from newsmodel.relindex.arithmetic import expected_polarity, probability_matrix, scheme_for_labels
from newsmodel.relindex.build import sentence_day
from newsmodel.relindex.pairs import CountryPair
from newsmodel.relindex.quantify import PLAIN

__all__ = [
    "DaySentence",
    "DaySentences",
    "IndexNotFound",
    "PairSummary",
    "SparkPoint",
    "VersionInfo",
    "day_sentences",
    "index_rows_query",
    "indexed_versions",
    "latest_scored_version",
    "pair_series",
    "pair_summaries",
    "resolve_version",
    "version_quantification",
    "version_scheme",
    "version_to_index",
]


class IndexNotFound(DataError):
    """No index rows for what was asked (version, pair or day); the API answers 404."""


@dataclass(frozen=True)
class VersionInfo:
    """One model version's index: its extent and when it was last computed."""

    model_name: str
    model_version: str
    pairs: int
    rows: int
    first_day: dt.date
    last_day: dt.date
    computed_at: dt.datetime


@dataclass(frozen=True)
class SparkPoint:
    day: dt.date
    score: float
    score_7d: float | None


@dataclass(frozen=True)
class PairSummary:
    """A pair's latest reading, its 7-day trend and a short series for a sparkline."""

    pair: CountryPair
    latest_day: dt.date
    score: float
    ci_low: float
    ci_high: float
    score_7d: float | None
    score_30d: float | None
    trend_7d: float | None
    sentence_count: int
    sentences_in_window: int
    sparkline: list[SparkPoint] = field(default_factory=list)


@dataclass(frozen=True)
class DaySentence:
    sentence_id: int
    text: str
    label: str
    probability: float
    probabilities: dict[str, float]
    polarity: float
    top: bool
    article_id: int
    title: str | None
    url: str
    source: str | None
    published_at: dt.datetime | None


@dataclass(frozen=True)
class DaySentences:
    pair: CountryPair
    day: dt.date
    model_name: str
    model_version: str
    total: int
    row: RelationIndexRow | None
    sentences: list[DaySentence]


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts


def indexed_versions(session: Session, model_name: str | None = None) -> list[VersionInfo]:
    """Every (model, version) with index rows, most recently computed first."""
    stmt = select(
        RelationIndexRow.model_name,
        RelationIndexRow.model_version,
        func.count(func.distinct(RelationIndexRow.country_a + "-" + RelationIndexRow.country_b)),
        func.count(),
        func.min(RelationIndexRow.day),
        func.max(RelationIndexRow.day),
        func.max(RelationIndexRow.computed_at),
    ).where(RelationIndexRow.direction == "")  # pairs and rows as a reader counts them: unordered
    stmt = stmt.group_by(RelationIndexRow.model_name, RelationIndexRow.model_version)
    if model_name:
        stmt = stmt.where(RelationIndexRow.model_name == model_name)
    versions = [
        VersionInfo(name, version, pairs, rows, first, last, _aware(computed))
        for name, version, pairs, rows, first, last, computed in session.execute(stmt)
    ]
    return sorted(versions, key=lambda v: v.computed_at, reverse=True)


def resolve_version(
    session: Session, model_name: str | None = None, model_version: str | None = None
) -> VersionInfo:
    """The asked version, or (none asked) the most recently computed one."""
    versions = indexed_versions(session, model_name)
    if model_version is not None:
        versions = [v for v in versions if v.model_version == model_version]
    if not versions:
        what = f"model version {model_version!r}" if model_version else "any model version"
        scope = f" of {model_name!r}" if model_name else ""
        raise IndexNotFound(
            f"no relation index rows for {what}{scope}: run `newsmodel index build` "
            "(or the relations.build_index task) after scoring sentences"
        )
    return versions[0]


def version_scheme(session: Session, version: VersionInfo) -> LabelScheme:
    """The label scheme of a version's index, read from the class shares it published."""
    shares = session.scalars(
        select(RelationIndexRow.class_shares).where(_version_filter(version)).limit(1)
    ).first()
    if shares is None:
        raise IndexNotFound(f"no index rows for {version.model_name} v{version.model_version}")
    return scheme_for_labels(sorted(shares))


def version_quantification(session: Session, version: VersionInfo) -> str:
    """How the version's class shares were made (`relation_index.quantification`); while a
    rebuild with another method is half done, both, joined by "+"."""
    found = session.scalars(
        select(RelationIndexRow.quantification).where(_version_filter(version)).distinct()
    ).all()
    return "+".join(sorted(found)) or PLAIN


def version_to_index(session: Session, model_name: str, live_version: str | None) -> tuple[str, str]:
    """The version an index build defaults to, and why: the live one (as the registry's resolver
    named it), else - nothing promoted - the version with the newest predictions."""
    if live_version is not None:
        return live_version, "the live version"
    return latest_scored_version(
        session, model_name
    ), "nothing is live: the version with the newest predictions"


def latest_scored_version(session: Session, model_name: str) -> str:
    """The version of `model_name` with the newest prediction: the default for `index build`."""
    version = session.scalars(
        select(Prediction.model_version)
        .where(Prediction.model_name == model_name)
        .order_by(Prediction.created_at.desc(), Prediction.id.desc())
        .limit(1)
    ).first()
    if version is None:
        raise IndexNotFound(f"no predictions of model {model_name!r} yet: score sentences first")
    return version


def _version_filter(version: VersionInfo) -> Any:
    return and_(
        RelationIndexRow.model_name == version.model_name,
        RelationIndexRow.model_version == version.model_version,
    )


def pair_summaries(
    session: Session,
    version: VersionInfo,
    pairs: list[CountryPair] | None = None,
    window_days: int = 30,
    directed: bool = False,
) -> list[PairSummary]:
    """Latest reading per pair (pairs with no row in the window are left out), highest volume first.
    Without `pairs`, the unordered pairs, and with `directed` each direction beside them."""
    start = version.last_day - dt.timedelta(days=window_days + 7)
    stmt = (
        select(RelationIndexRow)
        .where(_version_filter(version), RelationIndexRow.day >= start)
        .order_by(RelationIndexRow.day)
    )
    if pairs is None and not directed:
        stmt = stmt.where(RelationIndexRow.direction == "")
    by_pair: dict[CountryPair, list[RelationIndexRow]] = defaultdict(list)
    wanted = set(pairs) if pairs is not None else None
    for row in session.scalars(stmt):
        pair = CountryPair(row.country_a, row.country_b, row.direction)
        if wanted is None or pair in wanted:
            by_pair[pair].append(row)
    spark_start = version.last_day - dt.timedelta(days=window_days - 1)
    summaries: list[PairSummary] = []
    for pair, rows in by_pair.items():
        recent = [r for r in rows if r.day >= spark_start]
        if not recent:
            continue
        latest = recent[-1]
        week_ago = [r for r in rows if r.day <= latest.day - dt.timedelta(days=7)]
        trend = None
        if week_ago and latest.score_7d is not None and week_ago[-1].score_7d is not None:
            trend = latest.score_7d - week_ago[-1].score_7d
        summaries.append(
            PairSummary(
                pair=pair,
                latest_day=latest.day,
                score=latest.score,
                ci_low=latest.ci_low,
                ci_high=latest.ci_high,
                score_7d=latest.score_7d,
                score_30d=latest.score_30d,
                trend_7d=trend,
                sentence_count=latest.sentence_count,
                sentences_in_window=sum(r.sentence_count for r in recent),
                sparkline=[SparkPoint(r.day, r.score, r.score_7d) for r in recent],
            )
        )
    return sorted(summaries, key=lambda s: (-s.sentences_in_window, str(s.pair)))


def pair_series(
    session: Session,
    version: VersionInfo,
    pair: CountryPair,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[RelationIndexRow]:
    """The pair's daily rows in [start, end], oldest first (of its direction: see CountryPair)."""
    return list(session.scalars(index_rows_query(version, pair, start, end).order_by(RelationIndexRow.day)))


def index_rows_query(
    version: VersionInfo, pair: CountryPair | None, start: dt.date | None, end: dt.date | None
) -> Any:
    """SELECT of one version's index rows, of one pair (and direction) or all, in [start, end]."""
    stmt = select(RelationIndexRow).where(_version_filter(version))
    if pair is not None:
        stmt = stmt.where(
            RelationIndexRow.country_a == pair.a,
            RelationIndexRow.country_b == pair.b,
            RelationIndexRow.direction == pair.direction,
        )
    if start is not None:
        stmt = stmt.where(RelationIndexRow.day >= start)
    if end is not None:
        stmt = stmt.where(RelationIndexRow.day <= end)
    return stmt


def day_sentences(
    session: Session,
    version: VersionInfo,
    pair: CountryPair,
    day: dt.date,
    limit: int = 50,
    offset: int = 0,
) -> DaySentences:
    """The sentences behind one pair-day, strongest readings first (the index's top ones flagged)."""
    row = session.scalars(
        select(RelationIndexRow).where(
            _version_filter(version),
            RelationIndexRow.country_a == pair.a,
            RelationIndexRow.country_b == pair.b,
            RelationIndexRow.direction == pair.direction,
            RelationIndexRow.day == day,
        )
    ).first()
    stmt = (
        select(
            Prediction.sentence_id,
            Prediction.label,
            Prediction.probabilities,
            Sentence.text,
            Sentence.article_id,
            Article.title,
            Article.url,
            Article.published_at,
            Source.name,
        )
        .join(Sentence, Sentence.id == Prediction.sentence_id)
        .join(Article, Article.id == Sentence.article_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(
            Prediction.model_name == version.model_name,
            Prediction.model_version == version.model_version,
            Sentence.country_a == pair.a,
            Sentence.country_b == pair.b,
            sentence_day() == day,
        )
    )
    if pair.source is not None:
        stmt = stmt.where(Sentence.source_country == pair.source)
    found = list(session.execute(stmt))
    items: list[DaySentence] = []
    if found:
        scheme = scheme_for_labels(sorted(found[0].probabilities))
        polarity = expected_polarity(probability_matrix([f.probabilities for f in found], scheme), scheme)
        top = set(row.top_sentence_ids) if row is not None else set()
        order = np.lexsort(([f.sentence_id for f in found], -np.abs(polarity)))
        for i in order[offset : offset + limit]:
            f = found[int(i)]
            items.append(
                DaySentence(
                    sentence_id=f.sentence_id,
                    text=f.text,
                    label=f.label,
                    probability=float(f.probabilities.get(f.label, 0.0)),
                    probabilities={k: float(v) for k, v in f.probabilities.items()},
                    polarity=round(float(polarity[int(i)]), 6),
                    top=f.sentence_id in top,
                    article_id=f.article_id,
                    title=f.title,
                    url=f.url,
                    source=f.name,
                    published_at=_aware(f.published_at) if f.published_at else None,
                )
            )
    return DaySentences(
        pair=pair,
        day=day,
        model_name=version.model_name,
        model_version=version.model_version,
        total=len(found),
        row=row,
        sentences=items,
    )
