"""`newsmodel index ...`: build the daily relation index and print it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from newsmodel.errors import DataError
from newsmodel.settings import get_settings

if TYPE_CHECKING:
    from newsmodel.relindex.quantify import Calibration

__all__ = ["register"]

index_app = typer.Typer(help="Daily country-pair relation index: build, show, export.", no_args_is_help=True)


def _parse_day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DataError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def _fmt(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


@index_app.command("build")
def build(
    model_version: str | None = typer.Option(
        None,
        "--model-version",
        help="Version to index; default: the live one (alias champion, else stage Production), "
        "else the one with the newest predictions.",
    ),
    model_name: str | None = typer.Option(None, "--model-name", help="Default: REGISTERED_MODEL_NAME."),
    since: str | None = typer.Option(None, "--since", help="Only consider days from YYYY-MM-DD on."),
    force: bool = typer.Option(
        False, "--force", help="Recompute every day, not only days with new predictions."
    ),
) -> None:
    """Bring one model version's index up to date (only days with new predictions are recomputed)."""
    from newsmodel.db import open_database
    from newsmodel.relindex import build_index, version_to_index

    settings = get_settings()
    since_day = _parse_day(since, "--since")
    name = model_name or settings.registered_model_name
    with open_database(settings.database_url) as db:
        if model_version is None:
            live = _live_version(name)
            with db.transaction() as session:
                model_version, why = version_to_index(session, name, live)
            typer.echo(f"indexing {name} v{model_version}: {why}")
        calibration = _calibration(name, model_version)
        report = build_index(
            db,
            model_name=name,
            model_version=model_version,
            since=since_day,
            force=force,
            calibration=calibration,
        )
    typer.echo(
        f"index {report.model_name} v{report.model_version}: {report.days_recomputed} of "
        f"{report.days_with_predictions} days recomputed, {report.days_removed} removed, "
        f"{report.rows_written} pair-day rows from {report.sentences} sentences in {report.seconds:.2f} s; "
        f"class shares: {report.quantification}"
        + ("" if calibration else " (the version stores no calibration)")
    )


def _live_version(name: str) -> str | None:
    """The registry's live version of `name` (the resolver every consumer shares)."""
    from newsmodel.registry.live import live_version
    from newsmodel.registry.tracking import connect

    live = live_version(connect(), name)
    return live.version if live else None


def _calibration(name: str, version: str) -> Calibration | None:
    """The version's stored calibration from the registry (None: it has none, plain averaging)."""
    from newsmodel.registry.calibration import version_calibration
    from newsmodel.registry.tracking import connect, resolve_tracking_uri

    return version_calibration(connect(), resolve_tracking_uri(None), name, version)


@index_app.command("show")
def show(
    pair: str | None = typer.Option(None, "--pair", help="One pair's daily series, e.g. KOR-USA."),
    model_version: str | None = typer.Option(
        None,
        "--model-version",
        help="Default: the live version (as the API), else the most recently computed.",
    ),
    model_name: str | None = typer.Option(None, "--model-name", help="Default: REGISTERED_MODEL_NAME."),
    days: int = typer.Option(30, "--days", min=1, help="How many days back from the newest."),
) -> None:
    """Print the pairs' latest scores (or one pair's series) and which versions exist."""
    from rich.console import Console
    from rich.table import Table

    from newsmodel.db import open_database
    from newsmodel.errors import DependencyUnavailable
    from newsmodel.relindex import (
        CountryPair,
        choose_version,
        indexed_versions,
        pair_series,
        pair_summaries,
        version_quantification,
    )

    settings = get_settings()
    wanted = CountryPair.parse(pair) if pair else None
    name = model_name or settings.registered_model_name
    console = Console()
    live: str | None = None
    if model_version is None:
        try:
            live = _live_version(name)
        except DependencyUnavailable as exc:
            console.print(f"[yellow]registry unreachable ({exc}): the live version is unknown[/]")
    with open_database(settings.database_url) as db, db.transaction() as session:
        chosen = choose_version(
            session, model_name=name, model_version=model_version, live_name=name, live_version=live
        )
        version = chosen.version
        others = [v for v in indexed_versions(session) if v != version]
        console.print(
            f"[bold]{version.model_name} v{version.model_version}[/] ({chosen.reason}): {version.pairs} pairs, "
            f"{version.first_day} .. {version.last_day}, computed {version.computed_at:%Y-%m-%d %H:%M} UTC, "
            f"class shares: {version_quantification(session, version)}"
        )
        if others:
            console.print(
                "other versions: " + ", ".join(f"{v.model_name} v{v.model_version}" for v in others)
            )
        if wanted is None:
            table = Table(
                "pair", "latest day", "score", "95% CI", "7d", "30d", "7d trend", f"sentences ({days}d)"
            )
            for s in pair_summaries(session, version, window_days=days):
                table.add_row(
                    str(s.pair),
                    str(s.latest_day),
                    _fmt(s.score),
                    f"{_fmt(s.ci_low)} .. {_fmt(s.ci_high)}",
                    _fmt(s.score_7d),
                    _fmt(s.score_30d),
                    _fmt(s.trend_7d),
                    str(s.sentences_in_window),
                )
        else:
            start = version.last_day - dt.timedelta(days=days - 1)
            table = Table("day", "score", "95% CI", "7d", "30d", "sentences", "articles", "sources", "volume")
            for r in pair_series(session, version, wanted, start=start):
                table.add_row(
                    str(r.day),
                    _fmt(r.score),
                    f"{_fmt(r.ci_low)} .. {_fmt(r.ci_high)}",
                    _fmt(r.score_7d),
                    _fmt(r.score_30d),
                    str(r.sentence_count),
                    str(r.article_count),
                    str(r.source_count),
                    f"{r.volume_share:.1%}",
                )
        console.print(table)


