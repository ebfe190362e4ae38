"""Helpers of the platform end-to-end test: step timings, the user's commands, polling, row counts.

Everything here talks to real things: commands run as subprocesses of the installed console
scripts (what a user types), HTTP goes to the uvicorn subprocess, counts come from Postgres.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select

from newsmodel.db.models import Article, ArticleLink, Prediction, Sentence
from tests.support.db import session_scope
from tests.support.services import subprocess_env

__all__ = [
    "REPO",
    "Cli",
    "Timings",
    "duplicate_articles",
    "duplicate_predictions",
    "duplicate_sentences",
    "get_json",
    "predictions_by_version",
    "row_counts",
    "wait_until",
]

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


@dataclass
class Timings:
    """Seconds per step, printed and written to JSON at the end (also when the test fails)."""

    path: Path
    steps: dict[str, float] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    _t0: float = field(default_factory=time.monotonic)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.steps[name] = round(time.monotonic() - started, 2)
            print(f"[e2e] {name}: {self.steps[name]:.1f} s", flush=True)

    def note(self, **values: Any) -> None:
        self.notes.update(values)

    def write(self, outcome: str) -> None:
        total = round(time.monotonic() - self._t0, 2)
        body = {"outcome": outcome, "total_s": total, "steps_s": self.steps, "notes": self.notes}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
        width = max((len(k) for k in self.steps), default=10)
        lines = [f"  {name:<{width}} {secs:7.1f} s" for name, secs in self.steps.items()]
        print(
            f"\n[e2e] {outcome}, {total:.1f} s in all (written to {self.path}):\n" + "\n".join(lines),
            flush=True,
        )


class Cli:
    """The platform's console scripts (`newsmodel`, `crawler`) run as a user would, from the
    repository root (training tags the run with `git rev-parse HEAD` of the working directory)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = subprocess_env(env)
        self.bin = Path(sys.executable).parent

    def _argv(self, command: str, args: Sequence[str]) -> list[str]:
        script = self.bin / command
        if not script.is_file():
            raise AssertionError(f"console script {script} missing: `pip install -e .` installs it")
        return [str(script), *args]

    def start(self, command: str, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self._argv(command, args),
            cwd=REPO,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def finish(proc: subprocess.Popen[str], timeout: float) -> str:
        """Wait for a started command; its stdout, or an assertion showing both streams."""
        argv = proc.args if isinstance(proc.args, list) else [proc.args]
        command = " ".join(Path(str(argv[0])).name.split() + [str(a) for a in argv[1:]])
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(
                f"`{command}` ran over {timeout:.0f} s\n{out[-3000:]}\n{err[-3000:]}"
            ) from None
        if proc.returncode != 0:
            raise AssertionError(
                f"`{command}` exited {proc.returncode}\nstdout:\n{out[-3000:]}\nstderr:\n{err[-5000:]}"
            )
        return out

    def run(
        self, command: str, *args: str, timeout: float = 120.0, env: Mapping[str, str] | None = None
    ) -> str:
        return self.finish(self.start(command, *args, env=env), timeout)


def wait_until(
    check: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 0.25,
    log: Callable[[], str] | None = None,
) -> T:
    """Poll `check` until it returns something truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    extra = f"\n{log()}" if log else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r}){extra}")


def get_json(
    client: httpx.Client,
    path: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **params: Any,
) -> Any:
    """GET a JSON body, asserting the status (the body is shown when it differs)."""
    r = client.get(path, params=params or None, headers=headers)
    assert r.status_code == status, f"GET {path} -> {r.status_code}: {r.text[:500]}"
    return r.json()


def row_counts(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        return {
            name: int(s.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (
                ("articles", Article),
                ("article_links", ArticleLink),
                ("sentences", Sentence),
                ("predictions", Prediction),
            )
        }


def _groups_over_one(url: str, *columns: Any) -> list[tuple[Any, ...]]:
    with session_scope(url) as s:
        rows = s.execute(select(*columns, func.count()).group_by(*columns).having(func.count() > 1)).all()
        return [tuple(r) for r in rows]


def duplicate_articles(url: str) -> list[tuple[Any, ...]]:
    """Stories stored twice: same canonical URL or same content hash."""
    return _groups_over_one(url, Article.canonical_url) + _groups_over_one(url, Article.content_hash)


def duplicate_sentences(url: str) -> list[tuple[Any, ...]]:
    return _groups_over_one(
        url, Sentence.article_id, Sentence.position, Sentence.country_a, Sentence.country_b
    )


def duplicate_predictions(url: str) -> list[tuple[Any, ...]]:
    return _groups_over_one(url, Prediction.sentence_id, Prediction.model_name, Prediction.model_version)


def predictions_by_version(url: str, model_name: str) -> dict[str, int]:
    with session_scope(url) as s:
        rows = s.execute(
            select(Prediction.model_version, func.count())
            .where(Prediction.model_name == model_name)
            .group_by(Prediction.model_version)
        ).all()
        return {str(v): int(n) for v, n in rows}
