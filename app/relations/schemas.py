"""Response schemas of the relation index API (`/v1/relations...`): the OpenAPI docs come from these."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AccuracyPointView",
    "AlertsPage",
    "BackfillView",
    "ComparedSeries",
    "DaySentenceView",
    "DaySentencesPage",
    "DriftEventView",
    "DriftPage",
    "DriftPointView",
    "DriftSeriesView",
    "DriftThresholdsView",
    "IndexMethod",
    "PairAlertView",
    "PairSummaryView",
    "RelationPoint",
    "RelationSeries",
    "RelationsPage",
    "SparkPointView",
    "SwitchView",
    "VersionView",
]

Smoothing = Literal["none", "7d", "30d"]


class IndexMethod(BaseModel):
    """How the numbers were made, so a reader can check them (see docs/INDEX.md)."""

    id: str = Field(
        description="Short name of the method (scheme/score/interval), as in the export's `method` column",
        examples=[
            "relation3/pacc-calibrated-polarity/article-confusion-bootstrap-95-1000",
            "quad5/mean-polarity/article-bootstrap-95-1000",
        ],
    )
    scheme: str | None = Field(None, description="Label scheme of the model version, e.g. quad5")
    weights: dict[str, float] = Field(default_factory=dict, description="Polarity weight of each label")
    quantification: str = Field(
        default="mean-probability",
        description="How class shares were made: pacc (corrected for the version's held-out confusion), "
        "or mean-probability (plain averaging: versions that store no calibration)",
        examples=["pacc", "mean-probability"],
    )
    shares: str = Field(default="", description="The quantification method in words")
    score: str = "mean over sentences of sum_k p_k * weight_k (probability-weighted polarity), in [-1, 1]"
    interval: str
    smoothing: str = "trailing 7- and 30-calendar-day means weighted by sentence count"
    volume: str = "pair sentences / all sentences this model version scored that day"


class VersionView(BaseModel):
    model_name: str
    model_version: str
    pairs: int
    rows: int
    first_day: dt.date
    last_day: dt.date
    computed_at: dt.datetime


class BackfillView(BaseModel):
    """Is the shown version's history complete? Its index days against every day any version indexed."""

    complete: bool = Field(description="No day missing and no backfill of this version queued or running")
    days_indexed: int
    days_in_data: int = Field(description="Days indexed by any model version")
    days_missing: int
    missing_days: list[dt.date] = Field(description="The first missing days (at most 31)")
    backfill_status: str | None = Field(None, description="Status of this version's latest backfill job")
    backfill_scored: int | None = None
    backfill_total: int | None = None


class SwitchView(BaseModel):
    """A change of the live version, dated when the app saw it and queued the new version's backfill."""

    model_version: str
    previous_version: str | None
    switched_at: dt.datetime
    backfill_status: str


class ShownVersion(BaseModel):
    """Which version a response shows, and why (shared fields of the pages below)."""

    is_live: bool = Field(False, description="The shown version is the registry's live version")
    shown_because: str = Field("", description="Why this version: asked for, live, or a fallback")
    backfill: BackfillView | None = None
    switches: list[SwitchView] = Field(
        default_factory=list, description="Every live-version change of this model, oldest first"
    )


class SparkPointView(BaseModel):
    day: dt.date
    score: float
    score_7d: float | None


class PairSummaryView(BaseModel):
    pair: str = Field(examples=["KOR-USA", "KOR>USA"])
    country_a: str
    country_b: str
    source: str | None = Field(
        default=None,
        description="The acting country of a directed pair (KOR>USA: KOR); null for the unordered pair",
    )
    latest_day: dt.date
    score: float
    ci_low: float
    ci_high: float
    score_7d: float | None
    score_30d: float | None
    trend_7d: float | None = Field(description="score_7d now minus score_7d a week earlier")
    trend: Literal["up", "down", "flat", "unknown"]
    sentence_count: int = Field(description="Sentences on the latest day")
    sentences_in_window: int
    sparkline: list[SparkPointView]


class RelationsPage(ShownVersion):
    """Every pair's latest reading under one model version, highest volume first."""

    model_name: str
    model_version: str
    as_of: dt.date = Field(description="Newest day in this version's index")
    window_days: int
    computed_at: dt.datetime
    versions: list[VersionView] = Field(description="All indexed versions, newest computed first")
    live_model_version: str | None = Field(
        None,
        description="The registry's live version (alias champion, else stage Production): the default "
        "index when it has one",
    )
    live_via: str | None = Field(None, description="How it is live, e.g. 'alias champion'")
    method: IndexMethod
    pairs: list[PairSummaryView]


class RelationPoint(BaseModel):
    day: dt.date
    value: float | None = Field(description="The score the `smoothing` parameter asked for")
    score: float
    ci_low: float
    ci_high: float
    score_7d: float | None
    score_30d: float | None
    sentence_count: int
    article_count: int
    source_count: int
    volume_share: float
    class_shares: dict[str, float]


class ComparedSeries(BaseModel):
    """Another version's reading of the same pair and range, to overlay on the shown one."""

    model_version: str
    method: IndexMethod
    backfill: BackfillView
    points: list[RelationPoint]
    overlap_days: int = Field(description="Days both versions have a row for")
    overlap_start: dt.date | None
    overlap_end: dt.date | None
    mean_difference: float | None = Field(
        description="Mean of (shown - compared) daily score over the overlap days"
    )
    switch: SwitchView | None = Field(
        description="The moment the live version changed between these two versions (the marker)"
    )


