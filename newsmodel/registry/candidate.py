"""Register a candidate: the pyfunc model, its record (tags), the floor's verdict and its card.

One function, so the training pipeline and anything else that registers a trained model (the
committed test fixture) produce the same registered version: digests of every file, the
dataset fingerprint, the frozen benchmark it was held out from, the split manifest's run, the
quality floor's verdict (`rejected` + reasons below it) and the model card as the version's
description, visible in the MLflow UI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmodel.logging import get_logger
from newsmodel.registry.digests import DIGESTS_TAG, file_digests
from newsmodel.registry.floor import FloorVerdict

__all__ = ["RegisteredCandidate", "register_candidate"]

log = get_logger(__name__)


@dataclass(frozen=True)
class RegisteredCandidate:
    name: str
    version: str
    verdict: FloorVerdict


def register_candidate(
    client: Any,
    model_dir: Path,
    name: str | None,
    *,
    verdict: FloorVerdict,
    description: str,
    tags: Mapping[str, Any],
    input_example: Sequence[str],
) -> RegisteredCandidate | None:
    """Log the model under the active run and, with a name, register and describe a version."""
    import json

    from newsmodel.registry.register import log_pyfunc_model, tag_model_version

    digests = file_digests(model_dir)
    info = log_pyfunc_model(model_dir, name, input_example)
    if name is None or info.registered_model_version is None:
        return None
    version = str(info.registered_model_version)
    record = {**tags, DIGESTS_TAG: json.dumps(digests, sort_keys=True), **verdict.tags()}
    tag_model_version(client, name, version, record)
    client.update_model_version(name, version, description=description)
    log.info(
        "candidate registered",
        model=name,
        version=version,
        verdict="passed" if verdict.passed else "rejected",
        reasons=list(verdict.reasons),
    )
    return RegisteredCandidate(name, version, verdict)
