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
    run_folder: tuple[str, str] | None = None,
) -> RegisteredCandidate | None:
    """Make `model_dir` a pyfunc model and, with a name, register, tag and describe a version.

    `run_folder=(run_id, artifact_path)`: `model_dir` is a local copy of that run folder, whose
    model files are already uploaded; only the pyfunc's own files are added there and the version
    points at it (each file stored once). Without it the model is logged under the active run as a
    new MLflow model.
    """
    import json

    from newsmodel.registry.register import (
        log_pyfunc_model,
        pyfunc_files_for,
        register_run_model,
        tag_model_version,
    )

    digests = file_digests(model_dir)
    if run_folder is None:
        info = log_pyfunc_model(model_dir, name, input_example)
        version = None if info.registered_model_version is None else str(info.registered_model_version)
    else:
        run_id, artifact_path = run_folder
        with pyfunc_files_for(model_dir, input_example) as files:
            client.log_artifacts(run_id, str(files), artifact_path)
        version = register_run_model(client, name, run_id, artifact_path) if name else None
    if name is None or version is None:
        return None
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
