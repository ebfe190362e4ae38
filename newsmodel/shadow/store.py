"""Shadow comparisons in the corpus database: add a process's tally, end a run, read a summary.

Every process that mirrors (API replicas, Celery workers) adds its counts to the same row under
a row lock, so the stored figures are the sum over processes. Disagreements are kept up to a
cap per comparison; beyond it the sample stays as it is (the counts keep growing).
Functions take a Session and never commit: the caller's transaction decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newsmodel.db.models import ShadowComparison, ShadowDisagreement
from newsmodel.shadow.tally import BINS, ComparisonKey, Disagreement, ShadowTally

__all__ = ["ShadowSummary", "end_comparisons", "open_challengers", "record_tally", "shadow_summary"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _locked_row(session: Session, key: ComparisonKey) -> ShadowComparison:
    """The comparison's row, created if missing, locked until the caller's transaction ends."""
    where = (
        ShadowComparison.model_name == key.model_name,
        ShadowComparison.champion_version == key.champion_version,
        ShadowComparison.challenger_version == key.challenger_version,
        ShadowComparison.source == key.source,
    )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    now = _now()
    session.execute(
        insert(ShadowComparison)
        .values(
            model_name=key.model_name,
            champion_version=key.champion_version,
            challenger_version=key.challenger_version,
            source=key.source,
            n=0,
            agree=0,
            confusion={},
            champion_confidence=[0] * BINS,
            challenger_confidence=[0] * BINS,
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["model_name", "champion_version", "challenger_version", "source"]
        )
    )
    query = select(ShadowComparison).where(*where)
    if dialect == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query.execution_options(populate_existing=True)).one()
    return row


def record_tally(session: Session, key: ComparisonKey, tally: ShadowTally, sample_cap: int) -> None:
    """Add `tally` to the stored comparison and keep its disagreements while under `sample_cap`."""
    if tally.n == 0:
        return
    row = _locked_row(session, key)
    merged = ShadowTally()
    merged.merge_counts(row.n, row.agree, row.confusion, row.champion_confidence, row.challenger_confidence)
    merged.merge(tally)
    row.n, row.agree = merged.n, merged.agree
    row.confusion = merged.confusion
    row.champion_confidence = merged.champion_hist
    row.challenger_confidence = merged.challenger_hist
    row.updated_at = _now()
    row.ended_at, row.end_reason = None, None  # the alias came back: the run goes on
    stored = session.scalar(
        select(func.count())
        .select_from(ShadowDisagreement)
        .where(
            ShadowDisagreement.model_name == key.model_name,
            ShadowDisagreement.champion_version == key.champion_version,
            ShadowDisagreement.challenger_version == key.challenger_version,
        )
    )
    room = max(0, sample_cap - int(stored or 0))
    session.add_all(
        ShadowDisagreement(
            model_name=key.model_name,
            champion_version=key.champion_version,
            challenger_version=key.challenger_version,
            source=key.source,
            text=d.text,
            champion_label=d.champion_label,
            champion_confidence=d.champion_confidence,
            challenger_label=d.challenger_label,
            challenger_confidence=d.challenger_confidence,
        )
        for d in tally.sample[:room]
    )


def end_comparisons(session: Session, model_name: str, challenger_version: str, reason: str) -> int:
    """Mark the challenger's open comparisons ended (promoted, alias removed); rows changed."""
    result = session.execute(
        update(ShadowComparison)
        .where(
            ShadowComparison.model_name == model_name,
            ShadowComparison.challenger_version == challenger_version,
            ShadowComparison.ended_at.is_(None),
        )
        .values(ended_at=_now(), end_reason=reason[:200])
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_challengers(session: Session, model_name: str) -> list[str]:
    """Challenger versions of `model_name` whose shadow run is not marked ended."""
    rows = session.scalars(
        select(ShadowComparison.challenger_version)
        .where(ShadowComparison.model_name == model_name, ShadowComparison.ended_at.is_(None))
        .distinct()
    )
    return sorted(str(v) for v in rows)


@dataclass(frozen=True)
class SampledDisagreement:
    source: str
    item: Disagreement


@dataclass
class ShadowSummary:
    """One champion/challenger pair over every source, with its stored disagreements."""

    model_name: str
    champion_version: str
    challenger_version: str
    total: ShadowTally
    by_source: dict[str, ShadowTally]
    started_at: dt.datetime
    updated_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str | None
    disagreements_stored: int
    samples: list[SampledDisagreement] = field(default_factory=list)

    @property
    def status(self) -> str:
        return f"ended: {self.end_reason}" if self.ended_at is not None else "shadowing"

    def to_dict(self) -> dict[str, Any]:
        t = self.total
        ci = t.interval()
        return {
            "model_name": self.model_name,
            "champion_version": self.champion_version,
            "challenger_version": self.challenger_version,
            "status": self.status,
            "n": t.n,
            "agree": t.agree,
            "agreement": t.agreement,
            "agreement_ci95": list(ci) if ci else None,
            "by_source": {s: {"n": x.n, "agreement": x.agreement} for s, x in sorted(self.by_source.items())},
            "labels": t.labels(),
            "confusion": t.confusion,
            "confidence_bins": BINS,
            "champion_confidence": t.champion_hist,
            "challenger_confidence": t.challenger_hist,
            "champion_mean_confidence": t.mean_confidence("champion"),
            "challenger_mean_confidence": t.mean_confidence("challenger"),
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "disagreements_stored": self.disagreements_stored,
            "disagreements": [
                {
                    "source": s.source,
                    "text": s.item.text,
                    "champion_label": s.item.champion_label,
                    "champion_confidence": round(s.item.champion_confidence, 4),
                    "challenger_label": s.item.challenger_label,
                    "challenger_confidence": round(s.item.challenger_confidence, 4),
                }
                for s in self.samples
            ],
        }


def shadow_summary(
    session: Session,
    model_name: str,
    challenger_version: str | None = None,
    champion_version: str | None = None,
    samples: int = 10,
    sample_sources: Sequence[str] | None = None,
) -> ShadowSummary | None:
    """The comparison of `challenger_version` (default: the most recently updated one) with
    `champion_version` (default: the one it was last compared with); None when nothing is stored.

    Samples come most-confident first (the higher of the two models' confidences): the
    sentences where one model is sure and the other disagrees are the ones worth reading.
    `sample_sources` limits them to those sources (the public API shows corpus sentences only).
    """
    latest = select(ShadowComparison).where(ShadowComparison.model_name == model_name)
    if challenger_version is not None:
        latest = latest.where(ShadowComparison.challenger_version == challenger_version)
    if champion_version is not None:
        latest = latest.where(ShadowComparison.champion_version == champion_version)
    head = session.scalars(latest.order_by(ShadowComparison.updated_at.desc()).limit(1)).first()
    if head is None:
        return None
    rows = session.scalars(
        select(ShadowComparison).where(
            ShadowComparison.model_name == model_name,
            ShadowComparison.champion_version == head.champion_version,
            ShadowComparison.challenger_version == head.challenger_version,
        )
    ).all()
    total = ShadowTally()
    by_source: dict[str, ShadowTally] = {}
    for r in rows:
        part = ShadowTally()
        part.merge_counts(r.n, r.agree, r.confusion, r.champion_confidence, r.challenger_confidence)
        by_source[r.source] = part
        total.merge(part)
    where = (
        ShadowDisagreement.model_name == model_name,
        ShadowDisagreement.champion_version == head.champion_version,
        ShadowDisagreement.challenger_version == head.challenger_version,
    )
    stored = int(session.scalar(select(func.count()).select_from(ShadowDisagreement).where(*where)) or 0)
    pair = (ShadowDisagreement.champion_confidence, ShadowDisagreement.challenger_confidence)
    # SQLite's two-argument max() is Postgres's greatest()
    sure = func.greatest(*pair) if session.get_bind().dialect.name == "postgresql" else func.max(*pair)
    shown = select(ShadowDisagreement).where(*where)
    if sample_sources is not None:
        shown = shown.where(ShadowDisagreement.source.in_(list(sample_sources)))
    picked = session.scalars(shown.order_by(sure.desc(), ShadowDisagreement.id).limit(samples)).all()
    ended = [r.ended_at for r in rows if r.ended_at is not None]
    open_rows = [r for r in rows if r.ended_at is None]
    return ShadowSummary(
        model_name=model_name,
        champion_version=head.champion_version,
        challenger_version=head.challenger_version,
        total=total,
        by_source=by_source,
        started_at=min(r.started_at for r in rows),
        updated_at=max(r.updated_at for r in rows),
        ended_at=max(ended) if ended and not open_rows else None,
        end_reason=next((r.end_reason for r in rows if r.end_reason), None) if not open_rows else None,
        disagreements_stored=stored,
        samples=[
            SampledDisagreement(
                d.source,
                Disagreement(
                    d.text,
                    d.champion_label,
                    d.champion_confidence,
                    d.challenger_label,
                    d.challenger_confidence,
                ),
            )
            for d in picked
        ],
    )
