"""`newsmodel countries detect`: check the country detector on your own sentences;
`newsmodel countries refresh-leaders`: extend the leader table from Wikidata (online users)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

__all__ = ["register"]

countries_app = typer.Typer(help="Country detection: mentions and country pairs.", no_args_is_help=True)


@countries_app.command("detect")
def detect(
    text: list[str] = typer.Option(
        None, "--text", "-t", help="A sentence (repeatable); default: stdin lines."
    ),
    language: str = typer.Option(None, "--language", "-l", help="'en' skips Korean forms; default: all."),
    focus: str = typer.Option(
        "", "--focus", help="Comma-separated ISO alpha-3 codes to keep (default: all)."
    ),
    no_leaders: bool = typer.Option(False, "--no-leaders", help="Do not count leaders' names as countries."),
    date: str = typer.Option(
        "", "--date", help="Article date (YYYY-MM-DD): which leaders and states a name means."
    ),
    direction: bool = typer.Option(
        False, "--direction", help="Add who acts on whom (needs a spaCy English model)."
    ),
) -> None:
    """Print one JSON object per input line: the mentions (surface, span, ISO code) and the pairs."""
    import datetime as dt

    from newsmodel.countries import get_detector

    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        typer.echo(f"--date {date!r} is not a date: write YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None

    codes = [c.strip() for c in focus.split(",") if c.strip()] or None
    detector = get_detector(codes, leaders=not no_leaders)
    lines = text if text else (line.rstrip("\r\n") for line in sys.stdin)
    for line in lines:
        mentions = detector.detect(line, language, day)
        record = {
            "text": line,
            "mentions": [
                {
                    "surface": m.text,
                    "span": [m.start, m.end],
                    "iso3": m.iso3,
                    "kind": m.kind,
                    "venue": m.venue,
                }
                for m in mentions
            ],
            "countries": sorted({m.iso3 for m in mentions}),
            "pairs": [list(p) for p in detector.pairs(mentions)],
        }
        if direction:
            from newsmodel.countries.direction import get_direction_reader

            record["directions"] = [
                p.to_dict() for p in get_direction_reader().read(line, mentions, language)
            ]
        typer.echo(json.dumps(record, ensure_ascii=False))


@countries_app.command("refresh-leaders")
def refresh_leaders(
    out: Path = typer.Option(None, "--out", help="Where to write the merged table (default: print it)."),
    from_file: Path = typer.Option(
        None, "--from-file", help="A saved SPARQL JSON answer instead of the service."
    ),
    url: str = typer.Option("", "--url", help="Query service endpoint (default: Wikidata's)."),
) -> None:
    """Merge heads of state and government from Wikidata into the packaged leader table."""
    from importlib import resources

    from newsmodel.countries.refresh import WIKIDATA_SPARQL_URL, fetch, merge, parse_results
    from newsmodel.errors import ConfigError

    try:
        if from_file is not None:
            payload = json.loads(from_file.read_text(encoding="utf-8"))
        else:
            payload = fetch(url or WIKIDATA_SPARQL_URL)
        rows = parse_results(payload)
    except (OSError, json.JSONDecodeError, ConfigError) as exc:
        typer.echo(f"refresh-leaders: {exc}", err=True)
        raise typer.Exit(1) from None
    table = Path(str(resources.files("newsmodel.countries").joinpath("data/leaders.csv")))
    added, text = merge(table, rows)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    typer.echo(f"{len(rows)} office terms read, {added} new rows", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(countries_app, name="countries")
