"""`crawler` command line: run sources once, run the scheduler, check sources.yaml, health.

Thin: each command parses, calls one function, prints. Interactive terminals get a progress
bar and readable logs; anything else (containers, CI) gets structured JSON logs.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crawler.settings import CrawlerSettings, get_crawler_settings
from crawler.sources import SourceConfig, load_sources
from newsmodel.cli_runner import run_cli
from newsmodel.logging import configure_logging

if TYPE_CHECKING:
    from crawler.source_run import SourceRunResult

__all__ = ["app", "main"]

app = typer.Typer(
    name="crawler",
    help="Collect news articles from the sources in sources.yaml into the database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

SourcesOpt = Annotated[
    Path | None, typer.Option("--sources-file", help="sources YAML (default: CRAWLER_SOURCES_PATH)")
]


def _interactive() -> bool:
    return sys.stderr.isatty()


def _setup() -> CrawlerSettings:
    settings = get_crawler_settings()
    fmt = settings.log_format
    if "log_format" not in settings.model_fields_set and not _interactive():
        fmt = "json"
    configure_logging(settings.log_level, fmt)
    return settings


def _select(sources: list[SourceConfig], names: list[str] | None) -> list[SourceConfig]:
    if not names:
        return [s for s in sources if s.enabled]
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise typer.BadParameter(
            f"unknown source(s) {', '.join(unknown)}; see `crawler sources`", param_hint="--source"
        )
    return [by_name[n] for n in names]


def _print_results(results: list[SourceRunResult]) -> None:
    header = (
        f"{'source':<28} {'status':<11} {'run':>5} {'disc':>5} {'fetch':>5} {'new':>5} {'dup':>5} {'fail':>5}"
    )
    typer.echo(header)
    for r in results:
        c = r.counts
        run = str(r.run_id) if r.run_id is not None else "-"
        typer.echo(
            f"{r.source:<28} {r.status:<11} {run:>5} {c.discovered:>5} {c.fetched:>5} {c.new:>5} {c.duplicate:>5} {c.failed:>5}"
        )


@app.command("run")
def run_command(
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="source name (repeatable); default: all enabled"),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="fetch at most N new article pages per source")
    ] = None,
    sources_file: SourcesOpt = None,
) -> None:
    """Crawl the sources once. Exits 0 unless every source that ran failed."""
    from crawler.progress import RichProgress
    from crawler.shared_session import all_failed, run_sources

    settings = _setup()
    chosen = _select(load_sources(sources_file or settings.sources_path), source)
    if _interactive():
        with RichProgress() as progress:
            results = asyncio.run(run_sources(chosen, settings, limit=limit, progress=progress))
    else:
        results = asyncio.run(run_sources(chosen, settings, limit=limit))
    _print_results(results)
    if all_failed(results):
        raise typer.Exit(1)


@app.command("schedule")
def schedule_command(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="only these sources")] = None,
    sources_file: SourcesOpt = None,
) -> None:
    """Run every enabled source on its schedule until stopped (SIGTERM/SIGINT)."""
    from crawler.scheduler import run_scheduler

    settings = _setup()
    chosen = _select(load_sources(sources_file or settings.sources_path), source)
    asyncio.run(run_scheduler(chosen, settings))


@app.command("sources")
def sources_command(sources_file: SourcesOpt = None) -> None:
    """Validate the sources file and list its sources (one error line per problem otherwise)."""
    settings = get_crawler_settings()
    path = sources_file or settings.sources_path
    sources = load_sources(path)
    typer.echo(f"{path}: {len(sources)} sources OK")
    for s in sources:
        flags = ("" if s.enabled else " disabled") + ("" if s.verified else " unverified")
        typer.echo(f"  {s.name:<28} {s.country} {s.category:<10} {s.kind.value:<8} {s.schedule:<14}{flags}")


@app.command("health")
def health_command(
    max_age_s: Annotated[float, typer.Option(help="oldest acceptable heartbeat")] = 120.0,
) -> None:
    """Exit 0 when the scheduler in this container beat recently (its row in the database)."""
    from crawler.heartbeat import heartbeat_age_s
    from newsmodel.db import open_database

    settings = get_crawler_settings()
    with open_database(settings.database_url) as db:
        age = heartbeat_age_s(db, settings.instance_name)
    if age is None or age > max_age_s:
        typer.echo(f"unhealthy: last heartbeat {'never' if age is None else f'{age:.0f}s ago'}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: heartbeat {age:.0f}s ago")


def main() -> None:
    """Entry point: user-facing errors become one line (or one line per problem) and exit code 2."""
    run_cli(app)


if __name__ == "__main__":
    main()
