"""Two API replicas notice the same promotion at the same moment: the database lets one backfill in.

Real Postgres, two connections: replica A has inserted its backfill but not committed yet when
replica B looks (and sees nothing, as under READ COMMITTED it must) and inserts too. B's insert
waits on the unique index over active jobs' keys, fails once A commits, and B returns A's job.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text

from app.relations.backfill import BACKFILL_KIND, create_backfill_job
from newsmodel.db.models import ScoringJob
from newsmodel.db.session import Database
from tests.newsmodel.relindex.seed import MODEL


def _waiting_on_a_lock(db: Database) -> int:
    with db.transaction() as session:
        return int(
            session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def test_two_replicas_requesting_the_same_backfill_at_once_create_one(db: str) -> None:
    replica_a, replica_b, observer = (Database.from_url(db) for _ in range(3))
    outcome: dict[str, tuple[str, bool] | BaseException] = {}

    def request_on_b() -> None:
        try:
            with replica_b.transaction() as session:
                outcome["b"] = create_backfill_job(session, MODEL, "5")
        except BaseException as exc:  # reported by the assertion below
            outcome["b"] = exc

    try:
        with replica_a.transaction() as session_a:
            job_a, created_a = create_backfill_job(session_a, MODEL, "5")
            session_a.flush()  # inserted, not committed: B cannot see it
            b = threading.Thread(target=request_on_b)
            b.start()
            deadline = time.monotonic() + 20
            while _waiting_on_a_lock(observer) == 0:  # B's insert blocks on A's index entry
                assert b.is_alive() and time.monotonic() < deadline, outcome.get("b")
                time.sleep(0.05)
        b.join(timeout=20)  # A committed when its block ended
        assert created_a
        assert outcome["b"] == (job_a, False)
        with observer.transaction() as session:
            active = session.scalar(
                select(func.count()).where(
                    ScoringJob.kind == BACKFILL_KIND, ScoringJob.status.in_(("queued", "running"))
                )
            )
        assert active == 1
    finally:
        for database in (replica_a, replica_b, observer):
            database.dispose()
