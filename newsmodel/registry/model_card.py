"""The model card: a Jinja2 template (templates/model_card.md.j2) filled from the eval report.

The full card is a run artifact (`model_card.md`); the registry shows it as the version's
description, which MLflow's SQL store caps at 5,000 characters - when the full card is longer,
the description is the same card without the detail tables, pointing at the artifact.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from newsmodel.registry.floor import FloorVerdict

__all__ = ["DESCRIPTION_LIMIT", "model_card_description", "render_model_card"]

DESCRIPTION_LIMIT = 5000


@lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("newsmodel.registry", "templates"),
        autoescape=False,  # markdown, not HTML: MLflow's UI renders it
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{100 * float(v):.1f}%"
    env.filters["f3"] = lambda v: "n/a" if v is None else f"{float(v):.3f}"
    return env.get_template("model_card.md.j2")


def render_model_card(report: dict[str, Any], verdict: FloorVerdict, detail: bool = True) -> str:
    """Markdown from the eval report (the same numbers as the run's metrics) and the floor's verdict."""
    return str(_template().render({"benchmark": None, **report, "verdict": verdict, "detail": detail}))


def model_card_description(report: dict[str, Any], verdict: FloorVerdict) -> str:
    """The card as it fits the registry's description field."""
    card = render_model_card(report, verdict)
    if len(card) <= DESCRIPTION_LIMIT:
        return card
    card = render_model_card(report, verdict, detail=False)
    return (
        card
        if len(card) <= DESCRIPTION_LIMIT
        else card[: DESCRIPTION_LIMIT - 40] + "\n\n(cut: see model_card.md)\n"
    )
