"""Request and response schemas of the REST API (the OpenAPI docs at /docs come from these)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator, model_validator

__all__ = [
    "CountryDirection",
    "CountryMention",
    "ErrorResponse",
    "JobRequest",
    "JobResponse",
    "ModelInfo",
    "ModelResponse",
    "PairReading",
    "PredictionRequest",
    "PredictionResponse",
    "SentencePrediction",
    "WebhookAck",
    "WebhookEvent",
]


@functools.cache
def _known_codes() -> frozenset[str]:
    from newsmodel.countries.gazetteer import known_codes

    return known_codes()


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
    pair: list[StrictStr] | None = Field(
        None,
        examples=[["KOR", "JPN"]],
        description="Two ISO 3166 alpha-3 codes, any order: read every sentence for this country "
        "pair. With a pair-aware live version (model card: `pair_input`) `label` and "
        "`probabilities` are then that pair's reading (its mentions marked in the text); a "
        "sentence-level version reads the sentence as it is and says so (`reading: sentence`)",
    )

    directions: StrictBool = Field(
        True,
        description="Parse each sentence that names two or more countries for who acts on whom "
        "(`directions`). false skips the parse (detection, pairs and the model's readings stay): "
        "it is most of a cold request's cost beside the model (BENCHMARKS.md), so clients that "
        "only need labels and countries send false; `directions` is then null (not parsed)",
    )

    @field_validator("pair")
    @classmethod
    def _known_pair(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if len(value) != 2:
            raise ValueError(f"a pair is two ISO 3166 alpha-3 codes, e.g. ['KOR', 'JPN']; got {len(value)}")
        codes = [code.strip().upper() for code in value]
        unknown = [code for code in codes if code not in _known_codes()]
        if unknown:
            raise ValueError(f"unknown ISO 3166 alpha-3 code(s) {unknown}: e.g. ['KOR', 'JPN']")
        if codes[0] == codes[1]:
            raise ValueError(f"a pair needs two different countries, got {codes}")
        return sorted(codes)

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

    @property
    def read_pair(self) -> tuple[str, str] | None:
        """The requested pair, sorted (validated above), or None."""
        return (self.pair[0], self.pair[1]) if self.pair else None


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


class PairReading(BaseModel):
    """One country pair of the sentence, as the served version reads it."""

    pair: tuple[str, str] = Field(description="Two ISO 3166 alpha-3 codes, sorted")
    label: str
    probabilities: dict[str, float]
    reading: Literal["pair", "sentence"] = Field(
        description="pair: a pair-aware version read the sentence for this pair (its mentions "
        "marked, see model_input), so pairs of one sentence can differ (JPN-KOR cooperation, "
        "KOR-PRK conflict); sentence: a sentence-level version, whose one label every pair carries "
        "(it is not a per-pair reading)"
    )
    model_input: str = Field(description="The text the model read for this pair")


class SentencePrediction(BaseModel):
    label: str
    probabilities: dict[str, float]
    pair: tuple[str, str] | None = Field(
        None, description="The requested pair (sorted) when the request named one, else null"
    )
    reading: Literal["pair", "sentence"] = Field(
        "sentence",
        description="pair: label/probabilities are the requested pair's reading by a pair-aware "
        "version; sentence: the sentence read as it is (no pair asked, or a sentence-level version)",
    )
    countries: list[str] = Field(description="ISO 3166 alpha-3 codes mentioned, sorted")
    country_pairs: list[tuple[str, str]] = Field(description="Unordered pairs of mentioned countries")
    directions: list[CountryDirection] | None = Field(
        default_factory=list,
        description="Each pair's direction (source -> target) from the parse; null when the "
        "request asked for none (`directions: false`)",
    )
    mentions: list[CountryMention]
    pair_readings: list[PairReading] = Field(
        default_factory=list,
        description="One entry per detected country pair (country_pairs' order): the pair's own "
        "reading by a pair-aware version (reading: pair), or the sentence's label repeated by a "
        "sentence-level one (reading: sentence)",
    )
    cached: bool = Field(description="label/probabilities came from the cache")


class ModelInfo(BaseModel):
    """The model version that answered, and which of its files: the variant and their sha256."""

    name: str
    version: str
    variant: str = Field(description="int8 or fp32 (APP_MODEL_VARIANT)")
    artifact_sha256: str = Field("", description="sha256 of the ONNX file that ran")


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
