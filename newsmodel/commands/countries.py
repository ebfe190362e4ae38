"""`newsmodel countries detect`: check the country detector on your own sentences."""

from __future__ import annotations

import json
import sys

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
) -> None:
    """Print one JSON object per input line: the mentions (surface, span, ISO code) and the pairs."""
    from newsmodel.countries import get_detector

    codes = [c.strip() for c in focus.split(",") if c.strip()] or None
    detector = get_detector(codes, leaders=not no_leaders)
    lines = text if text else (line.rstrip("\r\n") for line in sys.stdin)
    for line in lines:
        mentions = detector.detect(line, language)
        record = {
            "text": line,
            "mentions": [{"surface": m.text, "span": [m.start, m.end], "iso3": m.iso3} for m in mentions],
            "countries": sorted({m.iso3 for m in mentions}),
            "pairs": [list(p) for p in detector.pairs(mentions)],
        }
        typer.echo(json.dumps(record, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.add_typer(countries_app, name="countries")
