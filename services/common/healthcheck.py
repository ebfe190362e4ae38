#!/usr/bin/env python3
"""Container healthchecks that need no curl, wget or procps in a slim image.

Installed as `/opt/newsmodel/bin/healthcheck` in every image built from `services/`.
Each check prints one line and exits 0 (healthy) or 1 (unhealthy), which is what Docker's
HEALTHCHECK and Kubernetes exec probes read:

    healthcheck http http://127.0.0.1:8000/health       # 2xx within --timeout
    healthcheck process crawler schedule                  # a process whose argv holds these words
    healthcheck sql [--env DATABASE_URL]                  # SELECT 1 on that database
    healthcheck tcp redis 6379                            # something accepts connections

Standard library only (plus SQLAlchemy for `sql`, present in every project image), so it
runs in under a second and cannot break when the application's own imports do.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

__all__ = ["check_http", "check_process", "check_sql", "check_tcp", "main"]


class Unhealthy(Exception):
    """The one-line reason a check failed."""


def check_http(url: str, timeout: float) -> str:
    """GET `url`; healthy on any 2xx answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        raise Unhealthy(f"{url} answered {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unhealthy(f"{url} did not answer: {reason}") from exc
    if not 200 <= status < 300:
        raise Unhealthy(f"{url} answered {status}")
    return f"{url} answered {status}"


def _cmdlines(proc_root: Path) -> list[tuple[int, list[str]]]:
    found = []
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended while we looked
            continue
        argv = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
        if argv:
            found.append((int(entry.name), argv))
    return found


def _holds_in_order(argv: Sequence[str], words: Sequence[str]) -> bool:
    """True when every word appears in argv, in order (the program may be a full path)."""
    position = 0
    for word in words:
        while position < len(argv) and not (argv[position] == word or Path(argv[position]).name == word):
            position += 1
        if position == len(argv):
            return False
        position += 1
    return True


def check_process(words: Sequence[str], proc_root: Path = Path("/proc")) -> str:
    """Healthy when a process other than this one runs with `words` in its argv, in order."""
    me = os.getpid()
    for pid, argv in _cmdlines(proc_root):
        if pid != me and _holds_in_order(argv, words):
            return f"pid {pid} runs {' '.join(argv)}"
    raise Unhealthy(f"no process runs {' '.join(words)!r}")


def check_sql(env_name: str, timeout: float) -> str:
    """SELECT 1 on the database named by the environment variable `env_name`."""
    url = os.environ.get(env_name, "")
    if not url:
        raise Unhealthy(f"{env_name} is not set")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    connect_args = (
        {"connect_timeout": int(max(timeout, 1))} if parsed.get_backend_name() == "postgresql" else {}
    )
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error is "unhealthy", with its first line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unhealthy(f"{env_name} ({parsed.render_as_string(hide_password=True)}): {first}") from exc
    finally:
        engine.dispose()
    return f"{env_name} answers ({parsed.render_as_string(hide_password=True)})"


def check_tcp(host: str, port: int, timeout: float) -> str:
    """Healthy when `host:port` accepts a TCP connection."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise Unhealthy(f"{host}:{port} refused or timed out: {exc}") from exc
    return f"{host}:{port} accepts connections"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    sub = parser.add_subparsers(dest="check", required=True)
    http = sub.add_parser("http", help="GET a URL, healthy on 2xx")
    http.add_argument("url")
    proc = sub.add_parser("process", help="a process runs with these words in its argv")
    proc.add_argument("words", nargs="+")
    sql = sub.add_parser("sql", help="SELECT 1 on the database in an environment variable")
    sql.add_argument("--env", default="DATABASE_URL", help="variable holding the URL")
    tcp = sub.add_parser("tcp", help="a TCP port accepts connections")
    tcp.add_argument("host")
    tcp.add_argument("port", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.check == "http":
            message = check_http(args.url, args.timeout)
        elif args.check == "process":
            message = check_process(args.words)
        elif args.check == "sql":
            message = check_sql(args.env, args.timeout)
        else:
            message = check_tcp(args.host, args.port, args.timeout)
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    print(f"healthy: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
