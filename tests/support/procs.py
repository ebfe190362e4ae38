"""Subprocesses in their own process group, logged to a file, always stopped as a group.

Why a group: `mlflow server`, uvicorn --reload and Celery prefork all spawn children; signalling
only the parent can leave orphans holding ports and database connections.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

import psutil

__all__ = ["ManagedProcess"]


class ManagedProcess:
    """One server subprocess: start, stop (SIGTERM then SIGKILL), kill, and its log tail."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = Path(log_path)
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} was never started")
        return self.proc.pid

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def start_and_wait(self, ready: Callable[[], object], kill_on_failure: bool = False) -> float:
        """Start, then call `ready` (it raises when the process never gets ready); on failure
        stop (or kill) the process and raise with its log tail. Returns the seconds it took."""
        t0 = time.monotonic()
        self.start()
        try:
            ready()
        except Exception as exc:
            detail = self.describe_failure()
            if kill_on_failure:
                self.kill()
            else:
                self.stop()
            raise RuntimeError(f"{exc}\n{detail}") from exc
        return time.monotonic() - t0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def _descendants(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    @staticmethod
    def _reap(procs: list[psutil.Process]) -> None:
        """Wait until the processes are really gone (a signal is delivered asynchronously)."""
        _, alive = psutil.wait_procs(procs, timeout=5)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()

    def stop(self, timeout: float = 15.0, group: bool = True) -> int | None:
        """SIGTERM (the whole group, or with group=False the parent only so it can shut its
        children down itself, e.g. Celery's warm shutdown), wait, then SIGKILL whatever is left
        of the group. Idempotent."""
        if self.proc is None:
            return None
        children = self._descendants()
        if self.proc.poll() is None:
            if group:
                self._signal_group(signal.SIGTERM)
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(5)
        # Children that outlived the parent (same group) go too.
        self._signal_group(signal.SIGKILL)
        self._reap(children)
        self._close_log()
        return self.proc.returncode

    def kill(self) -> int | None:
        """SIGKILL the whole group now (simulates a crashed container)."""
        if self.proc is None:
            return None
        children = self._descendants()
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        self._reap(children)
        self._close_log()
        return self.proc.returncode

    def _close_log(self) -> None:
        if self._log is not None and not self._log.closed:
            self._log.close()

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def describe_failure(self, lines: int = 60) -> str:
        code = self.proc.poll() if self.proc is not None else None
        return (
            f"{self.name} (argv={' '.join(self.argv)}, exit={code}) log {self.log_path}, "
            f"last {lines} lines:\n{self.log_tail(lines)}"
        )
