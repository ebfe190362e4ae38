"""What every stage works on: one MLflow run, its resolved config, and a local folder.

Inputs are looked up locally first and downloaded from the run's artifacts otherwise, so a
stage runs the same right after the previous one or days later on another machine. The data
split is rebuilt from the run's config and must match the fingerprint the run was trained on.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmodel.datasets.types import DatasetSplits
from newsmodel.errors import ConfigError, DataError

__all__ = ["REPORT_FILE", "RunContext"]

REPORT_FILE = "eval_report.json"
CONFIG_FILE = "config.yaml"


@dataclass
class RunContext:
    cfg: Any
    client: Any
    run_id: str
    out: Path
    _splits: DatasetSplits | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls, client: Any, run_id: str, out: Path | None = None, overrides: list[str] | None = None
    ) -> RunContext:
        """An existing run: its logged config (plus `overrides`), files under `out` (default: a state dir)."""
        from mlflow.exceptions import MlflowException
        from omegaconf import OmegaConf

        from newsmodel.settings import get_settings

        try:
            run = client.get_run(run_id)
        except MlflowException as exc:
            raise ConfigError(f"no MLflow run {run_id!r} at this tracking URI: {str(exc)[:160]}") from None
        if out is None:
            # The folder the run was made in, when it is on this machine; else a fresh one.
            made_in = Path(run.data.tags.get("newsmodel.output_dir", "/nonexistent"))
            out = (
                made_in
                if made_in.is_dir()
                else get_settings().state_dir / "runs" / (run.info.run_name or run_id)
            )
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                cfg = OmegaConf.load(client.download_artifacts(run_id, CONFIG_FILE, tmp))
            except (MlflowException, OSError) as exc:
                raise ConfigError(f"run {run_id} has no {CONFIG_FILE}: it was not made by newsmodel") from exc
        if overrides:
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(overrides)))
        return cls(cfg, client, run_id, out)

    def splits(self) -> DatasetSplits:
        """The run's train/validation/test split, rebuilt and checked against its fingerprint."""
        if self._splits is None:
            from newsmodel.training.data import load_splits

            splits = load_splits(self.cfg.data)
            expected = self.client.get_run(self.run_id).data.tags.get("dataset_fingerprint")
            if expected and splits.fingerprint != expected:
                raise DataError(
                    f"the rebuilt dataset has fingerprint {splits.fingerprint[:16]}, run {self.run_id} was "
                    f"trained on {expected[:16]}: the data or split parameters changed (data.dir=...)"
                )
            self._splits = splits
        return self._splits

    def use_splits(self, splits: DatasetSplits) -> None:
        self._splits = splits

    def fetch(self, relpath: str) -> Path:
        """A file or folder of the run: the local copy, else downloaded from its artifacts."""
        from mlflow.exceptions import MlflowException

        local = self.out / relpath
        if local.exists():
            return local
        if not self.has_artifact(relpath):
            # Asked first: a proxied GCS/S3 store answers a missing file with a 500, which the
            # MLflow client retries with back-off for minutes before it gives up.
            raise ConfigError(
                f"run {self.run_id} has no artifact {relpath!r}: run the stage that makes it first"
            )
        try:
            self.client.download_artifacts(self.run_id, relpath, str(self.out))
        except (MlflowException, OSError) as exc:
            raise ConfigError(
                f"run {self.run_id} has no artifact {relpath!r}: run the stage that makes it first"
            ) from exc
        return local

    def has_artifact(self, relpath: str) -> bool:
        """Whether the run's artifacts list `relpath` (one listing call, no download)."""
        from mlflow.exceptions import MlflowException

        parent = str(Path(relpath).parent)
        try:
            listed = self.client.list_artifacts(self.run_id, None if parent == "." else parent)
        except (MlflowException, OSError):
            return False
        return any(f.path == relpath for f in listed)

    def report(self) -> dict[str, Any]:
        try:
            return json.loads(self.fetch(REPORT_FILE).read_text())  # type: ignore[no-any-return]
        except ConfigError:
            return {}

    def update_report(self, sections: dict[str, Any]) -> dict[str, Any]:
        """Merge `sections` into eval_report.json, locally and on the run."""
        report = {**self.report(), **sections}
        path = self.out / REPORT_FILE
        path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        self.client.log_artifact(self.run_id, str(path))
        return report

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(k, float(v), now, step or 0) for k, v in metrics.items()]
        for start in range(0, len(batch), 900):
            self.client.log_batch(self.run_id, metrics=batch[start : start + 900])

    def log_path(self, local: Path, artifact_path: str | None = None) -> None:
        if local.is_dir():
            self.client.log_artifacts(self.run_id, str(local), artifact_path or local.name)
        else:
            self.client.log_artifact(self.run_id, str(local), artifact_path)
