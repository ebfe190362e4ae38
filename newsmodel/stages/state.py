"""Which stages of a run have completed, recorded as tags on the MLflow run itself.

A stage that re-runs makes the stages after it stale (their tags are removed): a model
re-quantized with another scheme has to be evaluated again before it is registered.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from newsmodel.errors import ConfigError

__all__ = ["STAGES", "TAG_PREFIX", "completed_stages", "mark_done", "select_stages"]

STAGES = ("train", "export", "quantize", "evaluate", "register")
TAG_PREFIX = "newsmodel.stage."


def completed_stages(client: Any, run_id: str) -> list[str]:
    tags = client.get_run(run_id).data.tags
    return [s for s in STAGES if tags.get(TAG_PREFIX + s) == "done"]


def mark_done(client: Any, run_id: str, stage: str, seconds: float) -> None:
    """Record `stage` as done, and the stages after it as not done (their inputs changed)."""
    done = set(completed_stages(client, run_id))
    for later in STAGES[STAGES.index(stage) + 1 :]:
        if later in done:
            client.delete_tag(run_id, TAG_PREFIX + later)
    client.set_tag(run_id, TAG_PREFIX + stage, "done")
    client.set_tag(run_id, f"{TAG_PREFIX}{stage}.seconds", f"{seconds:.1f}")
    client.set_tag(run_id, f"{TAG_PREFIX}{stage}.at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def _parse(names: Sequence[str] | None, flag: str) -> list[str]:
    items = [n.strip() for name in names or [] for n in name.split(",") if n.strip()]
    unknown = [n for n in items if n not in STAGES]
    if unknown:
        raise ConfigError(f"{flag}: unknown stage(s) {unknown}; stages are {', '.join(STAGES)}")
    return items


def select_stages(
    only: Sequence[str] | None = None, skip: Sequence[str] | None = None, done: Sequence[str] = ()
) -> list[str]:
    """The stages to run, in pipeline order: --only (or all) minus --skip minus those already done."""
    chosen = _parse(only, "--only") or list(STAGES)
    skipped = set(_parse(skip, "--skip"))
    return [s for s in STAGES if s in chosen and s not in skipped and s not in done]
