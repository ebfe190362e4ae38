"""One run per source at a time, across every process that crawls into the same database.

Postgres: a session-level advisory lock on a dedicated connection. The server drops it the
moment the holding process dies (its connection closes), so a crashed run never leaves a
stale lock and no lease expiry has to be guessed. SQLite (the embedded demo, one machine):
an OS file lock next to the state dir, released by the kernel when the process dies. Both are
`newsmodel.db.locks.held_lock`'s, with the crawler's own key namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from crawler.errors import SourceBusy
from newsmodel.db.locks import LockBusy, held_lock
from newsmodel.db.session import Database

__all__ = ["source_lock"]

NAMESPACE = "newsmodel.crawler:"


@contextmanager
def source_lock(db: Database, source_name: str, lock_dir: Path) -> Iterator[None]:
    """Hold the run lock of one source; raise SourceBusy at once if another process has it."""
    with ExitStack() as stack:
        try:
            stack.enter_context(held_lock(db, source_name, lock_dir, namespace=NAMESPACE))
        except LockBusy:
            raise SourceBusy(source_name) from None
        yield
