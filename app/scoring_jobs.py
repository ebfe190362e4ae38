"""Bulk scoring jobs in the database: create, read, cancel, and score one chunk.

A job is planned once (`start_job`: version pinned, work counted, cut into sentence-id ranges
of about one chunk each); each range is one Celery task, so a task never runs longer than one
chunk, the broker's visibility timeout can be sized to it, and several workers share a job.
Scoring is idempotent: rows go in with insert-on-conflict-do-nothing on (sentence_id,
model_name, model_version), so a range run twice (worker killed after the insert, before the
ack) never duplicates a prediction, and `done` only counts rows actually inserted.

Functions that take a `Session` work inside the caller's transaction and never commit; the
caller (a route, a task) commits before it tells anyone else about the change. `score_range`,
`score_chunk` and `run_job_inline` take the `Database`: a chunk is two transactions on
purpose, with inference between them outside any transaction or row lock.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from newsmodel.db.models import Prediction, ScoringJob, Sentence
from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable
from newsmodel.logging import get_logger

if TYPE_CHECKING:  # only the handle's name, version and predictor are used: no model code here
    from app.model_follower import ModelHandle

__all__ = [
    "FINAL_STATUSES",
    "ChunkResult",
    "JobPlan",
    "StalledJobs",
    "count_jobs",
    "create_job",
    "create_job_once",
    "get_job",
    "mark_failed",
    "request_cancel",
    "run_job_inline",
    "score_chunk",
    "score_range",
    "sentence_pairs",
    "start_job",
    "take_stalled",
]

log = get_logger(__name__)
FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled", "superseded"})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def job_view(job: ScoringJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "model_name": job.model_name,
        "model_version": job.model_version,
        "params": job.params,
        "total": job.total,
        "done": job.done,
        "cancel_requested": job.cancel_requested,
        "error": job.error,
        "submitted_at": job.submitted_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "progress_at": job.progress_at,
    }


def create_job(session: Session, kind: str, params: dict[str, Any], model_name: str) -> dict[str, Any]:
    """Add a queued job (flushed, so it has its id); the caller commits before dispatching it."""
    job = ScoringJob(kind=kind, status="queued", model_name=model_name, params=params)
    session.add(job)
    session.flush()
    return job_view(job)


def create_job_once(
    session: Session,
    key: str,
    kind: str,
    params: dict[str, Any],
    model_name: str,
    model_version: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Add a queued job unless an active (queued or running) one holds `key`; returns the job
    and whether it was created. The database decides: the unique index over active jobs'
    keys refuses a second one, so two processes asking at once (API replicas, a restarted
    beat) get one job between them, the loser the winner's. The caller commits."""
    active = _active_with_key(session, key)
    if active is not None:
        return job_view(active), False
    job = ScoringJob(
        kind=kind,
        status="queued",
        model_name=model_name,
        model_version=model_version,
        params=params,
        dedupe_key=key,
    )
    try:
        with session.begin_nested():  # only this insert is undone if the key is taken
            session.add(job)
    except IntegrityError:
        # On Postgres the insert waited for the other transaction and failed once it
        # committed, so this read (a new statement) sees its job.
        active = _active_with_key(session, key)
        if active is None:
            raise
        return job_view(active), False
    return job_view(job), True


def _active_with_key(session: Session, key: str) -> ScoringJob | None:
    return session.scalar(
        select(ScoringJob).where(ScoringJob.dedupe_key == key, ScoringJob.status.in_(("queued", "running")))
    )


def _job(session: Session, job_id: str, *, for_update: bool = False) -> ScoringJob:
    job = session.get(ScoringJob, job_id, with_for_update=for_update)
    if job is None:
        raise NotFound(f"no job with id {job_id!r}")
    return job


def get_job(session: Session, job_id: str) -> dict[str, Any]:
    return job_view(_job(session, job_id))


