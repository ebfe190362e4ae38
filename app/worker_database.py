"""The database of this Celery worker process: one engine, built after the fork, used by every task.

`app.celery_app` opens it in `worker_process_init` (each prefork child, or the solo worker
itself) and disposes of it at `worker_process_shutdown`; a parent's pooled connections never
cross a fork. Tasks call `worker_database()`; a task run outside a worker (called directly in
a shell) gets one built on first use. This module imports no Celery app, so task modules
defined with `@shared_task` can use it too.
"""

from __future__ import annotations

import threading

from newsmodel.db.session import Database
from newsmodel.settings import get_settings

__all__ = ["close_worker_database", "open_worker_database", "worker_database"]

_lock = threading.Lock()
_database: Database | None = None


def open_worker_database(url: str) -> Database:
    """Build this process's Database (replacing one inherited from a parent process)."""
    global _database
    with _lock:
        _database = Database.from_url(url)
        return _database


def worker_database() -> Database:
    """This process's Database; built from DATABASE_URL on first use if the worker did not."""
    global _database
    with _lock:
        if _database is None:
            _database = Database.from_url(get_settings().database_url)
        return _database


def close_worker_database() -> None:
    global _database
    with _lock:
        if _database is not None:
            _database.dispose()
            _database = None
