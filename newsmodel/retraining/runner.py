"""Run the queued retraining run: train the configured candidates -> evaluate on the benchmark ->
gate against the champion -> register -> set `challenger`. Never `champion`.

One process at a time (`held_lock`, a Postgres advisory lock or a file lock); the lock holder
first marks runs a dead process left `running` as failed. Each candidate is a full
`newsmodel pipeline` run tagged with the trigger (`newsmodel.trigger`, `newsmodel.triggers`,
`newsmodel.retraining_run`); the run's record in the database says what came of it.
Needs the `train` extra (torch): the trainer container, a Kubernetes Job, or the demo.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newsmodel.db.locks import LockBusy, held_lock
from newsmodel.db.models import RetrainingRun
from newsmodel.db.session import Database
from newsmodel.errors import NewsmodelError
from newsmodel.logging import get_logger
from newsmodel.retraining.queue import claim_next, fail_abandoned, finish_run
from newsmodel.settings import BaseServiceSettings, get_settings

__all__ = ["LOCK_NAME", "CandidateResult", "LockBusy", "RetrainOutcome", "run_pending"]

log = get_logger(__name__)
LOCK_NAME = "newsmodel.retraining"
TRIGGER_TAG = "newsmodel.trigger"
ELIGIBLE = ("better", "inconclusive", "no-champion")  # what the gate lets become challenger


@dataclass
class CandidateResult:
    experiment: str
    run_id: str | None = None
    model_name: str | None = None
    version: str | None = None
    decision: str | None = None  # the gate's, or "refused" / "not-registered" / "error"
    score: float | None = None
    detail: str = ""
    data_dir: str | None = None  # where the gate finds the frozen benchmark the run held out

    @property
    def eligible(self) -> bool:
        return self.decision in ELIGIBLE


@dataclass(frozen=True)
class RetrainOutcome:
    run_id: int
    outcome: str
    detail: str
    triggers: list[str]
    candidates: list[CandidateResult] = field(default_factory=list)
    model_name: str | None = None
    challenger_version: str | None = None

    def line(self) -> str:
        head = f"retraining run #{self.run_id} ({', '.join(self.triggers)}): {self.outcome}"
        return f"{head}: {self.detail}" if self.detail else head


def run_pending(
    settings: BaseServiceSettings | None = None, db: Database | None = None
) -> RetrainOutcome | None:
    """Run the queued retraining run, if any (None when nothing is queued).

    LockBusy when another process is running one: the queued run waits for the next call."""
    settings = settings or get_settings()
    own = db is None
    database = db or Database.connect(settings.database_url)
    try:
        with held_lock(database, LOCK_NAME, settings.state_dir / "locks"):
            abandoned = fail_abandoned(database)
            if abandoned:
                log.warning("retraining runs abandoned by a stopped process marked failed", runs=abandoned)
            run = claim_next(database)
            if run is None:
                return None
            return _run_claimed(database, run, settings)
    finally:
        if own:
            database.dispose()


def _run_claimed(db: Database, run: RetrainingRun, settings: BaseServiceSettings) -> RetrainOutcome:
    triggers = [t.trigger for t in run.triggers]
    log.info("retraining started", run=run.id, triggers=triggers, experiments=settings.retrain_experiments)
    candidates: list[CandidateResult] = []
    try:
        outcome = _train_and_gate(run.id, triggers, settings, candidates)
    except Exception as exc:  # recorded on the run and logged with its traceback, then reported
        log.exception("retraining failed", run=run.id)
        outcome = RetrainOutcome(
            run.id, "failed", f"{type(exc).__name__}: {exc}"[:2000], triggers, candidates
        )
    finish_run(
        db,
        run.id,
        outcome.outcome,
        outcome.detail,
        [asdict(c) for c in outcome.candidates],
        outcome.model_name,
        outcome.challenger_version,
    )
    log.info(
        "retraining finished", run=run.id, outcome=outcome.outcome, challenger=outcome.challenger_version
    )
    return outcome


def _train_and_gate(
    run_id: int, triggers: list[str], settings: BaseServiceSettings, candidates: list[CandidateResult]
) -> RetrainOutcome:
    from newsmodel.registry.tracking import connect

    if not settings.retrain_experiments:
        return RetrainOutcome(run_id, "failed", "RETRAIN_EXPERIMENTS is empty: nothing to train", triggers)
    tags = {
        TRIGGER_TAG: triggers[0],
        "newsmodel.triggers": ",".join(dict.fromkeys(triggers)),
        "newsmodel.retraining_run": str(run_id),
    }
    for experiment in settings.retrain_experiments:
        candidates.append(_train_candidate(experiment, settings, tags))
    client = connect(settings.mlflow_tracking_uri)
    for candidate in candidates:
        if candidate.version is not None and candidate.model_name is not None:
            _gate_candidate(client, settings, candidate)
    chosen = max((c for c in candidates if c.eligible), key=lambda c: c.score or 0.0, default=None)
    if chosen is None:
        errors = [c for c in candidates if c.decision == "error"]
        outcome = "failed" if len(errors) == len(candidates) else "gate_refused"
        detail = "; ".join(f"{c.experiment}: {c.decision} ({c.detail})" for c in candidates)
        return RetrainOutcome(run_id, outcome, detail, triggers, candidates)
    assert chosen.model_name is not None and chosen.version is not None
    client.set_registered_model_alias(chosen.model_name, settings.model_challenger_alias, chosen.version)
    for key, value in tags.items():
        client.set_model_version_tag(chosen.model_name, chosen.version, key, value)
    detail = (
        f"{chosen.model_name} v{chosen.version} is @{settings.model_challenger_alias} ({chosen.decision})"
    )
    return RetrainOutcome(
        run_id, "challenger_set", detail, triggers, candidates, chosen.model_name, chosen.version
    )


def _train_candidate(experiment: str, settings: BaseServiceSettings, tags: dict[str, str]) -> CandidateResult:
    """One `newsmodel pipeline` run; a configuration or data problem is this candidate's result."""
    from newsmodel.stages.runner import run_pipeline
    from newsmodel.training.config import compose_config

    candidate = CandidateResult(experiment)
    try:
        cfg = compose_config([f"experiment={experiment}", *settings.retrain_overrides])
        uri = str(cfg.mlflow.tracking_uri or settings.mlflow_tracking_uri)
        result = run_pipeline(cfg, tags=tags, tracking_uri=uri)
    except NewsmodelError as exc:
        log.warning("retraining candidate failed", experiment=experiment, error=str(exc))
        candidate.decision, candidate.detail = "error", str(exc)[:500]
        return candidate
    assert result is not None  # the retraining loop never runs under a distributed launcher
    candidate.run_id = result.run_id
    candidate.score = result.metrics.get("int8_benchmark_macro_f1", result.metrics.get("test_macro_f1"))
    if not result.registered_model:
        candidate.decision = "not-registered"
        candidate.detail = result.not_registered_because or "the register stage registered no version"
        return candidate
    candidate.model_name, _, candidate.version = result.registered_model.partition("/")
    data_dir = cfg.data.get("dir")
    candidate.data_dir = str(Path(str(data_dir))) if data_dir else None
    return candidate


def _gate_candidate(client: Any, settings: BaseServiceSettings, candidate: CandidateResult) -> None:
    """The honest-promotion gate against the live version, without setting any alias."""
    from newsmodel.registry.gate import gate

    assert candidate.model_name is not None and candidate.version is not None
    try:
        decision = gate(
            client,
            candidate.model_name,
            candidate.version,
            alias=settings.model_alias,
            stage=settings.model_stage,
            challenger_alias=settings.model_challenger_alias,
            min_clean=settings.retrain_gate_min_clean,
            data_dir=candidate.data_dir,
            set_alias=False,
        )
    except NewsmodelError as exc:  # GateRefused, or a benchmark that cannot be rebuilt
        candidate.decision, candidate.detail = "refused", str(exc)[:500]
        return
    candidate.decision, candidate.detail = decision.decision, decision.line()
    if decision.candidate_score is not None:
        candidate.score = decision.candidate_score