def request_cancel(session: Session, job_id: str) -> dict[str, Any]:
    """Cancel now if still queued; otherwise the running chunk stops at its next boundary."""
    job = _job(session, job_id, for_update=True)
    if job.status in FINAL_STATUSES:
        raise Conflict(f"job {job_id} already {job.status}; nothing to cancel")
    job.cancel_requested = True
    if job.status == "queued":
        job.status = "cancelled"
        job.finished_at = _now()
    return job_view(job)


def mark_failed(session: Session, job_id: str, error: str) -> None:
    job = session.get(ScoringJob, job_id)
    if job is not None and job.status not in FINAL_STATUSES:
        job.status, job.error, job.finished_at = "failed", error[:2000], _now()


@dataclass(frozen=True)
class StalledJobs:
    """What the watchdog decided: jobs to re-send (planning task again) and jobs given up."""

    resend: list[str]
    failed: list[str]


def take_stalled(session: Session, stalled_after_s: float, max_resumes: int) -> StalledJobs:
    """Queued or running jobs that have not moved for `stalled_after_s`: claim each for one more
    try (counted in params.resumes, progress time reset so the next check waits again), or fail
    it with a message once it has been resumed `max_resumes` times.

    Re-sending is safe: planning a running job again covers only what is still unscored, and
    rows go in insert-or-ignore, so a job that was merely slow is scored once all the same.
    """
    cutoff = _now() - dt.timedelta(seconds=stalled_after_s)
    moved = func.coalesce(ScoringJob.progress_at, ScoringJob.started_at, ScoringJob.submitted_at)
    resend: list[str] = []
    failed: list[str] = []
    query = select(ScoringJob).where(ScoringJob.status.in_(("queued", "running")), moved < cutoff)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for job in session.scalars(query.order_by(ScoringJob.submitted_at)).all():
        resumes = int(job.params.get("resumes", 0))
        if resumes >= max_resumes:
            job.status, job.finished_at = "failed", _now()
            job.error = (
                f"stalled: no progress for {stalled_after_s:.0f} s after {resumes} resume(s) "
                f"({job.done}/{job.total} scored); check the worker logs, then submit it again"
            )
            failed.append(job.id)
        else:
            job.params = {**job.params, "resumes": resumes + 1}
            job.progress_at = _now()
            resend.append(job.id)
    return StalledJobs(resend, failed)


def count_jobs(session: Session) -> dict[str, int]:
    rows = session.execute(select(ScoringJob.status, func.count()).group_by(ScoringJob.status)).all()
    return {str(status): int(n) for status, n in rows}


def _unscored(model_name: str, model_version: str, lo: int | None = None, hi: int | None = None) -> Any:
    """No prediction of the version for the sentence; `lo`/`hi` bound the predictions looked at too.

    Postgres does not carry `sentences.id >= lo` over to `predictions.sentence_id`; bounding
    both sides keeps the join within the range. Callers also run `_without_nested_loops`.
    """
    conditions = [
        Prediction.sentence_id == Sentence.id,
        Prediction.model_name == model_name,
        Prediction.model_version == model_version,
    ]
    if lo is not None:
        conditions.append(Prediction.sentence_id >= lo)
    if hi is not None:
        conditions.append(Prediction.sentence_id < hi)
    return ~exists().where(*conditions)


