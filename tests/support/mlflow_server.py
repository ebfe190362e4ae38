"""An `mlflow server` subprocess: Postgres backend store, proxied gs:// artifacts on the emulator.

Proxied artifact access (`--artifacts-destination gs://...`) means clients see
`mlflow-artifacts:/` URIs and need no GCS access at all; only the server talks to the emulator.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.support.net import free_port, wait_http_ok
from tests.support.procs import ManagedProcess

__all__ = ["MlflowServer"]

_SERVER_ENV = {
    # Webhooks to loopback receivers (the app's webhook endpoint in tests).
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    # The server caches each event's webhook list (60 s by default, 5 s in compose): a short
    # TTL so a webhook created by one test hears the next alias event, as in compose.
    "MLFLOW_WEBHOOK_CACHE_TTL": "1",
    # The server's job runner (a huey consumer per job type: ~6 processes, ~1.5 GB) is for
    # GenAI evaluation jobs we never use; webhooks are delivered from a thread pool regardless.
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "GUNICORN_CMD_ARGS": "",
}


class MlflowServer:
    """`.tracking_uri`, `.artifacts_destination` (gs://...), `.env` (for client subprocesses)."""

    def __init__(
        self,
        workdir: Path,
        backend_store_uri: str,
        storage_emulator_host: str,
        bucket: str,
        prefix: str = "mlartifacts",
    ) -> None:
        self.workdir = Path(workdir)
        self.port = free_port()
        self.tracking_uri = f"http://127.0.0.1:{self.port}"
        self.backend_store_uri = backend_store_uri
        self.storage_emulator_host = storage_emulator_host
        self.bucket = bucket
        self.artifacts_destination = f"gs://{bucket}/{prefix}"
        self.started_in_s: float | None = None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GOOGLE_APPLICATION"))}
        env.update(_SERVER_ENV)
        env["STORAGE_EMULATOR_HOST"] = storage_emulator_host
        self._proc = ManagedProcess(
            "mlflow server",
            [
                str(Path(sys.executable).parent / "mlflow"),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--backend-store-uri",
                backend_store_uri,
                "--serve-artifacts",
                "--artifacts-destination",
                self.artifacts_destination,
            ],
            self.workdir / "mlflow-server.log",
            env=env,
            cwd=self.workdir,
        )

    @property
    def env(self) -> dict[str, str]:
        """What a client subprocess needs: the tracking URI (artifacts go through the server)."""
        return {
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "STORAGE_EMULATOR_HOST": self.storage_emulator_host,
        }

    @property
    def log_path(self) -> Path:
        return self._proc.log_path

    def start(self, timeout: float = 120.0) -> MlflowServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.started_in_s = self._proc.start_and_wait(
            lambda: wait_http_ok(f"{self.tracking_uri}/health", timeout, "mlflow server", self._proc.alive)
        )
        return self

    def stop(self) -> None:
        self._proc.stop(timeout=20)

    def log_tail(self, lines: int = 60) -> str:
        return self._proc.log_tail(lines)
