"""`newsmodel` command line: a thin shell; each area registers its commands from its own module.

Heavy libraries (torch, transformers, mlflow) are imported inside the commands that need
them, so `newsmodel countries detect` starts fast and works without the `train` extra.
"""

from __future__ import annotations

import typer

from newsmodel.cli_runner import run_cli
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
    run_cli(app)


if __name__ == "__main__":
    main()
