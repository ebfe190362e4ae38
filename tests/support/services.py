"""Our own services as subprocesses: uvicorn (the API) and a Celery worker.

Both run in their own process group with their output in a log file whose tail is attached to
any start-up failure, so a broken app fails the test with its own traceback, not a timeout.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from tests.support.net import free_port, port_open, wait_for, wait_http_ok
from tests.support.procs import ManagedProcess

__all__ = ["CeleryWorker", "UvicornServer", "subprocess_env"]


def subprocess_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """The test process's environment with `env` on top, unbuffered, the repo importable."""
    merged = dict(os.environ)
    merged.update(env or {})
    merged.setdefault("PYTHONUNBUFFERED", "1")
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in merged.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        merged["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return merged


# What the test session's services put in the environment (settings, and what in-process code
# such as app.registry sets in os.environ, e.g. STORAGE_EMULATOR_HOST).
SESSION_SERVICE_VARS = (
    "APP_", "MLFLOW_", "CRAWLER_", "STORAGE_EMULATOR_HOST", "DATABASE_URL", "REDIS_URL", "API_KEYS",
)  # fmt: skip


def standalone_env() -> dict[str, str]:
    """The test process's environment without the session's service settings: for commands
    that start their own database, registry and broker (`make demo`, `make bench`)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(SESSION_SERVICE_VARS)}


class UvicornServer:
    """`uvicorn --factory MODULE:FACTORY` on a free loopback port: `.url`, `.port`, `.stop()`."""

    def __init__(
        self,
        app: str,
        workdir: Path,
        env: Mapping[str, str] | None = None,
        factory: bool = True,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started_in_s: float | None = None
        argv = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port)]
        if factory:
            argv.append("--factory")
        # As in production: no Server banner, X-Forwarded-* only through APP_TRUSTED_PROXIES.
        argv += ["--no-access-log", "--no-server-header", "--no-proxy-headers", *extra_args]
        name = app.replace(":", "-").replace(".", "-")
        self._proc = ManagedProcess(
            f"uvicorn {app}", argv, Path(workdir) / f"uvicorn-{name}-{self.port}.log", env=subprocess_env(env)
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def log_path(self) -> Path:
        return self._proc.log_path

    def start(self, health_path: str | None = "/health", timeout: float = 60.0) -> UvicornServer:
        def ready() -> None:
            if health_path is None:
                wait_for(
                    lambda: port_open("127.0.0.1", self.port),
                    timeout,
                    self._proc.name,
                    alive=self._proc.alive,
                )
            else:
                wait_http_ok(f"{self.url}{health_path}", timeout, self._proc.name, alive=self._proc.alive)

        self.started_in_s = self._proc.start_and_wait(ready)
        return self

    def alive(self) -> bool:
        return self._proc.alive()

    def stop(self) -> int | None:
        return self._proc.stop()

    def kill(self) -> int | None:
        return self._proc.kill()

    def log_tail(self, lines: int = 60) -> str:
        return self._proc.log_tail(lines)


class CeleryWorker:
    """`celery -A APP worker` with a unique node name: `.pid`, `.hostname`, `.ping()`,
    `.stop()` (warm shutdown), `.kill()` (SIGKILL the whole worker), `.children()`."""

    def __init__(
        self,
        app: str,
        workdir: Path,
        env: Mapping[str, str] | None = None,
        queues: Sequence[str] | str | None = None,
        pool: str = "solo",
        concurrency: int = 1,
        broker_url: str | None = None,
        extra_args: Sequence[str] = (),
        loglevel: str = "INFO",
    ) -> None:
        self.app = app
        self.env = subprocess_env(env)
        self.hostname = f"nmtest-{uuid.uuid4().hex[:8]}@127.0.0.1"
        self.broker_url = broker_url or self.env.get("CELERY_BROKER_URL") or self.env.get("REDIS_URL") or None
        self.started_in_s: float | None = None
        argv = [
            sys.executable, "-m", "celery", "-A", app, "worker",
            "--hostname", self.hostname,
            "--pool", pool,
            "--concurrency", str(concurrency),
            "--loglevel", loglevel,
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if queues:
            argv += ["--queues", queues if isinstance(queues, str) else ",".join(queues)]
        argv += list(extra_args)
        self._proc = ManagedProcess(
            f"celery worker {app}",
            argv,
            Path(workdir) / f"celery-{self.hostname.split('@')[0]}.log",
            env=self.env,
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def log_path(self) -> Path:
        return self._proc.log_path

    def ping(self, timeout: float = 1.0) -> bool:
        """True when this worker answers a broadcast ping on the broker."""
        if not self.broker_url:
            return " ready." in self._proc.log_tail(400)
        from celery import Celery

        probe = Celery("nmtest-probe", broker=self.broker_url)
        try:
            replies = probe.control.ping(destination=[self.hostname], timeout=timeout)
        finally:
            probe.close()
        return any(self.hostname in reply for reply in replies or [])

    def start(self, timeout: float = 90.0) -> CeleryWorker:
        self.started_in_s = self._proc.start_and_wait(
            lambda: wait_for(self.ping, timeout, self._proc.name, interval=0.5, alive=self._proc.alive),
            kill_on_failure=True,
        )
        return self

    def alive(self) -> bool:
        return self._proc.alive()

    def children(self) -> list[int]:
        """PIDs of the prefork pool processes (empty for the solo pool)."""
        try:
            return [c.pid for c in psutil.Process(self.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 30.0) -> int | None:
        """Warm shutdown: SIGTERM to the main process lets running tasks finish."""
        return self._proc.stop(timeout=timeout, group=False)

    def kill(self) -> int | None:
        """SIGKILL the main process and its pool children at once (a crashed container)."""
        return self._proc.kill()

    def log_tail(self, lines: int = 60) -> str:
        return self._proc.log_tail(lines)
