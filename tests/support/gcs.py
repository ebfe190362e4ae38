"""The GCS emulator (`gcp-storage-emulator`) as a subprocess with a default bucket.

Clients reach it through STORAGE_EMULATOR_HOST; google-cloud-storage then needs no credentials.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.support.net import free_port, wait_http_ok
from tests.support.procs import ManagedProcess

__all__ = ["GcsEmulator"]


def _emulator_binary() -> str:
    beside = Path(sys.executable).parent / "gcp-storage-emulator"
    return str(beside) if beside.exists() else (shutil.which("gcp-storage-emulator") or str(beside))


class GcsEmulator:
    """`.host` (http://127.0.0.1:PORT, the STORAGE_EMULATOR_HOST value), `.bucket`, `.env`."""

    def __init__(self, workdir: Path, bucket: str = "newsmodel-test") -> None:
        self.workdir = Path(workdir)
        self.bucket = bucket
        self.port = free_port()
        self.host = f"http://127.0.0.1:{self.port}"
        self.started_in_s: float | None = None
        self._proc = ManagedProcess(
            "gcp-storage-emulator",
            [
                _emulator_binary(),
                "-d",
                str(self.workdir / "data"),
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--default-bucket",
                bucket,
            ],
            self.workdir / "gcs-emulator.log",
        )

    @property
    def env(self) -> dict[str, str]:
        return {"STORAGE_EMULATOR_HOST": self.host}

    def start(self, timeout: float = 30.0) -> GcsEmulator:
        bucket_url = f"{self.host}/storage/v1/b/{self.bucket}"
        self.started_in_s = self._proc.start_and_wait(
            lambda: wait_http_ok(bucket_url, timeout, "gcp-storage-emulator", self._proc.alive)
        )
        return self

    def client(self):  # type: ignore[no-untyped-def]
        """A google-cloud-storage client bound to the emulator (anonymous credentials)."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.host},
        )

    def stop(self) -> None:
        self._proc.stop()

    def log_tail(self, lines: int = 60) -> str:
        return self._proc.log_tail(lines)
