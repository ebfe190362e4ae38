"""ETag / Last-Modified validators of feeds and sitemaps, kept between runs for conditional GET.

Validators are staged during a run and saved only by `commit(urls)`, which the engine calls
when a source run ended with no failed article: otherwise the next run would get 304 Not
Modified and never retry the articles that failed. `DatabaseValidatorStore` keeps them in the
corpus database (`http_validators`), so every run, process and replica shares them (a
Kubernetes CronJob has no disk that outlives a run); `ValidatorStore` keeps them in memory
(tests, benchmarks).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from newsmodel.db.models import HttpValidator, utcnow
from newsmodel.db.session import Database

__all__ = ["DatabaseValidatorStore", "ValidatorStore", "Validators", "url_key"]

Validators = dict[str, str]  # {"etag": ..., "last_modified": ...}


def url_key(url: str) -> str:
    """The primary key of a URL's row: its SHA-256 (a URL may be longer than an index allows)."""
    return hashlib.sha256(url.encode()).hexdigest()


class ValidatorStore:
    """In memory: what a run staged, and what earlier commits saved (for this process only)."""

    def __init__(self) -> None:
        self._saved: dict[str, Validators] = {}
        self._staged: dict[str, Validators] = {}

    def get(self, url: str) -> Validators:
        """The validators to send with the next request for `url` (empty: fetch in full)."""
        return dict(self._load(url))

    def stage(self, url: str, etag: str | None, last_modified: str | None) -> None:
        found = {k: v for k, v in (("etag", etag), ("last_modified", last_modified)) if v}
        if found:
            self._staged[url] = found

    def commit(self, urls: list[str]) -> None:
        """Make the staged validators of these URLs the ones the next run sends."""
        updates = {u: self._staged.pop(u) for u in urls if u in self._staged}
        if updates:
            self._save(updates)

    def _load(self, url: str) -> Validators:
        return self._saved.get(url, {})

    def _save(self, updates: dict[str, Validators]) -> None:
        self._saved.update(updates)


class DatabaseValidatorStore(ValidatorStore):
    """In the corpus database: read when a request is about to go out, written in one
    transaction per committed source run, so a replica sees another's latest validators."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    def _load(self, url: str) -> Validators:
        with self.db.transaction() as session:
            row = session.get(HttpValidator, url_key(url))
            if row is None:
                return {}
            pairs = (("etag", row.etag), ("last_modified", row.last_modified))
            return {k: v for k, v in pairs if v}

    def _save(self, updates: dict[str, Validators]) -> None:
        for attempt in range(2):
            try:
                self._upsert(updates)
                return
            except IntegrityError:
                if attempt:  # another replica inserted the same URL first; the retry updates it
                    raise

    def _upsert(self, updates: dict[str, Validators]) -> None:
        with self.db.transaction() as session:
            rows = {
                row.url_sha256: row
                for row in session.scalars(
                    select(HttpValidator).where(HttpValidator.url_sha256.in_([url_key(u) for u in updates]))
                )
            }
            for url, found in updates.items():
                row = rows.get(url_key(url))
                if row is None:
                    row = HttpValidator(url_sha256=url_key(url), url=url)
                    session.add(row)
                row.etag, row.last_modified = found.get("etag"), found.get("last_modified")
                row.updated_at = utcnow()
