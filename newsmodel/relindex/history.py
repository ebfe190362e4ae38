"""The index's history across model versions: when each version went live, and how much of the
data a version's index covers (is its backfill done?).

A promotion is seen by the app, which queues a backfill of the new version at once
(`app.main._backfill_on_promotion`, `app.relations.backfill`): the first backfill job of a
version dates its switch, so the database itself keeps the history a reader needs to tell an
old series from a new one. No registry call here: the live version comes from the caller,
who asked `newsmodel.registry.live`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import distinct, select
from sqlalchemy.orm import Session

from newsmodel.db.models import RelationIndexRow, ScoringJob
from newsmodel.relindex.queries import IndexNotFound, VersionInfo, indexed_versions

__all__ = [
    "ACTIVE_JOB_STATUSES",
    "BACKFILL_KIND",
    "ChosenVersion",
    "Coverage",
    "LiveSwitch",
    "choose_version",
    "live_switches",
    "version_coverage",
]

BACKFILL_KIND = "backfill"
ACTIVE_JOB_STATUSES = ("queued", "running")
_MISSING_LISTED = 31  # missing days named in a response; the count is always exact


@dataclass(frozen=True)
class LiveSwitch:
    """`model_version` went live at `switched_at` (when the app queued its backfill)."""

    model_name: str
    model_version: str
    previous_version: str | None
    switched_at: dt.datetime
    backfill_status: str


@dataclass(frozen=True)
class Coverage:
    """Days a version's index covers against the days any version's index covers."""

    days_indexed: int
    days_in_data: int
    days_missing: int
    missing_days: list[dt.date]
    backfill_status: str | None
    backfill_scored: int | None
    backfill_total: int | None

    @property
    def complete(self) -> bool:
        return self.days_missing == 0 and self.backfill_status not in ACTIVE_JOB_STATUSES


@dataclass(frozen=True)
class ChosenVersion:
    version: VersionInfo
    reason: str
    is_live: bool


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts


def live_switches(session: Session, model_name: str) -> list[LiveSwitch]:
    """Each version's first backfill, oldest first: the moments the live version changed."""
    stmt = (
        select(ScoringJob.model_version, ScoringJob.submitted_at, ScoringJob.status)
        .where(
            ScoringJob.kind == BACKFILL_KIND,
            ScoringJob.model_name == model_name,
            ScoringJob.model_version.is_not(None),
        )
        .order_by(ScoringJob.submitted_at, ScoringJob.id)
    )
    switches: list[LiveSwitch] = []
    seen: set[str] = set()
    for version, at, status in session.execute(stmt):
        if version is None or version in seen:
            continue
        seen.add(version)
        previous = switches[-1].model_version if switches else None
        switches.append(LiveSwitch(model_name, version, previous, _aware(at), status))
    return switches


def _latest_backfill(session: Session, version: VersionInfo) -> ScoringJob | None:
    return session.scalars(
        select(ScoringJob)
        .where(
            ScoringJob.kind == BACKFILL_KIND,
            ScoringJob.model_name == version.model_name,
            ScoringJob.model_version == version.model_version,
        )
        .order_by(ScoringJob.submitted_at.desc(), ScoringJob.id.desc())
        .limit(1)
    ).first()


def version_coverage(session: Session, version: VersionInfo) -> Coverage:
    """Which days `version` has not indexed that some version has (every day the data reached the
    index), and the state of its latest backfill. Reads only relation_index (by its day index) and
    scoring_jobs, so every response can afford it."""
    days = select(distinct(RelationIndexRow.day)).where(RelationIndexRow.direction == "")
    data_days = set(session.scalars(days))
    indexed = set(
        session.scalars(
            days.where(
                RelationIndexRow.model_name == version.model_name,
                RelationIndexRow.model_version == version.model_version,
            )
        )
    )
    missing = sorted(data_days - indexed)
    job = _latest_backfill(session, version)
    return Coverage(
        days_indexed=len(indexed),
        days_in_data=len(data_days),
        days_missing=len(missing),
        missing_days=missing[:_MISSING_LISTED],
        backfill_status=job.status if job else None,
        backfill_scored=job.done if job else None,
        backfill_total=job.total if job else None,
    )


def choose_version(
    session: Session,
    *,
    model_name: str | None,
    model_version: str | None,
    live_name: str | None,
    live_version: str | None,
    live_via: str | None = None,
) -> ChosenVersion:
    """The version a reader gets: the asked one, else the live one, else (none live, or the live one
    not indexed at all yet) the most recently computed, with the reason in words."""
    live_here = live_version is not None and model_name in (None, live_name)
    if model_version is not None:
        found = _only(indexed_versions(session, model_name), model_version, model_name)
        is_live = live_here and found.model_name == live_name and found.model_version == live_version
        return ChosenVersion(found, "asked for" + (" (the live version)" if is_live else ""), is_live)
    if live_here:
        assert live_name is not None and live_version is not None
        versions = indexed_versions(session, live_name)
        for v in versions:
            if v.model_version == live_version:
                return ChosenVersion(v, f"the live version ({live_via or 'registry'})", True)
        others = indexed_versions(session, model_name)
        if others:
            return ChosenVersion(
                others[0],
                f"the live version v{live_version} has no index rows yet (its backfill has not "
                "indexed a day): showing the most recently computed",
                False,
            )
    versions = indexed_versions(session, model_name)
    if not versions:
        raise IndexNotFound(
            "no relation index rows"
            + (f" of {model_name!r}" if model_name else "")
            + ": run `newsmodel index build` (or the relations.build_index task) after scoring sentences"
        )
    return ChosenVersion(versions[0], "nothing is live in the registry: the most recently computed", False)


def _only(versions: list[VersionInfo], model_version: str, model_name: str | None) -> VersionInfo:
    for v in versions:
        if v.model_version == model_version:
            return v
    scope = f" of {model_name!r}" if model_name else ""
    raise IndexNotFound(
        f"no relation index rows for model version {model_version!r}{scope}: indexed versions are "
        + (", ".join(sorted({v.model_version for v in versions})) or "none")
    )
