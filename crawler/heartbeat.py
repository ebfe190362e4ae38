"""The crawler scheduler's heartbeat in the corpus database: one row per instance.

`crawler schedule` beats every HEARTBEAT_EVERY_S; `crawler health` (the container's
healthcheck) and `healthcheck heartbeat` read the age of this instance's beat. In the database
rather than a file under the state dir, so it survives a container's disk and an operator can
see every replica's last beat in one place.
"""

from __future__ import annotations

import datetime as dt
import os

from newsmodel.db.models import CrawlerHeartbeat, utcnow
from newsmodel.db.session import Database

__all__ = ["HEARTBEAT_EVERY_S", "beat", "heartbeat_age_s"]

HEARTBEAT_EVERY_S = 30


def beat(db: Database, instance: str, started_at: dt.datetime) -> None:
    """Record that the scheduler `instance` (started at `started_at`) is alive now."""
    with db.transaction() as session:
        row = session.get(CrawlerHeartbeat, instance)
        if row is None:
            row = CrawlerHeartbeat(instance=instance)
            session.add(row)
        row.pid, row.started_at, row.beat_at = os.getpid(), started_at, utcnow()


def heartbeat_age_s(db: Database, instance: str) -> float | None:
    """Seconds since `instance` last beat, or None if it never beat into this database."""
    with db.transaction() as session:
        row = session.get(CrawlerHeartbeat, instance)
        return None if row is None else (utcnow() - row.beat_at).total_seconds()
