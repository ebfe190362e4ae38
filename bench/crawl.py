"""Crawler throughput: articles/s from many fixture hosts with politeness on, vs a naive loop.

Both sides handle the same article URLs in the same run. The crawler does its whole job
(robots.txt, feed discovery, per-host gates, fetch, trafilatura extraction, dedupe, one
commit per article into a real database); the naive baseline is a sequential `httpx.get` +
trafilatura extraction of each article URL, with no robots, no politeness and no storage.
Every fixture host answers after a simulated network latency, as real sites do. The fixture
servers run in the benchmark's own process (threads), so they share its CPU. The crawler is
measured twice: extraction in a thread (the default) and in worker processes. Prints a
markdown table: medians over repeats with the spread (min-max).

    python bench/crawl.py            # 16 hosts x 40 articles, 3 repeats
    python bench/crawl.py --quick    # 6 hosts x 6 articles, 2 repeats (< 2 min)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from crawler.extract import extract_article
from crawler.http_cache import ValidatorStore
from crawler.settings import CrawlerSettings
from crawler.shared_session import run_sources
from crawler.sources import SourceConfig, SourceKind
from crawler.testing import FixtureSite, serve_many
from newsmodel.db.migrate import upgrade
from newsmodel.db.models import Base
from newsmodel.logging import configure_logging

ADMIN_URL = os.environ.get("NEWSMODEL_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Plan:
    hosts: int
    articles_per_host: int
    repeats: int
    latency_s: float = 0.05
    concurrency: int = 2
    min_interval_s: float = 0.25


@contextmanager
def bench_database() -> Iterator[tuple[str, str]]:
    """A throwaway migrated Postgres database (the machine's), else a temporary SQLite file."""
    name = f"bench_crawl_{os.getpid()}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no Postgres here: the embedded default is what a laptop runs anyway
        admin.dispose()
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            yield url, "SQLite (no Postgres answered)"
        return
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url, "Postgres"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_tables(url: str) -> None:
    from newsmodel.db import open_database

    with open_database(url) as db, db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


def sources_for(sites: list[FixtureSite], per_host: int) -> list[SourceConfig]:
    return [
        SourceConfig(
            name=f"bench-{i}",
            country="USA",
            category="outlet",
            kind=SourceKind.RSS,
            urls=[site.url(f"/gen/feed.xml?count={per_host}")],
            language="en",
            allowed_hosts=[site.netloc],
            limits={"max_articles": per_host},  # type: ignore[arg-type]
        )
        for i, site in enumerate(sites)
    ]


def crawl_once(sources: list[SourceConfig], settings: CrawlerSettings) -> tuple[float, int]:
    started = time.perf_counter()
    results = asyncio.run(run_sources(sources, settings, validators=ValidatorStore()))
    took = time.perf_counter() - started
    stored = sum(r.counts.new for r in results)
    failed = sum(r.counts.failed for r in results)
    if failed:
        raise SystemExit(f"crawler run had {failed} failures; the benchmark needs a clean run")
    return took, stored


def naive_once(urls: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = 0
    with httpx.Client(timeout=10) as client:
        for url in urls:
            resp = client.get(url)
            resp.raise_for_status()
            extract_article(resp.content, url)
            done += 1
    return time.perf_counter() - started, done


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def run(plan: Plan) -> None:
    configure_logging("WARNING", "console")
    processes = max(2, min(4, os.cpu_count() or 1))
    sites = serve_many(plan.hosts, latency_s=plan.latency_s)
    rates: dict[str, list[float]] = {"thread": [], "pool": [], "naive": []}
    secs: dict[str, list[float]] = {"thread": [], "pool": [], "naive": []}
    try:
        sources = sources_for(sites, plan.articles_per_host)
        urls = [s.url(f"/gen/{n}.html") for s in sites for n in range(plan.articles_per_host)]
        with bench_database() as (db_url, db_kind), tempfile.TemporaryDirectory() as state:
            settings = CrawlerSettings(
                database_url=db_url,
                state_dir=Path(state),
                allow_private_addresses=True,
                per_host_concurrency=plan.concurrency,
                per_host_min_interval_s=plan.min_interval_s,
                source_concurrency=plan.hosts,
                extract_processes=0,
            )
            pooled = settings.model_copy(update={"extract_processes": processes})
            for _ in range(plan.repeats):
                for mode, cfg in (("thread", settings), ("pool", pooled)):
                    empty_tables(db_url)
                    took, stored = crawl_once(sources, cfg)
                    if stored != len(urls):
                        raise SystemExit(f"crawler stored {stored} of {len(urls)} articles")
                    rates[mode].append(stored / took)
                    secs[mode].append(took)
                took, done = naive_once(urls)
                rates["naive"].append(done / took)
                secs["naive"].append(took)
    finally:
        for site in sites:
            site.stop()

    per_host_cap = min(plan.concurrency / plan.latency_s, 1 / plan.min_interval_s)
    # Each host needs robots.txt + feed + its articles, at best one request start per interval.
    bound = len(urls) / ((plan.articles_per_host + 2) * plan.min_interval_s)
    speedup = [c / n for c, n in zip(rates["thread"], rates["naive"], strict=True)]
    print(
        f"{plan.hosts} fixture hosts x {plan.articles_per_host} articles = {len(urls)} article URLs; "
        f"{plan.latency_s * 1000:.0f} ms simulated latency per request; politeness: "
        f"{plan.concurrency} in flight and >= {plan.min_interval_s:g} s between request starts per host "
        f"(at most {per_host_cap:g} req/s per host); storage: {db_kind}; {plan.repeats} repeats; "
        f"{os.cpu_count()} CPU cores, shared with the fixture servers (same process).\n"
    )
    rows = [
        ("crawler, default: robots + feeds + polite fetch + extract (thread) + store", "thread"),
        (f"crawler, extraction in {processes} worker processes", "pool"),
        ("naive sequential fetch + extract (no politeness, no storage)", "naive"),
    ]
    print("| mode | articles/s median (min-max) | seconds per run median (min-max) |")
    print("|---|---|---|")
    for label, key in rows:
        print(f"| {label} | {fmt(rates[key])} | {fmt(secs[key])} |")
    print(f"| politeness bound (all hosts, one request start per interval) | {bound:.1f} | |")
    ratio = f"{statistics.median(speedup):.2f}x ({min(speedup):.2f}x-{max(speedup):.2f}x)"
    print(f"| speed-up, crawler default vs naive | {ratio} | |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="6 hosts x 6 articles, 2 repeats (< 2 min)")
    parser.add_argument("--hosts", type=int)
    parser.add_argument("--articles", type=int, help="articles per host")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args()
    plan = (
        Plan(hosts=6, articles_per_host=6, repeats=2)
        if args.quick
        else Plan(hosts=16, articles_per_host=40, repeats=3)
    )
    plan = Plan(
        hosts=args.hosts or plan.hosts,
        articles_per_host=args.articles or plan.articles_per_host,
        repeats=args.repeats or plan.repeats,
    )
    run(plan)


if __name__ == "__main__":
    main()
