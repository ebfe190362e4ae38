"""Which sentences are most worth a person's label: where two model versions disagree, then those
of country pairs whose mix drifted (a pair-mix drift event named them), then where the live version
is least sure (smallest margin between its two most likely labels); least sure first within each.

Sentences already labeled (by sentence id) are skipped, and a text shared by several country-pair
rows is offered once. Predictions are streamed and only the best N kept, so memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from newsmodel.db.models import LabeledExample, Prediction, Sentence
from newsmodel.errors import DataError

__all__ = ["LabelCandidate", "select_candidates"]

DISAGREEMENT = "disagreement"
LOW_CONFIDENCE = "low_confidence"
DRIFTED_PAIR = "drifted_pair"


@dataclass(frozen=True)
class LabelCandidate:
    """One sentence to label, with why it was chosen (`reason`) and what the models said."""

    sentence_id: int
    text: str
    country_a: str
    country_b: str
    reason: str
    detail: str
    model_version: str
    predicted_label: str
    confidence: float
    margin: float
    compare_version: str | None = None
    compare_label: str | None = None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def _top_two(probabilities: dict[str, float]) -> tuple[float, float]:
    ranked = sorted((float(p) for p in probabilities.values()), reverse=True)
    return (ranked[0] if ranked else 0.0), (ranked[1] if len(ranked) > 1 else 0.0)


def select_candidates(
    session: Session,
    *,
    model_name: str,
    model_version: str,
    compare_version: str | None = None,
    limit: int = 100,
    drifted_pairs: Mapping[str, dt.date] | None = None,
) -> list[LabelCandidate]:
    """The `limit` sentences most worth labeling, most useful first (disagreements, then sentences of
    `drifted_pairs` ("KOR-USA" -> day of its drift event), then low margin)."""
    if limit < 1:
        raise DataError(f"--limit must be at least 1, got {limit}")
    other = aliased(Prediction)
    labeled = select(LabeledExample.sentence_id).where(LabeledExample.sentence_id.is_not(None))
    query = (
        select(Prediction, Sentence, other.label if compare_version else Prediction.label)
        .join(Sentence, Sentence.id == Prediction.sentence_id)
        .where(
            Prediction.model_name == model_name,
            Prediction.model_version == model_version,
            Prediction.sentence_id.not_in(labeled),
        )
        .order_by(Prediction.sentence_id)
    )
    if compare_version:
        query = query.outerjoin(
            other,
            and_(
                other.sentence_id == Prediction.sentence_id,
                other.model_name == model_name,
                other.model_version == compare_version,
            ),
        )
    best: list[tuple[float, int, LabelCandidate]] = []  # a min-heap of the top `limit`
    seen_texts: set[str] = set()
    found = 0
    for pred, sentence, other_label in session.execute(query.execution_options(yield_per=1000)):
        found += 1
        if sentence.text in seen_texts:
            continue
        seen_texts.add(sentence.text)
        top, second = _top_two(pred.probabilities)
        margin = top - second
        disagree = bool(compare_version) and other_label is not None and other_label != pred.label
        pair = f"{sentence.country_a}-{sentence.country_b}"
        drift_day = (drifted_pairs or {}).get(pair)
        # Disagreements outrank drifted pairs, which outrank every low-confidence sentence; within
        # each, the smaller margin first.
        priority = (2.0 if disagree else 1.0 if drift_day else 0.0) + (1.0 - margin)
        if disagree:
            reason = DISAGREEMENT
            detail = f"v{model_version} says {pred.label}, v{compare_version} says {other_label}"
        elif drift_day:
            reason = DRIFTED_PAIR
            detail = (
                f"pair {pair}'s share drifted (event of {drift_day.isoformat()}); "
                f"v{model_version} says {pred.label} at {top:.2f}"
            )
        else:
            reason = LOW_CONFIDENCE
            detail = f"v{model_version} says {pred.label} at {top:.2f}, margin {margin:.2f}"
        candidate = LabelCandidate(
            sentence_id=sentence.id,
            text=sentence.text,
            country_a=sentence.country_a,
            country_b=sentence.country_b,
            reason=reason,
            detail=detail,
            model_version=model_version,
            predicted_label=pred.label,
            confidence=round(top, 4),
            margin=round(margin, 4),
            compare_version=compare_version,
            compare_label=other_label if compare_version else None,
        )
        entry = (priority, -sentence.id, candidate)
        if len(best) < limit:
            heapq.heappush(best, entry)
        elif entry[:2] > best[0][:2]:
            heapq.heapreplace(best, entry)
    if not found:
        raise DataError(
            f"no predictions of {model_name} v{model_version} for unlabeled sentences: score sentences "
            "with that version first, or pick another with --model-version"
        )
    return [c for _, _, c in sorted(best, key=lambda e: e[:2], reverse=True)]
