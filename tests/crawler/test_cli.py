"""The `crawler` command as a container runs it: real subprocesses, real Postgres, the fixture site."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from sqlalchemy import func, select

from crawler.settings import CrawlerSettings
from crawler.shared_session import run_sources
from crawler.sources import load_sources
from crawler.testing import FixtureSite, serve
from newsmodel.db.models import Article, CrawlRun, Source
from tests.support.db import session_scope


def write_sources(path: Path, *entries: dict[str, object]) -> Path:
    sources = [
        {"category": "outlet", "country": "USA", "language": "en", "schedule": "every 60m", **e}
        for e in entries
    ]
    path.write_text(yaml.safe_dump({"sources": sources}))
    return path


def crawler_env(db: str, state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRAWLER_", "DATABASE_URL", "LOG_"))}
    env.update(
        DATABASE_URL=db,
        NEWSMODEL_STATE_DIR=str(state),
        CRAWLER_ALLOW_PRIVATE_ADDRESSES="true",
        CRAWLER_PER_HOST_MIN_INTERVAL_S="0",
        CRAWLER_READ_TIMEOUT_S="1",
        CRAWLER_MAX_RETRIES="1",
        CRAWLER_BACKOFF_BASE_S="0.05",
        **extra,
    )
    return env


def crawler(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def runs(db: str) -> list[tuple[str, str, int]]:
    with session_scope(db) as s:
        rows = s.execute(
            select(Source.name, CrawlRun.status, CrawlRun.new).join(Source).order_by(CrawlRun.id)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def article_count(db: str) -> int:
    with session_scope(db) as s:
        return int(s.scalar(select(func.count()).select_from(Article)) or 0)


@pytest.fixture
def slow_site() -> Iterator[FixtureSite]:
    with serve(latency_s=0.4) as running:
        yield running


def test_run_prints_a_table_logs_json_and_exit_codes(db: str, site: FixtureSite, tmp_path: Path) -> None:
    sources = write_sources(
        tmp_path / "sources.yaml",
        {
            "name": "fx-rss",
            "kind": "rss",
            "urls": [site.url("/feeds/rss.xml")],
            "allowed_hosts": [site.netloc],
        },
        {
            "name": "fx-broken",
            "kind": "rss",
            "urls": [site.url("/feeds/broken.xml")],
            "allowed_hosts": [site.netloc],
        },
    )
    env = crawler_env(db, tmp_path / "state")
    ok = crawler(["run", "--sources-file", str(sources), "--limit", "3"], env, tmp_path)
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0].split()[:3] == ["source", "status", "run"]
    assert lines[1].split()[:2] == ["fx-rss", "succeeded"] and lines[1].split()[5] == "3"  # new
    assert lines[2].split()[:2] == ["fx-broken", "failed"]
    events = [json.loads(line) for line in ok.stderr.splitlines() if line.startswith("{")]
    finished = [e for e in events if e["event"] == "crawl_finished"]
    assert {e["source"] for e in finished} == {"fx-rss", "fx-broken"}

    only_broken = crawler(["run", "--sources-file", str(sources), "--source", "fx-broken"], env, tmp_path)
    assert only_broken.returncode == 1  # every source that ran failed

    unknown = crawler(["run", "--sources-file", str(sources), "--source", "nope"], env, tmp_path)
    assert unknown.returncode == 2 and "unknown source(s) nope" in unknown.stderr

    bad = write_sources(
        tmp_path / "bad.yaml", {"name": "x", "kind": "rss", "urls": ["nope"], "country": "ZZ"}
    )
    invalid = crawler(["run", "--sources-file", str(bad)], env, tmp_path)
    assert invalid.returncode == 2 and "Traceback" not in invalid.stderr
    assert (
        "source 'x' (#1) field 'country'" in invalid.stderr
        and "source 'x' (#1) field 'urls'" in invalid.stderr
    )

    down = crawler(
        ["run", "--sources-file", str(sources)],
        {**env, "DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1:1/x"},
        tmp_path,
    )
    assert down.returncode == 2 and "database unreachable" in down.stderr and "DATABASE_URL" in down.stderr


def test_a_run_killed_half_way_keeps_its_articles_and_the_next_run_resumes(
    db: str, slow_site: FixtureSite, tmp_path: Path, crawler_settings: CrawlerSettings
) -> None:
    sources = write_sources(
        tmp_path / "sources.yaml",
        {
            "name": "fx-gen",
            "kind": "rss",
            "urls": [slow_site.url("/gen/feed.xml?count=12")],
            "allowed_hosts": [slow_site.netloc],
        },
    )
    env = crawler_env(db, tmp_path / "state", CRAWLER_PER_HOST_CONCURRENCY="1", CRAWLER_EXTRACT_PROCESSES="2")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "run", "--sources-file", str(sources)],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(lambda: article_count(db) >= 3, 30, "three stored articles")
        workers = psutil.Process(proc.pid).children(recursive=True)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    # The extraction worker processes notice their crawler is gone and leave.
    assert workers, "extraction ran in worker processes"
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
    kept = article_count(db)
    assert 3 <= kept < 12
    [(name, status, new)] = runs(db)
    assert (name, status) == ("fx-gen", "running") and new == kept  # counts were committed with each article

    [result] = asyncio.run(run_sources(load_sources(sources), crawler_settings))
    assert (result.status, result.counts.discovered) == ("succeeded", 12)
    assert (result.counts.new, result.counts.duplicate, result.counts.fetched) == (12 - kept, kept, 12 - kept)
    assert article_count(db) == 12
    assert [r[1] for r in runs(db)] == ["interrupted", "succeeded"]


def test_scheduler_runs_each_source_then_stops_cleanly_on_sigterm(
    db: str, site: FixtureSite, slow_site: FixtureSite, tmp_path: Path
) -> None:
    sources = write_sources(
        tmp_path / "sources.yaml",
        {
            "name": "fx-fast",
            "kind": "atom",
            "urls": [site.url("/feeds/atom.xml")],
            "allowed_hosts": [site.netloc],
        },
        {
            "name": "fx-slow",
            "kind": "rss",
            "urls": [slow_site.url("/gen/feed.xml?count=40")],
            "allowed_hosts": [slow_site.netloc],
            "schedule": "every 1m",
        },
        # Next due on 1 January: must not run now.
        {
            "name": "fx-cron",
            "kind": "rss",
            "urls": [site.url("/feeds/rss.xml")],
            "allowed_hosts": [site.netloc],
            "schedule": "0 0 1 1 *",
        },
    )
    state = tmp_path / "state"
    env = crawler_env(db, state, CRAWLER_PER_HOST_CONCURRENCY="1")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "schedule", "--sources-file", str(sources)],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_for(lambda: ("fx-fast", "succeeded", 2) in runs(db), 30, "the fast source's run")
        wait_for(
            lambda: any(r[0] == "fx-slow" and r[1] == "running" and r[2] >= 1 for r in runs(db)),
            30,
            "slow run under way",
        )
        health = crawler(["health"], env, tmp_path)
        assert health.returncode == 0, health.stderr
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    statuses = {name: status for name, status, _new in runs(db)}
    assert statuses == {"fx-fast": "succeeded", "fx-slow": "interrupted"}  # fx-cron not due; one run each
    assert '"event": "scheduler_stopped"' in err


def test_health_fails_without_a_heartbeat(db: str, tmp_path: Path) -> None:
    result = crawler(["health"], crawler_env(db, tmp_path / "state"), tmp_path)
    assert result.returncode == 1 and "never" in result.stderr


def test_a_bad_setting_is_one_line_naming_the_variable(db: str, tmp_path: Path) -> None:
    result = crawler(
        ["sources"], crawler_env(db, tmp_path / "state", CRAWLER_PER_HOST_CONCURRENCY="lots"), tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: invalid setting CRAWLER_PER_HOST_CONCURRENCY: Input should be a valid integer, "
        "unable to parse string as an integer (got 'lots')"
    ]
