"""Writes of the crawler: sources, crawl runs, articles and their links, one commit per URL.

Each article is committed with the run's running counts in the same transaction, so a run
that dies half-way keeps every article it stored and its row says how far it got; the next
run (which marks the dead one `interrupted`) skips every canonical URL already linked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from crawler.extract import ExtractedArticle, content_hash
from crawler.sources import SourceConfig
from newsmodel.db.models import Article, ArticleLink, CrawlRun, Source
from newsmodel.db.session import Database
from newsmodel.errors import DependencyUnavailable

__all__ = ["MAX_STORED_ERRORS", "CrawlStore", "RunCounts"]

# The errors list is capped so a listing page full of bad links cannot bloat the row;
# `failed` still counts every failure.
MAX_STORED_ERRORS = 500
_CHUNK = 500


@dataclass
class RunCounts:
    """The numbers a crawl run row carries; `errors` holds {url, reason} per failure."""

    discovered: int = 0
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail(self, url: str, reason: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"url": url, "reason": reason})

    def as_row(self) -> dict[str, Any]:
        return {
            "discovered": self.discovered,
            "fetched": self.fetched,
            "new": self.new,
            "duplicate": self.duplicate,
            "failed": self.failed,
            "errors": list(self.errors),
        }


class CrawlStore:
    """Synchronous SQLAlchemy writes on the crawl session's Database; every public method is one
    short transaction (its own unit of work), so a run keeps what it stored if it dies later."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._postgres = db.dialect == "postgresql"

    def _session(self) -> Session:
        return self.db.session()

    def _unavailable(self, exc: SQLAlchemyError) -> DependencyUnavailable:
        return self.db.unavailable(exc)

    def ensure_source(self, cfg: SourceConfig) -> int:
        """Insert or refresh the `sources` row mirroring a sources.yaml entry."""
        values = {
            "country": cfg.country,
            "kind": cfg.kind.value,
            "url": cfg.urls[0],
            "language": cfg.language,
        }
        try:
            with self._session() as session, session.begin():
                row = session.scalar(select(Source).where(Source.name == cfg.name))
                if row is None:
                    row = Source(name=cfg.name, **values)
                    session.add(row)
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
                session.flush()
                return row.id
        except IntegrityError:  # another process inserted it first
            with self._session() as session:
                return session.scalars(select(Source.id).where(Source.name == cfg.name)).one()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def start_run(self, source_id: int) -> int:
        """Open a run row; older `running` rows of this source are dead (we hold its lock)."""
        try:
            with self._session() as session, session.begin():
                session.execute(
                    update(CrawlRun)
                    .where(CrawlRun.source_id == source_id, CrawlRun.status == "running")
                    .values(status="interrupted")
                )
                run = CrawlRun(source_id=source_id, status="running", errors=[])
                session.add(run)
                session.flush()
                return run.id
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def known_urls(self, canonical_urls: Iterable[str]) -> set[str]:
        """The subset of these canonical URLs already linked to a stored article."""
        urls = list(dict.fromkeys(canonical_urls))
        known: set[str] = set()
        try:
            with self._session() as session:
                for i in range(0, len(urls), _CHUNK):
                    chunk = urls[i : i + _CHUNK]
                    known.update(
                        session.scalars(
                            select(ArticleLink.canonical_url).where(ArticleLink.canonical_url.in_(chunk))
                        )
                    )
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        return known

    def checkpoint(self, run_id: int, counts: RunCounts) -> None:
        """Write the running counts (after a failure, which stores no article)."""
        try:
            with self._session() as session, session.begin():
                session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**counts.as_row()))
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def finish_run(self, run_id: int, counts: RunCounts, status: str) -> None:
        try:
            with self._session() as session, session.begin():
                session.execute(
                    update(CrawlRun)
                    .where(CrawlRun.id == run_id)
                    .values(status=status, finished_at=dt.datetime.now(dt.UTC), **counts.as_row())
                )
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    def save_article(
        self,
        *,
        run_id: int,
        source_id: int,
        url: str,
        canonical_urls: list[str],
        article: ExtractedArticle,
        published_at: dt.datetime | None,
        language: str,
        countries: list[str] | None,
        counts: RunCounts,
    ) -> Literal["new", "duplicate"]:
        """Store a fetched article once; link every canonical URL it was seen under.

        `canonical_urls[-1]` is where the page really lives (after redirects). The outcome is
        added to `counts`, which is written in the same transaction.
        """
        digest = content_hash(article.text)
        for attempt in range(2):
            try:
                with self._session() as session, session.begin():
                    outcome = self._save(session, run_id, source_id, url, canonical_urls, digest, article,
                                         published_at, language, countries)  # fmt: skip
                    after = RunCounts(**{**counts.__dict__, "errors": counts.errors})
                    setattr(after, outcome, getattr(after, outcome) + 1)
                    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**after.as_row()))
                setattr(counts, outcome, getattr(counts, outcome) + 1)
                return outcome
            except IntegrityError:
                if attempt:  # a concurrent writer stored the same URL; the retry sees it
                    raise
            except SQLAlchemyError as exc:
                raise self._unavailable(exc) from exc
        raise AssertionError("unreachable")

    def _save(
        self,
        session: Session,
        run_id: int,
        source_id: int,
        url: str,
        canonical_urls: list[str],
        digest: str,
        article: ExtractedArticle,
        published_at: dt.datetime | None,
        language: str,
        countries: list[str] | None,
    ) -> Literal["new", "duplicate"]:
        if self._postgres:  # serialise writers of the same story across processes
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:h, 0))"), {"h": digest})
        wanted = list(dict.fromkeys(canonical_urls))
        linked = {
            link.canonical_url: link.article_id
            for link in session.scalars(select(ArticleLink).where(ArticleLink.canonical_url.in_(wanted)))
        }
        article_id = next(iter(linked.values()), None)
        if article_id is None:
            article_id = session.scalar(select(Article.id).where(Article.content_hash == digest).limit(1))
        outcome: Literal["new", "duplicate"] = "duplicate"
        if article_id is None:
            row = Article(
                canonical_url=wanted[-1],
                url=url,
                content_hash=digest,
                language=language,
                title=article.title,
                body=article.text,
                published_at=published_at,
                source_id=source_id,
                crawl_run_id=run_id,
                countries=countries,
            )
            session.add(row)
            session.flush()
            article_id, outcome = row.id, "new"
        for canonical in wanted:
            if canonical not in linked:
                session.add(
                    ArticleLink(
                        article_id=article_id,
                        source_id=source_id,
                        canonical_url=canonical,
                        crawl_run_id=run_id,
                    )
                )
        return outcome
