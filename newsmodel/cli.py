"""`newsmodel` command line: a thin shell; each area registers its commands from its own module.

Heavy libraries (torch, transformers, mlflow) are imported inside the commands that need
them, so `newsmodel countries detect` starts fast and works without the `train` extra.
"""

from __future__ import annotations

import sys

import typer

from newsmodel.errors import NewsmodelError
from newsmodel.logging import configure_logging
from newsmodel.settings import get_settings

app = typer.Typer(
    name="newsmodel",
    help="Train, evaluate, register and promote news relation classifiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


def _register_all() -> None:
    from newsmodel.commands import register_all

    register_all(app)


def main() -> None:
    """Entry point: user-facing errors become one line on stderr and exit code 2."""
    _register_all()
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
    except typer.TyperException as exc:  # usage errors (typer vendors its own click)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))


if __name__ == "__main__":
    main()
