"""Reachability checks for the services a command needs, each bounded to a few seconds.

Every failure is a DependencyUnavailable naming the variable to fix (DATABASE_URL, REDIS_URL,
MLFLOW_TRACKING_URI) and the address tried, so `newsmodel health` prints one actionable line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newsmodel.db.session import Database, normalize_url
from newsmodel.errors import DependencyUnavailable
from newsmodel.net import resolve_host
from newsmodel.settings import BaseServiceSettings, redact_url

__all__ = [
    "CheckResult",
    "check_all",
    "check_database",
    "check_mlflow",
    "check_redis",
]

TIMEOUT_S = 3.0
_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mssql")


@dataclass(frozen=True)
class CheckResult:
    service: str
    address: str
    detail: str


def check_database(url: str) -> CheckResult:
    """Connect and run SELECT 1 (see `newsmodel.db.session.Database.check`)."""
    Database.connect(url).dispose()
    return CheckResult("database", redact_url(url), "SELECT 1 ok")


def check_redis(url: str, timeout: float = TIMEOUT_S) -> CheckResult:
    """PING the Redis at `url`."""
    address = redact_url(url)

    def fail(reason: str) -> DependencyUnavailable:
        return DependencyUnavailable("Redis", "REDIS_URL", address, reason)

    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise fail(f"unsupported scheme {parts.scheme or '(none)'!r}: use redis://HOST:PORT/DB")
    try:
        import redis
    except ImportError as exc:
        raise fail("the redis package is not installed (install the serve or crawl extra)") from exc
    try:
        if parts.hostname:
            resolve_host(parts.hostname, parts.port or 6379, timeout)
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (OSError, ValueError, redis.RedisError) as exc:
        raise fail(_first_line(exc)) from exc
    return CheckResult("Redis", address, "PING ok")


def check_mlflow(uri: str, timeout: float = TIMEOUT_S) -> CheckResult:
    """GET /health on a tracking server; for a local store, check its place is usable."""
    address = redact_url(uri)

    def fail(reason: str) -> DependencyUnavailable:
        return DependencyUnavailable("MLflow", "MLFLOW_TRACKING_URI", address, reason)

    parts = urlsplit(uri)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme in ("http", "https"):
        import httpx

        try:
            if parts.hostname:
                resolve_host(parts.hostname, parts.port or (443 if scheme == "https" else 80), timeout)
            response = httpx.get(f"{uri.rstrip('/')}/health", timeout=timeout)
        except (OSError, httpx.HTTPError) as exc:
            raise fail(_first_line(exc) or type(exc).__name__) from exc
        if response.status_code != 200:
            raise fail(f"GET /health answered HTTP {response.status_code}")
        return CheckResult("MLflow", address, "tracking server /health ok")
    if scheme in _SQL_SCHEMES:
        _check_sql_store(uri, fail)
        return CheckResult("MLflow", address, "tracking store answers")
    if scheme in ("", "file"):
        path = Path(parts.path if scheme == "file" else uri)
        parent = path if path.exists() else path.parent
        if parent.exists() and not parent.is_dir():
            raise fail(f"{parent} is not a directory")
        return CheckResult("MLflow", address, "local file store")
    raise fail(f"unsupported scheme {parts.scheme!r}: use http(s)://, sqlite:///, postgresql:// or a path")


def _check_sql_store(uri: str, fail) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    uri = normalize_url(uri)
    if uri.startswith("sqlite"):
        path = uri.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        args = {"connect_timeout": int(TIMEOUT_S)} if uri.startswith("postgres") else {}
        engine = create_engine(uri, connect_args=args)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise fail(f"invalid URI ({_first_line(exc)})") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise fail(_first_line(getattr(exc, "orig", None) or exc)) from exc
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_all(settings: BaseServiceSettings, services: tuple[str, ...] = ()) -> Iterator[CheckResult]:
    """Check the configured dependencies (all, or those named in `services`) one by one,
    yielding each success and raising the first failure. An empty REDIS_URL means embedded
    mode (in-process jobs) and is not an error."""
    wanted = set(services) or {"database", "redis", "mlflow"}
    if "database" in wanted:
        yield check_database(settings.database_url)
    if "redis" in wanted:
        if settings.redis_url:
            yield check_redis(settings.redis_url)
        else:
            yield CheckResult("Redis", "(REDIS_URL not set)", "embedded mode: in-process jobs")
    if "mlflow" in wanted:
        yield check_mlflow(settings.mlflow_tracking_uri)
