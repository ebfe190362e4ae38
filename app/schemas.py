"""Request and response schemas of the REST API (the OpenAPI docs at /docs come from these)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

__all__ = [
    "CountryDirection",
    "CountryMention",
    "ErrorResponse",
    "JobRequest",
    "JobResponse",
    "ModelInfo",
    "ModelResponse",
    "PredictionRequest",
    "PredictionResponse",
    "SentencePrediction",
    "WebhookAck",
    "WebhookEvent",
]


class ErrorResponse(BaseModel):
    """Every error the API returns: the error type and one line saying what to fix."""

    error: str
    detail: str


class PredictionRequest(BaseModel):
    """One sentence (`text`) or many (`sentences`); exactly one of the two."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"sentences": ["Seoul and Tokyo signed a trade pact on Monday."]}]},
    )

    text: StrictStr | None = Field(None, description="A single sentence")
    sentences: list[StrictStr] | None = Field(None, min_length=1, description="Several sentences")
    date: dt.date | None = Field(
        None,
        description="The article's date (YYYY-MM-DD): which heads of state and historical states a "
        "name means then (e.g. 'Khrushchev' counts for Russia in 1960, not in 2020); default: any date",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> PredictionRequest:
        if (self.text is None) == (self.sentences is None):
            raise ValueError(
                "send exactly one of 'text' (a string) or 'sentences' (a non-empty list of strings)"
            )
        return self

    @property
    def texts(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.sentences or [])


class CountryMention(BaseModel):
    text: str
    start: int
    end: int
    iso3: str
    kind: str = Field("name", description="name, demonym, metonym, leader, group, fuzzy, ko, ...")
    venue: bool = Field(False, description="Only hosts others' meeting: in no pair")


class CountryDirection(BaseModel):
    """Who acts on whom in one pair of the sentence (source -> target), or undirected."""

    a: str
    b: str
    source: str | None = Field(description="The acting country; null when the sentence does not say")
    target: str | None
    confidence: float = Field(description="How direct the grammatical evidence is (not a probability)")
    basis: str = Field(description="parse, nominal, conjoined, particles, not said, ...")
    label: str = Field(examples=["KOR>USA", "KOR-USA"])


class SentencePrediction(BaseModel):
    label: str
    probabilities: dict[str, float]
    countries: list[str] = Field(description="ISO 3166 alpha-3 codes mentioned, sorted")
    country_pairs: list[tuple[str, str]] = Field(description="Unordered pairs of mentioned countries")
    directions: list[CountryDirection] = Field(
        default_factory=list, description="Each pair's direction (source -> target) from the parse"
    )
    mentions: list[CountryMention]
    cached: bool


class ModelInfo(BaseModel):
    name: str
    version: str


class PredictionResponse(BaseModel):
    model: ModelInfo
    predictions: list[SentencePrediction]


class JobRequest(BaseModel):
    """Score sentences the live model version has not scored yet (all, or at most `limit`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["score"] = "score"
    limit: int | None = Field(None, ge=1, le=10**9, description="Score at most this many sentences")


class JobResponse(BaseModel):
    id: str
    kind: str
    status: str
    model_name: str | None
    model_version: str | None
    params: dict[str, Any]
    total: int
    done: int
    cancel_requested: bool
    error: str | None
    submitted_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress_at: dt.datetime | None = Field(
        None, description="last time the job moved; a job still for long is re-planned by the watchdog"
    )
    runner: str = Field("", description="celery or in-process (embedded mode)")


class ModelResponse(BaseModel):
    """The version being served and what following the registry currently sees."""

    serving: dict[str, Any] | None
    following: dict[str, Any]
    pending_by_language: dict[str, int] | None = Field(
        None,
        description="Sentences the served version leaves unscored because it does not read their "
        "language (e.g. Korean under an English model), per language; null when unknown",
    )


class WebhookEventData(BaseModel):
    name: StrictStr | None = Field(None, description="Registered model name")


class WebhookEvent(BaseModel):
    """What the server reads of an MLflow webhook delivery (the rest is ignored): parsed by
    pydantic's JSON parser, so bad UTF-8, bad JSON, deep nesting and wrong types are one 422."""

    entity: StrictStr = ""
    action: StrictStr = ""
    data: WebhookEventData = WebhookEventData(name=None)


class WebhookAck(BaseModel):
    accepted: bool
    action: str
