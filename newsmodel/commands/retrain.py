"""`newsmodel retrain run | worker | status`: the retraining loop's commands (thin shells)."""

from __future__ import annotations

import typer

__all__ = ["register"]

retrain_app = typer.Typer(
    help="Retraining loop: train candidates, gate them, set the challenger (never the champion).",
    no_args_is_help=True,
)
# `retrain run` exits 1 only when the run failed: a refused gate is a recorded outcome, and a busy
# lock leaves the request queued; a CronJob must not retry either (it would retrain again).
EXIT_CODES = {"challenger_set": 0, "gate_refused": 0, "failed": 1}


@retrain_app.command("run")
def run(
    trigger: str = typer.Option("manual", "--trigger", help="schedule, data, drift or manual."),
    reason: str = typer.Option("", "--reason", help="Why (recorded with the trigger)."),
    pending: bool = typer.Option(
        False, "--pending", help="Ask for nothing new: run the queued request, if any (Kubernetes CronJob)."
    ),
) -> None:
    """Request a retraining run (joining one already queued) and run it here unless another
    process is running one; the request then waits in the queue."""
    from newsmodel.db import open_database
    from newsmodel.db.locks import LockBusy
    from newsmodel.retraining.runner import run_pending
    from newsmodel.retraining.trigger import request_retraining
    from newsmodel.settings import get_settings

    settings = get_settings()
    with open_database(settings.database_url) as db:
        if not pending:
            request = request_retraining(trigger, reason or "newsmodel retrain run", db=db, settings=settings)
            typer.echo(request.line())
            if request.run_id is None:
                return
        try:
            outcome = run_pending(settings, db)
        except LockBusy:
            typer.echo("another process is running a retraining run; the queued request runs after it")
            return
    if outcome is None:
        typer.echo("nothing queued")
        return
    for candidate in outcome.candidates:
        typer.echo(
            f"  {candidate.experiment}: run {candidate.run_id}, {candidate.decision}: {candidate.detail}"
        )
    typer.echo(outcome.line())
    raise typer.Exit(EXIT_CODES[outcome.outcome])


@retrain_app.command("worker")
def worker() -> None:
    """Run the loop: the schedule (RETRAIN_SCHEDULE) and queued requests, every RETRAIN_POLL_S."""
    from newsmodel.retraining.worker import run_worker
    from newsmodel.settings import get_settings

    run_worker(get_settings())


@retrain_app.command("status")
def status(limit: int = typer.Option(10, "--limit", "-n", min=1, help="How many runs.")) -> None:
    """The latest retraining runs: triggers, times, outcome, challenger, candidates; and the schedule."""
    import datetime as dt

    from newsmodel.cron import cron_trigger, first_fire_after
    from newsmodel.db import open_database
    from newsmodel.retraining.queue import recent_runs
    from newsmodel.settings import get_settings

    settings = get_settings()
    state = "enabled" if settings.retrain_enabled else "disabled (RETRAIN_ENABLED=false)"
    upcoming = first_fire_after(cron_trigger(settings.retrain_schedule), dt.datetime.now(dt.UTC))
    typer.echo(
        f"retraining {state}; schedule {settings.retrain_schedule!r} (UTC, next {f'{upcoming:%Y-%m-%d %H:%M}' if upcoming else 'never'}); "
        f"triggers {', '.join(settings.retrain_triggers)}; candidates {', '.join(settings.retrain_experiments)}"
    )
    with open_database(settings.database_url) as db:
        runs = recent_runs(db, limit)
    if not runs:
        typer.echo("no retraining runs yet")
    for r in runs:
        when = f"requested {r.requested_at:%Y-%m-%d %H:%M}"
        if r.started_at:
            when += f", started {r.started_at:%H:%M}"
        if r.finished_at:
            when += f", finished {r.finished_at:%Y-%m-%d %H:%M}"
        typer.echo(f"#{r.id} {r.status}{' ' + r.outcome if r.outcome else ''} ({when})")
        for t in r.triggers:
            typer.echo(f"  trigger {t}")
        for c in r.candidates:
            typer.echo(
                f"  {c.get('experiment')}: run {c.get('run_id')}, v{c.get('version')}, {c.get('decision')}"
            )
        if r.detail:
            typer.echo(f"  {r.detail[:300]}")


def register(app: typer.Typer) -> None:
    app.add_typer(retrain_app, name="retrain")
