"""What the relation routes share: parameter types, settings, and which model version to show.

The default version is the live one as the app's model follower last resolved it through
`newsmodel.registry.live` (the one resolver the server uses), never "the newest computed",
unless nothing is live or the live version has no index row yet; the response says which.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path as PathParam
from fastapi import Query, Request
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.relations.schemas import BackfillView, IndexMethod, ShownVersion, SwitchView
from newsmodel.labels.schemes import LabelScheme
from newsmodel.registry.live import LiveVersion
from newsmodel.relindex import (
    DEFAULT_RESAMPLES,
    INTERVAL_LEVEL,
    PAIR_FORM,
    ChosenVersion,
    CountryPair,
    Coverage,
    IndexNotFound,
    LiveSwitch,
    VersionInfo,
    choose_version,
    live_switches,
    method_id,
    version_coverage,
)
from newsmodel.relindex.quantify import PLAIN
from newsmodel.settings import BaseServiceSettings, get_settings

__all__ = [
    "FIRST_INDEX_DAY",
    "LAST_INDEX_DAY",
    "IndexDay",
    "NameParam",
    "PairParam",
    "VersionParam",
    "backfill_view",
    "choose",
    "live",
    "method_view",
    "parse_pair",
    "service_settings",
    "shown",
    "switch_view",
]

# What each quantification method means, for readers of a response (docs/INDEX.md).
QUANTIFICATION_TEXT: dict[str, str] = {
    PLAIN: "mean of each label's probability over the sentences (plain averaging; the version "
    "stores no calibration, so no correction for its errors)",
    "pacc": "mean temperature-calibrated probabilities corrected for the version's confusion measured "
    "on held-out data (probabilistic adjusted classify-and-count), projected onto the simplex",
    "acc": "predicted-label counts corrected for the version's held-out confusion (adjusted classify-and-count)",
    "em": "calibrated probabilities re-weighted to the day's prior by EM (Saerens et al. 2002)",
}

# Every day a client names is bounded before any date arithmetic (start = end - 179 days would
# overflow at 0001-01-01): far wider than any news index, far from date.min/date.max.
FIRST_INDEX_DAY = dt.date(1970, 1, 1)
LAST_INDEX_DAY = dt.date(2199, 12, 31)
# Names and versions go into SQL: printable text of a sane length (Postgres refuses NUL).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def _within_index_range(day: dt.date) -> dt.date:
    if not FIRST_INDEX_DAY <= day <= LAST_INDEX_DAY:
        raise ValueError(f"must be between {FIRST_INDEX_DAY} and {LAST_INDEX_DAY} (YYYY-MM-DD)")
    return day


IndexDay = Annotated[dt.date, AfterValidator(_within_index_range)]
PairParam = Annotated[
    str, PathParam(description=f"Country pair: {PAIR_FORM}", examples=["KOR-USA", "KOR>USA"], max_length=64)
]
VersionParam = Annotated[
    str | None,
    Query(
        description="Model version; default: the live version's index (else the newest computed)",
        max_length=64,
        pattern=PRINTABLE,
    ),
]
NameParam = Annotated[
    str | None,
    Query(description="Registered model name; default: any", max_length=256, pattern=PRINTABLE),
]


def service_settings(request: Request) -> BaseServiceSettings:
    """The app's settings once its lifespan has built them, else the environment's."""
    settings = getattr(getattr(request.app.state, "services", None), "settings", None)
    return settings if isinstance(settings, BaseServiceSettings) else get_settings()


def parse_pair(text: str) -> CountryPair:
    return CountryPair.parse(text)  # DataError -> 422 naming the expected form


def live(request: Request) -> LiveVersion | None:
    """The live version as the app's model follower last resolved it (None outside the full app)."""
    follower = getattr(getattr(request.app.state, "services", None), "follower", None)
    found = getattr(follower, "live", None)
    return found if isinstance(found, LiveVersion) else None


def choose(
    request: Request, session: Session, model_name: str | None, model_version: str | None
) -> ChosenVersion:
    """The asked version, else the live one; an unknown version is a 404 naming the indexed ones."""
    now = live(request)
    try:
        return choose_version(
            session,
            model_name=model_name,
            model_version=model_version,
            live_name=now.name if now else None,
            live_version=now.version if now else None,
            live_via=now.via if now else None,
        )
    except IndexNotFound as exc:
        raise NotFound(str(exc)) from None


def method_view(scheme: LabelScheme | None, quantification: str = PLAIN) -> IndexMethod:
    corrected = quantification != PLAIN
    return IndexMethod(
        id="+".join(method_id(scheme.name if scheme else None, q) for q in quantification.split("+")),
        scheme=scheme.name if scheme else None,
        weights=dict(scheme.polarity) if scheme else {},
        quantification=quantification,
        shares=QUANTIFICATION_TEXT.get(quantification, quantification),
        score=(
            "sum_k share_k * weight_k of the corrected class shares, in [-1, 1]"
            if corrected
            else "mean over sentences of sum_k p_k * weight_k (probability-weighted polarity), in [-1, 1]"
        ),
        interval=(
            f"{INTERVAL_LEVEL:.0%} percentile bootstrap over articles, {DEFAULT_RESAMPLES} seeded "
            "resamples"
            + (
                ", each also redrawing the confusion matrix from its held-out uncertainty"
                if corrected
                else ""
            )
            + "; [-1, 1] when the day has a single article"
        ),
    )


def backfill_view(coverage: Coverage) -> BackfillView:
    return BackfillView(
        complete=coverage.complete,
        days_indexed=coverage.days_indexed,
        days_in_data=coverage.days_in_data,
        days_missing=coverage.days_missing,
        missing_days=coverage.missing_days,
        backfill_status=coverage.backfill_status,
        backfill_scored=coverage.backfill_scored,
        backfill_total=coverage.backfill_total,
    )


def switch_view(switch: LiveSwitch) -> SwitchView:
    return SwitchView(
        model_version=switch.model_version,
        previous_version=switch.previous_version,
        switched_at=switch.switched_at,
        backfill_status=switch.backfill_status,
    )


def shown(session: Session, chosen: ChosenVersion) -> ShownVersion:
    """The "which version, why, how complete, and when did the live one change" part of a page."""
    version: VersionInfo = chosen.version
    return ShownVersion(
        is_live=chosen.is_live,
        shown_because=chosen.reason,
        backfill=backfill_view(version_coverage(session, version)),
        switches=[switch_view(s) for s in live_switches(session, version.model_name)],
    )
