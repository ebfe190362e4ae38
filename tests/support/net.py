"""Loopback ports and polling: the two things every server handle needs."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx

__all__ = ["free_port", "port_open", "wait_for", "wait_http_ok"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out on `host` (free unless someone races us for it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    interval: float = 0.2,
    alive: Callable[[], bool] | None = None,
) -> float:
    """Poll `predicate` until true; return the seconds waited.

    `alive` lets the caller bail out early (with RuntimeError) when the process it is waiting
    on has already died, instead of burning the whole timeout.
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        try:
            if predicate():
                return time.monotonic() - start
        except Exception:  # the server is still coming up: any error means "not yet"
            pass
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: process exited before it was ready")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(interval)


def wait_http_ok(url: str, timeout: float, what: str, alive: Callable[[], bool] | None = None) -> float:
    """Wait until GET `url` answers 2xx."""

    def ok() -> bool:
        return httpx.get(url, timeout=2.0).is_success

    return wait_for(ok, timeout, what, interval=0.3, alive=alive)