def _without_nested_loops(session: Session) -> None:
    """Keep the anti-joins over a job's sentences linear, whatever the statistics say.

    While a job runs, its version's predictions are newer than the table's statistics
    (autovacuum analyzes late), so Postgres takes the version for about one row and joins
    with a nested loop that re-reads all of them for every sentence: quadratic in the job
    (one range check of a 12,000-sentence job took 12-20 s, measured, past the 16 s soft
    time limit). Without nested loops it hashes or merges: linear. For this transaction only.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_nestloop = off"))


def _scorable(handle: ModelHandle, lo: int, hi: int | None) -> Any:
    """Sentence ids in [lo, hi) unscored by the version and in a language it reads (label_map
    `languages`): a Korean sentence is never given to an English model; it stays pending for
    one that reads Korean."""
    conditions = [
        _unscored(handle.name, handle.version, lo, hi),
        _in_languages(handle.predictor.label_map.languages),
        Sentence.id >= lo,
    ]
    if hi is not None:
        conditions.append(Sentence.id < hi)
    return and_(*conditions)


def _in_languages(languages: tuple[str, ...]) -> Any:
    # "en-US" counts as "en"; sentences with no language recorded are English (the corpus default)
    clauses = [Sentence.language.in_(languages)]
    clauses += [Sentence.language.like(f"{lang}-%") for lang in languages]
    if "en" in languages:
        clauses.append(Sentence.language.is_(None))
    return or_(*clauses)


def pending_by_language(session: Session, handle: ModelHandle) -> dict[str, int]:
    """Sentences the version has not scored because it does not read their language, per language."""
    rows = session.execute(
        select(Sentence.language, func.count())
        .where(_unscored(handle.name, handle.version), ~_in_languages(handle.predictor.label_map.languages))
        .group_by(Sentence.language)
    )
    return {str(lang or "unknown"): int(n) for lang, n in rows}


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on the (sentence, model, version) unique key; rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - the schema supports Postgres and SQLite only
        raise DependencyUnavailable(
            "database", "DATABASE_URL", dialect, "only Postgres and SQLite are supported"
        )
    stmt = insert(Prediction).values(rows)
    result = session.execute(
        stmt.on_conflict_do_nothing(index_elements=["sentence_id", "model_name", "model_version"])
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk did; `more` says whether another chunk should be queued."""

    status: str
    scored: int
    more: bool
    finished_now: bool = False


@dataclass(frozen=True)
class JobPlan:
    """A started job: its status and the id ranges (about one chunk each) still to score."""

    status: str
    ranges: list[tuple[int, int]]
    finished_now: bool = False


def _stop_reason(job: ScoringJob, handle: ModelHandle) -> str | None:
    """Set the final status when the job must not go on; return it (None: carry on)."""
    if job.status in FINAL_STATUSES:
        return job.status
    if job.cancel_requested:
        job.status, job.finished_at = "cancelled", _now()
        return job.status
    if job.model_version and (job.model_version != handle.version or job.model_name != handle.name):
        job.status, job.finished_at = "superseded", _now()
        job.error = (
            f"model changed from v{job.model_version} to v{handle.version} during the job; "
            "submit a new job to score with the new version"
        )
        return job.status
    return None


def _boundaries(
    session: Session, handle: ModelHandle, chunk_size: int, lo: int, hi: int | None, limit: int | None
) -> tuple[list[tuple[int, int]], int]:
    """Id ranges holding about `chunk_size` unscored sentences each (keyset windows), and their count."""
    numbered = (
        select(Sentence.id.label("id"), func.row_number().over(order_by=Sentence.id).label("rn"))
        .where(_scorable(handle, lo, hi))
        .subquery()
    )
    query = select(numbered.c.id, numbered.c.rn)
    if limit:
        query = query.where(numbered.c.rn <= limit)
    starts = session.execute(query.where((numbered.c.rn - 1) % chunk_size == 0).order_by(numbered.c.id)).all()
    if not starts:
        return [], 0
    last = session.execute(query.order_by(numbered.c.id.desc()).limit(1)).one()
    ids = [int(r.id) for r in starts] + [int(last.id) + 1]
    return list(itertools.pairwise(ids)), int(last.rn)


