"""The committed fixture model (tests/fixtures/minilm-relation3) registered like a trained candidate.

A real MiniLM (vocabulary pruned to the corpus, one layer) fine-tuned once by the training
pipeline with the frozen benchmark held out (`scripts/build_fixture_model.py`); int8 only. Its
run files are what its training run wrote: the split manifest, the eval report (the figures the
quality floor judges, measured by that run), the config and the card. Registering it goes through
`newsmodel.registry.candidate.register_candidate` with the default floor of the training config:
no threshold is lowered for tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.mlflow_uris import mlflow_pointed_at

__all__ = ["FIXTURE_DIR", "FixtureVersion", "fixture_report", "register_fixture_model"]

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "minilm-relation3"
RUN_FILES = ("split_manifest.json", "eval_report.json", "config.yaml", "model_card.md")


def fixture_report() -> dict[str, Any]:
    return json.loads((FIXTURE_DIR / "eval_report.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


class FixtureVersion(str):
    """The registered version number, with the floor's verdict attached."""

    verdict: Any


def register_fixture_model(
    tracking_uri: str, name: str, experiment: str = "fixture-models", model_dir: Path | None = None
) -> FixtureVersion:
    """Log the fixture's run files and register its model under `name`; returns the version."""
    import mlflow

    from newsmodel.registry.candidate import register_candidate
    from newsmodel.registry.floor import QualityFloor, floor_figures
    from newsmodel.registry.model_card import model_card_description
    from newsmodel.training.config import compose_config

    report = fixture_report()
    verdict = QualityFloor.from_config(compose_config([]).quality_floor).judge(floor_figures(report))
    data = report["data"]
    with mlflow_pointed_at(tracking_uri):
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name=report["model"]["name"]) as run:
            for file in RUN_FILES:
                mlflow.log_artifact(str(FIXTURE_DIR / file))
            registered = register_candidate(
                mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri),
                model_dir or FIXTURE_DIR / "model",
                name,
                verdict=verdict,
                description=model_card_description(report, verdict),
                tags={
                    "dataset_fingerprint": data["fingerprint"],
                    "label_scheme": data["scheme"],
                    "benchmark": data.get("benchmark") or "none",
                    "git_commit": report["git_commit"],
                    "model_name": report["model"]["name"],
                    "run_id": run.info.run_id,
                },
                input_example=["Seoul and Tokyo signed a trade pact on Monday."],
            )
    assert registered is not None
    version = FixtureVersion(registered.version)
    version.verdict = registered.verdict
    return version
