#!/usr/bin/env python3
"""Container healthchecks that need no curl, wget or procps in a slim image.

Installed as `/opt/newsmodel/bin/healthcheck` in every image built from `services/`.
Each check prints one line and exits 0 (healthy) or 1 (unhealthy), which is what Docker's
HEALTHCHECK and Kubernetes exec probes read:

    healthcheck http http://127.0.0.1:8000/health       # 2xx within --timeout
    healthcheck process crawler schedule                  # a process whose argv holds these words
    healthcheck sql [--env DATABASE_URL]                  # SELECT 1 on that database
    healthcheck heartbeat [--max-age 120] [--instance H]  # crawler scheduler H beat lately
    healthcheck tcp redis 6379                            # something accepts connections

Standard library only (plus SQLAlchemy for `sql`, present in every project image), so it
runs in under a second and cannot break when the application's own imports do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["check_heartbeat", "check_http", "check_process", "check_sql", "check_tcp", "main"]


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


@contextmanager
def _database(env_name: str, timeout: float) -> Iterator[tuple[Any, str]]:
    """A connection to the database named by `env_name`, and its address (password hidden)."""
    url = os.environ.get(env_name, "")
    if not url:
        raise Unhealthy(f"{env_name} is not set")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    address = parsed.render_as_string(hide_password=True)
    connect_args = (
        {"connect_timeout": int(max(timeout, 1))} if parsed.get_backend_name() == "postgresql" else {}
    )
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=False)
    try:
        try:
            conn = engine.connect()
        except Exception as exc:  # any driver error is "unhealthy", with its first line
            raise Unhealthy(f"{env_name} ({address}): {_first_line(exc)}") from exc
        with conn:
            yield conn, address
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def check_sql(env_name: str, timeout: float) -> str:
    """SELECT 1 on the database named by the environment variable `env_name`."""
    from sqlalchemy import text

    with _database(env_name, timeout) as (conn, address):
        try:
            conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise Unhealthy(f"{env_name} ({address}): {_first_line(exc)}") from exc
    return f"{env_name} answers ({address})"


def check_heartbeat(env_name: str, instance: str, max_age_s: float, timeout: float) -> str:
    """The crawler scheduler `instance` wrote its row in `crawler_heartbeats` within `max_age_s`
    (it writes every 30 s): its loop is alive and it can reach the database."""
    from sqlalchemy import text

    with _database(env_name, timeout) as (conn, address):
        try:
            beat_at = conn.execute(
                text("SELECT beat_at FROM crawler_heartbeats WHERE instance = :i"), {"i": instance}
            ).scalar()
        except Exception as exc:
            raise Unhealthy(f"{env_name} ({address}): {_first_line(exc)}") from exc
    if beat_at is None:
        raise Unhealthy(f"crawler {instance} never beat into {address}")
    if isinstance(beat_at, str):  # SQLite hands back text
        beat_at = dt.datetime.fromisoformat(beat_at)
    if beat_at.tzinfo is None:  # stored as UTC
        beat_at = beat_at.replace(tzinfo=dt.UTC)
    age = (dt.datetime.now(dt.UTC) - beat_at).total_seconds()
    if age > max_age_s:
        raise Unhealthy(f"crawler {instance} last beat {age:.0f}s ago (more than {max_age_s:.0f}s)")
    return f"crawler {instance} beat {age:.0f}s ago"


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
    beat = sub.add_parser("heartbeat", help="a crawler scheduler beat into the database lately")
    beat.add_argument("--env", default="DATABASE_URL", help="variable holding the URL")
    beat.add_argument("--instance", default=None, help="scheduler instance (default: this host name)")
    beat.add_argument("--max-age", type=float, default=120.0, help="seconds (default 120)")
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
        elif args.check == "heartbeat":
            instance = args.instance or os.environ.get("CRAWLER_INSTANCE") or socket.gethostname()
            message = check_heartbeat(args.env, instance, args.max_age, args.timeout)
        else:
            message = check_tcp(args.host, args.port, args.timeout)
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    print(f"healthy: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