def start_job(session: Session, job_id: str, handle: ModelHandle, chunk_size: int) -> JobPlan:
    """Pin the model version, count the work and cut it into id ranges (idempotent).

    A job that is already running is re-planned over what is still unscored in its id span,
    so a redelivered start (worker died before queueing the ranges) cannot strand it. The
    caller commits before it queues the ranges.
    """
    job = _job(session, job_id, for_update=True)
    if (stopped := _stop_reason(job, handle)) is not None:
        return JobPlan(stopped, [])
    _without_nested_loops(session)
    if job.status == "queued":
        limit = job.params.get("limit")
        ranges, total = _boundaries(session, handle, chunk_size, 0, None, int(limit) if limit else None)
        job.status, job.started_at = "running", _now()
        job.progress_at = job.started_at
        job.model_name, job.model_version = handle.name, handle.version
        job.total, job.done = total, 0
        span = [ranges[0][0], ranges[-1][1]] if ranges else [0, 0]
        job.params = {
            **job.params,
            "id_span": span,
            "chunks": len(ranges),
            # left for a model that reads them (shown as pending on the dashboard)
            "pending_other_languages": pending_by_language(session, handle),
        }
    else:
        _, hi = job.params.get("id_span", [0, 0])
        ranges, _ = _boundaries(session, handle, chunk_size, _scored_below(job), int(hi), None)
    if not ranges:
        job.status, job.finished_at = "succeeded", _now()
        return JobPlan(job.status, [], finished_now=True)
    return JobPlan(job.status, ranges)


def unscored_in_range(
    session: Session, job_id: str, handle: ModelHandle, lo: int, hi: int, limit: int | None = None
) -> list[tuple[int, str]] | ChunkResult:
    """The (id, text) rows of [lo, hi) that `handle`'s version has not scored, or the job's
    final result when it must not go on (cancelled, superseded, already finished)."""
    job = _job(session, job_id)
    if (stopped := _stop_reason(job, handle)) is not None:
        return ChunkResult(stopped, 0, False)
    _without_nested_loops(session)
    query = select(Sentence.id, Sentence.text).where(_scorable(handle, lo, hi)).order_by(Sentence.id)
    return [(int(sid), str(text)) for sid, text in session.execute(query.limit(limit) if limit else query)]


def sentence_pairs(session: Session, batch: list[tuple[int, str]]) -> dict[int, tuple[str, str]]:
    """The country pair each sentence row of `batch` speaks about (one row per pair)."""
    if not batch:
        return {}
    ids = [sid for sid, _ in batch]
    query = select(Sentence.id, Sentence.country_a, Sentence.country_b).where(Sentence.id.in_(ids))
    return {int(sid): (str(a), str(b)) for sid, a, b in session.execute(query)}


def record_scores(
    session: Session,
    job_id: str,
    handle: ModelHandle,
    batch: list[tuple[int, str]],
    scores: list[dict[str, Any]],
    span: tuple[int, int],
) -> ChunkResult:
    """Insert a range's predictions (insert-or-ignore), count them on the job, and finish the
    job when nothing is left unscored in its id span."""
    inserted = _insert_ignore(
        session,
        [
            {
                "sentence_id": sid,
                "model_name": handle.name,
                "model_version": handle.version,
                "label": row["label"],
                "probabilities": row["probabilities"],
                "job_id": job_id,
                "created_at": _now(),
            }
            for (sid, _), row in zip(batch, scores, strict=True)
        ],
    )
    job = _job(session, job_id, for_update=True)
    job.done += inserted  # rows already there (a redelivered chunk) count 0
    job.progress_at = _now()
    if job.status != "running":
        return ChunkResult(job.status, inserted, False)
    _, span_hi = job.params.get("id_span", list(span))
    lo = _scored_below(job, span[0])
    _without_nested_loops(session)
    left = session.scalar(
        select(Sentence.id).where(_scorable(handle, lo, int(span_hi))).order_by(Sentence.id).limit(1)
    )
    if left is None:
        job.status, job.finished_at = "succeeded", _now()
        return ChunkResult(job.status, inserted, False, finished_now=True)
    # Every scorable sentence below `left` is scored: the next check starts there, so it
    # covers the ranges still in flight, not the whole span again (each check was O(job)).
    job.params = {**job.params, "scored_below": int(left)}
    return ChunkResult(job.status, inserted, True)


def _scored_below(job: ScoringJob, default: int = 0) -> int:
    """The job's low-water mark: every scorable sentence id below it is scored (the span's
    start until a range check moved it)."""
    span_lo = int(job.params.get("id_span", [default])[0])
    return max(span_lo, int(job.params.get("scored_below", span_lo)))


