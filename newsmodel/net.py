"""Name resolution with a deadline, shared by the database connector and the dependency checks.

getaddrinfo has no timeout of its own; a broken resolver can hang a command for tens of seconds.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

__all__ = ["RESOLVE_TIMEOUT_S", "resolve_host"]

RESOLVE_TIMEOUT_S = 3.0


def resolve_host(host: str, port: int, timeout: float = RESOLVE_TIMEOUT_S) -> None:
    """Resolve `host` within `timeout` (getaddrinfo has no timeout of its own and a broken
    resolver can hang for tens of seconds); raise OSError on failure or timeout."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM).result(timeout)
    except FutureTimeout as exc:
        raise OSError(f"name resolution of {host!r} took more than {timeout:.0f} s") from exc
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve host {host!r} ({exc.strerror})") from exc
    finally:
        pool.shutdown(wait=False)