class RelationSeries(ShownVersion):
    pair: str
    model_name: str
    model_version: str
    live_model_version: str | None = None
    start: dt.date
    end: dt.date
    smoothing: Smoothing
    method: IndexMethod
    points: list[RelationPoint]
    compare: ComparedSeries | None = Field(None, description="Present when `compare_version` was given")


class MarkedMention(BaseModel):
    """A mention the pair-aware version was shown marked (offsets into `text`)."""

    text: str
    start: int
    end: int
    iso3: str
    kind: str = "name"
    venue: bool = False


class DaySentenceView(BaseModel):
    sentence_id: int
    text: str
    model_input: str | None = Field(
        None,
        description="The text the version read for this pair: the pair's mentions marked (`@ ... @`, "
        "or the pair named first) by a pair-aware version, the sentence as stored by a "
        "sentence-level one; null when the page's `reading` is unknown",
    )
    marked: list[MarkedMention] = Field(
        default_factory=list, description="The mentions a pair-aware version was shown marked"
    )
    label: str
    probability: float = Field(description="Probability of the predicted label")
    probabilities: dict[str, float]
    polarity: float = Field(description="sum_k p_k * weight_k of this sentence")
    top: bool = Field(description="One of the index row's top sentences")
    article_id: int
    title: str | None
    url: str
    source: str | None
    published_at: dt.datetime | None


class DaySentencesPage(BaseModel):
    pair: str
    day: dt.date
    model_name: str
    model_version: str
    total: int
    limit: int
    offset: int
    index: RelationPoint | None = Field(description="The pair-day's index row, if it has been built")
    method: IndexMethod | None = Field(None, description="How the index row was made (absent with no row)")
    reading: Literal["pair", "sentence", "unknown"] = Field(
        "unknown",
        description="pair: the version reads each sentence for this pair (pair-aware, see "
        "`pair_input`); sentence: it reads sentences as they are; unknown: this server has not "
        "loaded the version, so what it read is not shown",
    )
    pair_input: str | None = Field(None, description="The pair-aware version's encoding, e.g. markers@1")
    sentences: list[DaySentenceView]


class PairAlertView(BaseModel):
    pair: str
    status: Literal["alert", "ok", "too_few"]
    recent_score: float | None = Field(description="Mean polarity of the last 7 days")
    baseline_score: float | None = Field(description="Mean polarity of the 30 days before them")
    baseline_low: float | None
    baseline_high: float | None
    shift: float | None = Field(description="recent_score - baseline_score")
    recent_sentences: int
    baseline_sentences: int
    recent_articles: int
    baseline_articles: int


class AlertsPage(BaseModel):
    """Pairs whose last 7 days leave the range the 30 days before them predict; flagged first."""

    model_name: str
    model_version: str
    is_live: bool
    shown_because: str
    as_of: dt.date
    recent_start: dt.date
    baseline_start: dt.date
    baseline_end: dt.date
    min_sentences: int
    method: str
    quantification: str = Field(
        default="mean-probability",
        description="Alerts compare mean sentence polarity (the mean of the served, calibrated "
        "probabilities), not corrected shares: a shift is read the same way in both windows",
    )
    flagged: list[str]
    pairs: list[PairAlertView]


class DriftPointView(BaseModel):
    day: dt.date
    status: Literal["drift", "ok", "too_few"]
    distance: float | None = Field(description="PSI (unknown_token_rate: change in the mean rate)")
    p_value: float | None
    alpha: float | None = Field(description="The test's share of the day's false-alarm budget")
    min_distance: float | None = Field(description="The smallest distance that counts")
    n: int = Field(description="Sentences of the day")
    reference_n: int = Field(description="Sentences of the reference")
    reference: str = Field(description="Where the reference came from")
    current: float | None = Field(None, description="Numeric statistics: the day's mean")
    baseline: float | None = Field(None, description="Numeric statistics: the reference's mean")
    movers: list[str] = Field(default_factory=list, description="Categories that moved most")


class DriftSeriesView(BaseModel):
    statistic: str
    kind: Literal["input", "prediction", "confidence"]
    latest_status: Literal["drift", "ok", "too_few"] | None
    points: list[DriftPointView]


class AccuracyPointView(BaseModel):
    day: dt.date
    accuracy: float = Field(description="Mean top-class confidence: the accuracy a calibrated model expects")
    low: float
    high: float
    n: int


class DriftEventView(BaseModel):
    day: dt.date
    statistic: str
    kind: str
    distance: float
    p_value: float
    alpha: float
    n: int
    reference: str
    movers: list[str]
    created_at: dt.datetime


class DriftThresholdsView(BaseModel):
    alpha_per_day: float
    prediction_alpha: float
    other_alpha: float
    min_psi_prediction: float
    min_psi_input: float
    min_unknown_rate_change: float
    min_sentences: int
    min_reference_sentences: int
    reference_days: int
    prediction_reference: str


class DriftPage(BaseModel):
    """A version's drift statistics per day, the events they raised, and the estimated accuracy."""

    model_name: str
    model_version: str
    is_live: bool
    shown_because: str
    start: dt.date
    end: dt.date
    method: str
    thresholds: DriftThresholdsView
    series: list[DriftSeriesView]
    estimated_accuracy: list[AccuracyPointView]
    events: list[DriftEventView]