# The shadow challenger's hook (app.shadow): reads the same sentences after the champion's rows are stored.
# The shadow's compare_now: (champion, sentences as stored, champion rows, the pair of each row).
Mirror = Callable[["ModelHandle", list[str], list[dict[str, Any]], list[tuple[str, str] | None]], None]


def score_range(
    db: Database,
    job_id: str,
    handle: ModelHandle,
    lo: int,
    hi: int,
    limit: int | None = None,
    mirror: Mirror | None = None,
) -> ChunkResult:
    """Score what `handle`'s version has not scored in sentence ids [lo, hi); finish the job
    when nothing is left in its span. Two transactions: read, then (after inference, which
    holds no transaction or row lock) write the predictions with the job's progress; then the
    challenger, if one is shadowed, reads the same sentences."""
    with db.transaction() as session:
        batch = unscored_in_range(session, job_id, handle, lo, hi, limit)
        pair_aware = isinstance(batch, list) and handle.predictor.pair_aware
        pairs = sentence_pairs(session, batch) if pair_aware and isinstance(batch, list) else {}
    if isinstance(batch, ChunkResult):
        return batch
    stored = [text for _, text in batch]
    texts = stored
    if batch and pair_aware:
        # A pair-aware version reads each sentence row for its own pair (issue 17): a sentence
        # naming three countries has three rows, and each pair's mentions are marked.
        texts = handle.predictor.pair_texts(stored, [pairs[sid] for sid, _ in batch])
    scores = handle.predictor.predict(texts) if batch else []
    with db.transaction() as session:
        result = record_scores(session, job_id, handle, batch, scores, (lo, hi))
    if mirror is not None and stored:
        if not pairs:  # a sentence-level champion: the challenger may still be pair-aware
            with db.transaction() as session:
                pairs = sentence_pairs(session, batch)
        # the stored sentences: the challenger applies its own encoding, not the champion's
        mirror(handle, stored, scores, [pairs.get(sid) for sid, _ in batch])
    return result


def score_chunk(
    db: Database, job_id: str, handle: ModelHandle, chunk_size: int, mirror: Mirror | None = None
) -> ChunkResult:
    """Sequential form (embedded mode, backfills run in-process): the next `chunk_size`
    unscored sentences of the job; `more` while some are left."""
    with db.transaction() as session:
        plan = start_job(session, job_id, handle, chunk_size)
        job = _job(session, job_id)
        lo, hi = _scored_below(job), int(job.params.get("id_span", [0, 0])[1])
    if plan.status != "running":
        return ChunkResult(plan.status, 0, False, plan.finished_now)
    return score_range(db, job_id, handle, lo, hi, limit=chunk_size, mirror=mirror)


def run_job_inline(
    db: Database,
    job_id: str,
    get_handle: Callable[[], ModelHandle],
    chunk_size: int,
    on_success: Callable[[ModelHandle], None] | None = None,
    mirror: Mirror | None = None,
) -> None:
    """Embedded mode: run a whole job chunk by chunk in the calling thread; `on_success` runs
    with the handle that finished it (the relation index refresh)."""
    try:
        while True:
            handle = get_handle()
            result = score_chunk(db, job_id, handle, chunk_size, mirror)
            if not result.more:
                break
    except Exception as exc:  # recorded on the job: the thread has no caller to raise to
        log.exception("job failed", job_id=job_id)
        try:
            with db.transaction() as session:
                mark_failed(session, job_id, f"{type(exc).__name__}: {exc}")
        except (SQLAlchemyError, DependencyUnavailable):
            log.exception("could not record the job failure", job_id=job_id)
        return
    log.info("job finished", job_id=job_id, status=result.status)
    if on_success is not None and result.status == "succeeded":
        try:
            on_success(handle)
        except Exception:  # the job's predictions stand; the next job or build catches up
            log.exception("post-job step failed", job_id=job_id)
