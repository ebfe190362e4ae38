"""Response schemas of the relation index API (`/v1/relations...`): the OpenAPI docs come from these."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "DaySentenceView",
    "DaySentencesPage",
    "IndexMethod",
    "PairSummaryView",
    "RelationPoint",
    "RelationSeries",
    "RelationsPage",
    "SparkPointView",
    "VersionView",
]

Smoothing = Literal["none", "7d", "30d"]


class IndexMethod(BaseModel):
    """How the numbers were made, so a reader can check them (see docs/INDEX.md)."""

    scheme: str | None = Field(None, description="Label scheme of the model version, e.g. quad5")
    weights: dict[str, float] = Field(default_factory=dict, description="Polarity weight of each label")
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


class RelationsPage(BaseModel):
    """Every pair's latest reading under one model version, highest volume first."""

    model_name: str
    model_version: str
    as_of: dt.date = Field(description="Newest day in this version's index")
    window_days: int
    computed_at: dt.datetime
    versions: list[VersionView] = Field(description="All indexed versions, newest computed first")
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


class RelationSeries(BaseModel):
    pair: str
    model_name: str
    model_version: str
    start: dt.date
    end: dt.date
    smoothing: Smoothing
    method: IndexMethod
    points: list[RelationPoint]


class DaySentenceView(BaseModel):
    sentence_id: int
    text: str
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
    sentences: list[DaySentenceView]
