"""Command registration: each module adds its commands to the root Typer app."""

from __future__ import annotations

import typer

__all__ = ["register_all"]


def register_all(app: typer.Typer) -> None:
    from newsmodel.commands import (
        benchmark,
        challenger,
        countries,
        cv,
        data,
        db,
        index,
        label,
        preprocess,
        registry,
        retrain,
        stages,
        train,
    )

    for module in (
        db,
        index,
        countries,
        preprocess,
        data,
        label,
        benchmark,
        train,
        stages,
        cv,
        registry,
        retrain,
        challenger,
    ):
        module.register(app)
