"""Run a Typer app the way every command line of the platform should end.

User-facing errors (NewsmodelError) become one line on stderr and exit 2; usage errors print
click's own message (typer vendors its own click, so `click.ClickException` never matches);
a typer.Exit's code survives non-standalone mode; Ctrl-C exits 130 without a traceback.
"""

from __future__ import annotations

import sys

import typer

from newsmodel.errors import NewsmodelError

__all__ = ["run_cli"]


def run_cli(app: typer.Typer) -> None:
    try:
        # Non-standalone click returns typer.Exit's code instead of raising it.
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc != 0:
            sys.exit(rc)
    except NewsmodelError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
