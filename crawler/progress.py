"""A rich progress bar per source for interactive `crawler run` (a ProgressSink)."""

from __future__ import annotations

from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

__all__ = ["RichProgress"]


class RichProgress:
    """One bar per source, drawn on stderr so stdout keeps the result table."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def _task(self, source: str) -> TaskID:
        if source not in self._tasks:
            self._tasks[source] = self._progress.add_task(source, total=0)
        return self._tasks[source]

    def add_total(self, source: str, count: int) -> None:
        task = self._task(source)
        total = self._progress.tasks[self._tasks[source]].total or 0
        self._progress.update(task, total=total + count)

    def advance(self, source: str) -> None:
        self._progress.advance(self._task(source))
