"""ETag / Last-Modified validators of feeds and sitemaps, kept between runs for conditional GET.

Validators are staged during a run and written to disk only by `commit(urls)`, which the
engine calls when a source run ended with no failed article: otherwise the next run would get
304 Not Modified and never retry the articles that failed. The file is shared by processes,
so writes merge under a file lock and replace the file atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from filelock import FileLock

__all__ = ["ValidatorStore", "Validators"]

Validators = dict[str, str]  # {"etag": ..., "last_modified": ...}


class ValidatorStore:
    """In memory when `path` is None (tests, benchmarks), else a JSON file under the state dir."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._saved: dict[str, Validators] = self._read() if path else {}
        self._staged: dict[str, Validators] = {}

    def _read(self) -> dict[str, Validators]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, url: str) -> Validators:
        return dict(self._saved.get(url, {}))

    def stage(self, url: str, etag: str | None, last_modified: str | None) -> None:
        found = {k: v for k, v in (("etag", etag), ("last_modified", last_modified)) if v}
        if found:
            self._staged[url] = found

    def commit(self, urls: list[str]) -> None:
        """Make the staged validators of these URLs the ones the next run sends."""
        updates = {u: self._staged.pop(u) for u in urls if u in self._staged}
        if not updates:
            return
        self._saved.update(updates)
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=30):
            merged = {**self._read(), **updates}
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".validators-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(merged, fh, indent=0, sort_keys=True)
            os.replace(tmp, self.path)
