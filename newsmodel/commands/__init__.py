"""Command registration: each module adds its commands to the root Typer app."""

from __future__ import annotations

import typer

__all__ = ["register_all"]


def register_all(app: typer.Typer) -> None:
    from newsmodel.commands import (
        benchmark,
        countries,
        cv,
        data,
        db,
        index,
        preprocess,
        registry,
        stages,
        train,
    )

    for module in (db, index, countries, preprocess, data, benchmark, train, stages, cv, registry):
        module.register(app)
