"""Corpus schema: the tables where crawler, training, serving and the index meet.

Typed SQLAlchemy 2 models, importable without torch. Portable types only (JSON, timezone-aware
DateTime) so the same Alembic migrations run on Postgres and SQLite. Migrations in
`migrations/` are the only place the schema changes; a test checks they agree with these models.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Article",
    "ArticleLink",
    "Base",
    "CrawlRun",
    "CrawlerHeartbeat",
    "DriftEvent",
    "DriftPoint",
    "HttpValidator",
    "LabeledExample",
    "Prediction",
    "RelationIndexRow",
    "RetrainingRun",
    "RetrainingTrigger",
    "ScoringJob",
    "Sentence",
    "ShadowComparison",
    "ShadowDisagreement",
    "Source",
]

# Deterministic constraint names so autogenerate, Postgres and SQLite batch mode agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonDict = dict[str, Any]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware timestamps stored as UTC on every backend.

    SQLite keeps no offset: without this, 11:40+09:00 would read back as 11:40 and put an
    article on the wrong day of the relation index. Naive inputs are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Timestamp = UTCDateTime()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Source(Base):
    """A configured news source (mirrors an entry of crawler/sources.yaml)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    country: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class CrawlRun(Base):
    """One crawl of one source: when, how it ended, what it counted and which URLs failed why."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(20), default="running")
    discovered: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # [{"url": ..., "reason": ...}, ...]
    errors: Mapped[list[JsonDict]] = mapped_column(JSON, default=list)

    source: Mapped[Source | None] = relationship()


class HttpValidator(Base):
    """The ETag / Last-Modified a feed or sitemap last answered with, kept for conditional GET.

    Shared by every crawl process and replica (the Kubernetes CronJob keeps no disk between
    runs); written only for the entry points of a source run that ended without a failure.
    Keyed by the URL's SHA-256 so any URL length fits the primary key.
    """

    __tablename__ = "http_validators"

    url_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class CrawlerHeartbeat(Base):
    """A crawler scheduler's last sign of life, one row per instance (container hostname)."""

    __tablename__ = "crawler_heartbeats"

    instance: Mapped[str] = mapped_column(String(255), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    beat_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class Article(Base):
    """One story, stored once however many outlets carried it (see ArticleLink)."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_content_hash", "content_hash"),
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_preprocessed_at", "preprocessed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    fetched_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    # ISO alpha-3 codes mentioned anywhere in the article; NULL until the detector has run.
    countries: Mapped[list[str] | None] = mapped_column(JSON)
    preprocessed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)

    source: Mapped[Source | None] = relationship()
    links: Mapped[list[ArticleLink]] = relationship(back_populates="article", cascade="all, delete-orphan")


class ArticleLink(Base):
    """Every (source, URL) where an article was seen: syndicated copies link to one article."""

    __tablename__ = "article_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    seen_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="links")


class Sentence(Base):
    """A sentence of an article that speaks about one country pair (one row per pair)."""

    __tablename__ = "sentences"
    __table_args__ = (
        UniqueConstraint("article_id", "position", "country_a", "country_b"),
        Index("ix_sentences_pair", "country_a", "country_b"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    # Unordered pair stored sorted (country_a < country_b), ISO 3166 alpha-3.
    country_a: Mapped[str] = mapped_column(String(3))
    country_b: Mapped[str] = mapped_column(String(3))
    # Who acts on whom (country_a or country_b -> the other), from the dependency parse; NULL when
    # the sentence does not say (or was preprocessed before directions existed).
    source_country: Mapped[str | None] = mapped_column(String(3))
    target_country: Mapped[str | None] = mapped_column(String(3))
    direction_confidence: Mapped[float | None] = mapped_column(Float)
    # [{"text": "Seoul", "start": 0, "end": 5, "iso3": "KOR", "kind": "metonym", "venue": false}, ...]
    mentions: Mapped[list[JsonDict]] = mapped_column(JSON, default=list)
    entities: Mapped[list[JsonDict] | None] = mapped_column(JSON)
    importance: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    article: Mapped[Article] = relationship()


class LabeledExample(Base):
    """A labeled sentence from an imported dataset, with the group that keeps near copies together."""

    __tablename__ = "labeled_examples"
    __table_args__ = (
        UniqueConstraint("origin", "source_row"),
        Index("ix_labeled_examples_scheme", "label_scheme"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(64))
    label_scheme: Mapped[str] = mapped_column(String(64))
    # Dataset name and version, e.g. "conflibert-cameo@1" or "my-labels.csv@sha256:...".
    origin: Mapped[str] = mapped_column(String(200))
    source_row: Mapped[int] = mapped_column(Integer)
    split_group: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    # Provenance: who gave the label and when (Label Studio's completed_by / created_at, or the
    # importer's --labeled-by), the file it came from, and the corpus sentence it labels if known.
    annotator: Mapped[str | None] = mapped_column(String(200))
    labeled_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    source_file: Mapped[str | None] = mapped_column(Text)
    sentence_id: Mapped[int | None] = mapped_column(Integer)
    # May a frozen benchmark be carved from this row? Imports say no unless asked explicitly.
    benchmark_eligible: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Prediction(Base):
    """A model version's reading of a sentence; one per (sentence, model, version): re-runs never duplicate."""

    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("sentence_id", "model_name", "model_version"),
        Index("ix_predictions_model", "model_name", "model_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentences.id", ondelete="CASCADE"), index=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64))
    # {"conflict": 0.1, "neutral": 0.2, "cooperation": 0.7}
    probabilities: Mapped[dict[str, float]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


ACTIVE_JOB = "status IN ('queued', 'running')"


class ScoringJob(Base):
    """A bulk scoring (or backfill/index) job submitted through the API and run by Celery.

    `dedupe_key` names work that must not run twice at once (a version's backfill, the
    scheduled scoring job): a unique index over the active jobs only lets the database refuse
    a second active job with the same key, whichever process (API replica, beat) asks.
    """

    __tablename__ = "scoring_jobs"
    __table_args__ = (
        Index("ix_scoring_jobs_status", "status"),
        Index(
            "uq_scoring_jobs_active_dedupe_key",
            "dedupe_key",
            unique=True,
            postgresql_where=text(ACTIVE_JOB),
            sqlite_where=text(ACTIVE_JOB),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(String(32), default="score")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    model_name: Mapped[str | None] = mapped_column(String(200))
    model_version: Mapped[str | None] = mapped_column(String(32))
    params: Mapped[JsonDict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    # Last time the job moved (planned, or a chunk committed): the watchdog re-plans a job that
    # has not moved for a while although every message queued before its check was delivered
    # (the job's messages were lost).
    progress_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    dedupe_key: Mapped[str | None] = mapped_column(String(300))


class RelationIndexRow(Base):
    """The relation index for one country pair on one day, from one model version: over all the
    pair's sentences (direction ""), or over those where country_a acts on country_b (">") or
    country_b on country_a ("<")."""

    __tablename__ = "relation_index"
    __table_args__ = (
        UniqueConstraint(
            "country_a",
            "country_b",
            "direction",
            "day",
            "model_name",
            "model_version",
            name="uq_relation_index_pair_direction_day_version",
        ),
        Index("ix_relation_index_pair_version_day", "country_a", "country_b", "model_version", "day"),
        Index("ix_relation_index_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country_a: Mapped[str] = mapped_column(String(3))
    country_b: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(1), default="", server_default="")
    day: Mapped[dt.date] = mapped_column(Date)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(32))
    sentence_count: Mapped[int] = mapped_column(Integer)
    article_count: Mapped[int] = mapped_column(Integer)
    source_count: Mapped[int] = mapped_column(Integer)
    class_shares: Mapped[dict[str, float]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float] = mapped_column(Float)
    ci_high: Mapped[float] = mapped_column(Float)
    # Pair sentences / all scored sentences of that day.
    volume_share: Mapped[float] = mapped_column(Float, default=0.0)
    score_7d: Mapped[float | None] = mapped_column(Float)
    score_30d: Mapped[float | None] = mapped_column(Float)
    top_sentence_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # How the class shares were made (newsmodel.relindex.quantify): "mean-probability" (plain
    # average) or a correction for the version's measured confusion ("pacc", "acc", "em").
    quantification: Mapped[str] = mapped_column(
        String(40), default="mean-probability", server_default="mean-probability"
    )
    computed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class DriftPoint(Base):
    """One drift statistic of one model version on one day, against its reference
    (newsmodel.monitoring.drift); `statistic` "estimated_accuracy" holds the CBPE estimate."""

    __tablename__ = "drift_series"
    __table_args__ = (
        UniqueConstraint(
            "model_name", "model_version", "day", "statistic", name="uq_drift_series_version_day_statistic"
        ),
        Index("ix_drift_series_version_day", "model_name", "model_version", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date)
    statistic: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))  # drift / ok / too_few / estimate
    distance: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    alpha: Mapped[float | None] = mapped_column(Float)
    min_distance: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    reference_n: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(Text)
    current: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    # {"movers": [...], "low": ..., "high": ...}: what moved most, or the estimate's interval
    details: Mapped[JsonDict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class DriftEvent(Base):
    """A statistic that crossed its threshold: written once per (version, day, statistic)."""

    __tablename__ = "drift_events"
    __table_args__ = (
        UniqueConstraint(
            "model_name", "model_version", "day", "statistic", name="uq_drift_events_version_day_statistic"
        ),
        Index("ix_drift_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date)
    statistic: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    distance: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    alpha: Mapped[float] = mapped_column(Float)
    min_distance: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(Text)
    # the categories that moved most (country pairs for pair_mix: `label export`'s drifted_pair)
    movers: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


QUEUED_RETRAINING = "status = 'queued'"
RUNNING_RETRAINING = "status = 'running'"


class RetrainingRun(Base):
    """One retraining pipeline run (newsmodel.retraining): requested, then claimed and run once.

    The partial unique indexes let the database refuse a second queued run (requests coalesce
    into the queued one, whichever process asks) and a second running one.
    """

    __tablename__ = "retraining_runs"
    __table_args__ = (
        Index("ix_retraining_runs_status", "status"),
        Index(
            "uq_retraining_runs_one_queued",
            "status",
            unique=True,
            postgresql_where=text(QUEUED_RETRAINING),
            sqlite_where=text(QUEUED_RETRAINING),
        ),
        Index(
            "uq_retraining_runs_one_running",
            "status",
            unique=True,
            postgresql_where=text(RUNNING_RETRAINING),
            sqlite_where=text(RUNNING_RETRAINING),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # queued -> running -> finished | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    # The first trigger; every trigger (coalesced ones too) is a RetrainingTrigger row.
    trigger: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    # challenger_set | gate_refused | failed (newsmodel.retraining.triggers.OUTCOMES)
    outcome: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    # Per candidate: experiment, MLflow run id, registered version, gate decision or error.
    candidates: Mapped[list[JsonDict]] = mapped_column(JSON, default=list)
    model_name: Mapped[str | None] = mapped_column(String(200))
    challenger_version: Mapped[str | None] = mapped_column(String(32))
    # host:pid of the process that ran it.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    triggers: Mapped[list[RetrainingTrigger]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RetrainingTrigger.id"
    )


class RetrainingTrigger(Base):
    """One request for retraining (schedule, new labeled data, drift, manual) and the run it joined."""

    __tablename__ = "retraining_triggers"
    __table_args__ = (Index("ix_retraining_triggers_trigger_requested_at", "trigger", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("retraining_runs.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    # True when the request joined a run already queued instead of creating it.
    coalesced: Mapped[bool] = mapped_column(Boolean, default=False)
    run: Mapped[RetrainingRun] = relationship(back_populates="triggers")


class ShadowComparison(Base):
    """Champion vs challenger on the same live sentences, one row per version pair and source
    ("api": mirrored /v1/predict traffic, "job": bulk scoring). Counters only grow: every
    process (API replicas, workers) adds its tally under a row lock (newsmodel.shadow.store)."""

    __tablename__ = "shadow_comparisons"
    __table_args__ = (
        UniqueConstraint("model_name", "champion_version", "challenger_version", "source"),
        Index("ix_shadow_comparisons_challenger", "model_name", "challenger_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    champion_version: Mapped[str] = mapped_column(String(32))
    challenger_version: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer, default=0)
    agree: Mapped[int] = mapped_column(Integer, default=0)
    # {"conflict": {"cooperation": 3, ...}, ...}: rows the champion's label, columns the challenger's
    confusion: Mapped[JsonDict] = mapped_column(JSON, default=dict)
    # Counts of the top probability in ten equal bins over [0, 1], one list per model.
    champion_confidence: Mapped[list[int]] = mapped_column(JSON, default=list)
    challenger_confidence: Mapped[list[int]] = mapped_column(JSON, default=list)
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    end_reason: Mapped[str | None] = mapped_column(String(200))


class ShadowDisagreement(Base):
    """A sentence the champion and the challenger labelled differently (a bounded sample)."""

    __tablename__ = "shadow_disagreements"
    __table_args__ = (Index("ix_shadow_disagreements_versions", "model_name", "challenger_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    champion_version: Mapped[str] = mapped_column(String(32))
    challenger_version: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    champion_label: Mapped[str] = mapped_column(String(64))
    champion_confidence: Mapped[float] = mapped_column(Float)
    challenger_label: Mapped[str] = mapped_column(String(64))
    challenger_confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
