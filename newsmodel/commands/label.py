"""`newsmodel label export`: the sentences most worth labeling, for a person or Label Studio."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]

label_app = typer.Typer(help="Active learning: export what the model doubts.", no_args_is_help=True)


@label_app.command("export")
def export(
    out: Path = typer.Argument(..., help="File to write (.csv, .jsonl or Label Studio .json)."),
    limit: int = typer.Option(100, "--limit", "-n", help="How many sentences."),
    fmt: str = typer.Option("csv", "--format", help="csv, jsonl or label-studio."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="Version whose doubts count (default: the live one)."
    ),
    compare_version: str | None = typer.Option(
        None,
        "--compare-version",
        help="Also rank sentences where this version disagrees (e.g. the challenger).",
    ),
    model_name: str | None = typer.Option(None, "--model-name", help="Default: REGISTERED_MODEL_NAME."),
    scheme: str = typer.Option("relation3", "--scheme", help="Label scheme offered to the labeler."),
    drift_days: int = typer.Option(
        30,
        "--drift-days",
        min=0,
        help="Offer sentences of pairs named by pair-mix drift events of the last N days (0: none).",
    ),
) -> None:
    """Write the N sentences most worth labeling, each with the reason it was chosen."""
    from newsmodel.db import open_database
    from newsmodel.errors import DataError
    from newsmodel.labels import get_scheme
    from newsmodel.labels.candidates import select_candidates
    from newsmodel.labels.export import FORMATS, write_candidates
    from newsmodel.monitoring import drifted_pairs
    from newsmodel.settings import get_settings

    if fmt not in FORMATS:
        raise DataError(f"unknown --format {fmt!r}: use one of {', '.join(FORMATS)}")
    settings = get_settings()
    labels = get_scheme(scheme).labels
    name = model_name or settings.registered_model_name
    version = model_version or _live_version(name)
    if version is None:
        raise DataError(f"no live version of {name}: pass --model-version")
    with open_database(settings.database_url) as db, db.transaction() as session:
        drifted = drifted_pairs(session, name, within_days=drift_days) if drift_days else {}
        candidates = select_candidates(
            session,
            model_name=name,
            model_version=version,
            compare_version=compare_version,
            limit=limit,
            drifted_pairs=drifted,
        )
    paths = write_candidates(candidates, out, fmt, labels)
    reasons: dict[str, int] = {}
    for c in candidates:
        reasons[c.reason] = reasons.get(c.reason, 0) + 1
    typer.echo(
        f"{len(candidates)} sentences of {name} v{version} ({reasons}) written to "
        + ", ".join(str(p) for p in paths)
    )


def _live_version(name: str) -> str | None:
    from newsmodel.registry.live import live_version
    from newsmodel.registry.tracking import connect

    live = live_version(connect(), name)
    return live.version if live else None


def register(app: typer.Typer) -> None:
    app.add_typer(label_app, name="label")
