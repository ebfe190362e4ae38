"""`newsmodel preprocess`: stored articles -> sentence rows (incremental, with a progress bar)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def preprocess(
    limit: int = typer.Option(None, "--limit", min=1, help="Process at most this many pending articles."),
    batch_size: int = typer.Option(50, "--batch-size", min=1, help="Articles per transaction."),
    top_k: int = typer.Option(
        None, "--top-k", min=1, help="Keep only the k most important (TextRank) pair sentences per article."
    ),
    all_countries: bool = typer.Option(
        False, "--all-countries", help="Store pairs of every country, not only FOCUS_COUNTRIES."
    ),
    no_ner: bool = typer.Option(False, "--no-ner", help="Skip named entities (faster)."),
    no_direction: bool = typer.Option(
        False, "--no-direction", help="Do not parse who acts on whom in pair sentences (faster)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Split new articles into sentences, find country pairs, score importance, store sentence rows."""
    from newsmodel.db import open_database
    from newsmodel.preprocess import preprocess_articles
    from newsmodel.settings import get_settings
    from newsmodel.text.ner import get_recognizer

    settings = get_settings()
    ner = None if no_ner else get_recognizer()
    if ner is not None:
        typer.echo(f"NER {ner.status}", err=True)
    with open_database(settings.database_url) as db:
        report = preprocess_articles(
            db,
            limit=limit,
            batch_size=batch_size,
            focus=None if all_countries else settings.focus_countries,
            top_k=top_k,
            ner=ner,
            progress=not quiet,
            direction=not no_direction,
        )
    typer.echo(report.summary())


def register(app: typer.Typer) -> None:
    app.command("preprocess")(preprocess)