@index_app.command("export")
def export(
    out: Path = typer.Option(
        ..., "--out", help="File to write; FILE.sha256 and FILE.manifest.json go beside it."
    ),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
    model_version: str | None = typer.Option(
        None,
        "--model-version",
        help="Default: the live version (as `index build`), else the newest computed.",
    ),
    model_name: str | None = typer.Option(None, "--model-name", help="Default: REGISTERED_MODEL_NAME."),
    all_versions: bool = typer.Option(False, "--all-versions", help="Every indexed version of the model."),
    pair: str | None = typer.Option(
        None, "--pair", help="Only this pair or direction, e.g. KOR-USA, KOR>USA."
    ),
    start: str | None = typer.Option(None, "--start", help="First day, YYYY-MM-DD."),
    end: str | None = typer.Option(None, "--end", help="Last day, YYYY-MM-DD."),
) -> None:
    """Write the index (version, method, computed time in every row) and print its SHA-256."""
    from newsmodel.db import open_database
    from newsmodel.relindex import CountryPair, choose_version, export_index, indexed_versions
    from newsmodel.relindex.export import EXPORT_FORMATS

    if fmt not in EXPORT_FORMATS:
        raise DataError(f"unknown --format {fmt!r}: use {' or '.join(EXPORT_FORMATS)}")
    if all_versions and model_version is not None:
        raise DataError("give --model-version or --all-versions, not both")
    first, last = _parse_day(start, "--start"), _parse_day(end, "--end")
    wanted = CountryPair.parse(pair) if pair else None
    settings = get_settings()
    name = model_name or settings.registered_model_name
    live = _live_version(name) if model_version is None else None
    with open_database(settings.database_url) as db, db.transaction() as session:
        chosen = choose_version(
            session, model_name=name, model_version=model_version, live_name=name, live_version=live
        )
        versions = list(reversed(indexed_versions(session, name))) if all_versions else [chosen.version]
        exported = export_index(session, versions, fmt, pair=wanted, start=first, end=last)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(exported.content)
    digest = out.with_name(out.name + ".sha256")
    digest.write_text(f"{exported.sha256}  {out.name}\n")  # `sha256sum -c` reads this
    manifest = out.with_name(out.name + ".manifest.json")
    manifest.write_text(json.dumps(exported.manifest(out.name), indent=2) + "\n")
    which = "all versions" if all_versions else f"v{chosen.version.model_version} ({chosen.reason})"
    typer.echo(f"wrote {out}: {exported.rows} rows of {name} {which}, method {exported.method or '-'}")
    typer.echo(f"sha256 {exported.sha256}")
    typer.echo(f"sidecars: {digest.name}, {manifest.name}")


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
