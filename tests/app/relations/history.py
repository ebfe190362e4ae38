"""A deterministic, realistic-looking history of pair sentences and predictions for API and
browser tests: a few focus pairs over N days, several sources, syndicated copies, each pair
drifting toward cooperation or conflict so the charts have shape."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmodel.db.models import Article, ArticleLink, Prediction, Sentence, Source
from newsmodel.labels.schemes import QUAD5
from tests.newsmodel.relindex.seed import MODEL

__all__ = ["PAIRS", "History", "seed_history"]

NAMES = {
    "KOR": "Seoul",
    "USA": "Washington",
    "PRK": "Pyongyang",
    "CHN": "Beijing",
    "JPN": "Tokyo",
    "RUS": "Moscow",
}
# (pair, start drift, end drift): drift > 0 leans to cooperation, < 0 to conflict.
PAIRS: tuple[tuple[str, str, float, float], ...] = (
    ("KOR", "USA", 0.6, 0.8),
    ("KOR", "PRK", -0.2, -0.9),
    ("CHN", "USA", -0.1, -0.6),
    ("JPN", "KOR", -0.3, 0.5),
    ("CHN", "KOR", 0.1, 0.2),
    ("RUS", "USA", -0.7, -0.5),
)
TEMPLATES = {
    "material_cooperation": "{a} and {b} signed an agreement to expand trade and share supply-chain data.",
    "verbal_cooperation": "Officials in {a} praised talks with {b} as constructive and promised closer ties.",
    "neutral": "Diplomats from {a} and {b} are expected to meet next week, a spokesperson said.",
    "verbal_conflict": "{a} accused {b} of provocations and warned of consequences.",
    "material_conflict": "{a} imposed new sanctions on {b} after a missile launch near the border.",
}
SOURCES = ("yonhap", "reuters", "ap", "nhk", "xinhua", "bbc")


@dataclass(frozen=True)
class History:
    first_day: dt.date
    last_day: dt.date
    sentences: int
    busiest: dict[str, dt.date]


def _probabilities(rng: np.random.Generator, drift: float) -> dict[str, float]:
    # Concentrate mass on the label nearest the drift, with noise.
    centre = np.array([0.0, 0.5, 1.0, -0.5, -1.0])
    alpha = 0.4 + 6.0 * np.exp(-((centre - drift + rng.normal(0, 0.45)) ** 2) / 0.18)
    p = rng.dirichlet(alpha)
    return {label: float(x) for label, x in zip(QUAD5.labels, p, strict=True)}


def seed_history(
    session: Session,
    last_day: dt.date,
    days: int = 45,
    versions: Sequence[str] = ("1",),
    seed: int = 11,
    model: str = MODEL,
) -> History:
    """Write the history; each version reads every sentence (v2 a little more pessimistic);
    with no versions only sentences are written (for scoring tests).

    Rows are built in memory and flushed twice (articles+sentences, then predictions), not row
    by row, so a thousand sentences take about a second.
    """
    rng = np.random.default_rng(seed)
    existing = {src.name: src for src in session.scalars(select(Source).where(Source.name.in_(SOURCES)))}
    sources = [
        existing.get(n)
        or Source(name=n, country="KOR", kind="rss", url=f"https://{n}.example/rss", language="en")
        for n in SOURCES
    ]
    session.add_all(sources)
    session.flush()
    first = last_day - dt.timedelta(days=days - 1)
    readings: list[tuple[Sentence, list[dict[str, float]]]] = []
    busiest: dict[str, tuple[int, dt.date]] = {}
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        t = offset / max(1, days - 1)
        for a, b, start, end in PAIRS:
            drift = start + (end - start) * t
            count = 0
            for _ in range(int(rng.poisson(2.2 if "KOR" in (a, b) else 1.2))):
                src = sources[int(rng.integers(len(sources)))]
                key = uuid.uuid4().hex
                topic = ["talks", "tensions", "trade", "summit"][int(rng.integers(4))]
                when = dt.datetime.combine(
                    day, dt.time(int(rng.integers(0, 24)), int(rng.integers(0, 60))), dt.UTC
                )
                art = Article(
                    canonical_url=f"https://{src.name}.example/{key}",
                    url=f"https://{src.name}.example/{key}",
                    content_hash=key.ljust(64, "0"),
                    language="en",
                    title=f"{NAMES[a]}-{NAMES[b]} relations: {topic}",
                    body="...",
                    published_at=when,
                    fetched_at=when,
                    source_id=src.id,
                    links=[
                        ArticleLink(source_id=o.id, canonical_url=f"https://{o.name}.example/copy/{key}")
                        for o in sources
                        if o is not src and rng.random() < 0.15
                    ],
                )
                for position in range(int(rng.integers(1, 4))):
                    per_version = [
                        _probabilities(rng, drift - 0.35 * i) for i in range(max(1, len(versions)))
                    ]
                    # The text matches the newest version's reading (the one the dashboard opens on).
                    newest = per_version[-1]
                    label = max(newest, key=lambda k: newest[k])
                    names = (NAMES[a], NAMES[b]) if rng.random() < 0.5 else (NAMES[b], NAMES[a])
                    sent = Sentence(
                        article=art,
                        position=position,
                        text=TEMPLATES[label].format(a=names[0], b=names[1]),
                        language="en",
                        country_a=a,
                        country_b=b,
                        # the first-named country acts, as the parse would read the templates;
                        # every second sentence left undirected (no extra random draws: the
                        # history stays the same as before directions existed)
                        source_country=None if position == 1 else (a if names[0] == NAMES[a] else b),
                        target_country=None if position == 1 else (b if names[0] == NAMES[a] else a),
                        direction_confidence=None if position == 1 else 0.85,
                        mentions=[],
                        importance=float(rng.random()),
                    )
                    readings.append((sent, per_version))
                    count += 1
            pair = f"{a}-{b}"
            if count and count > busiest.get(pair, (0, day))[0]:
                busiest[pair] = (count, day)
    session.add_all(sent for sent, _ in readings)
    session.flush()
    session.add_all(
        Prediction(
            sentence_id=sent.id,
            model_name=model,
            model_version=version,
            label=max(p, key=lambda k: p[k]),
            probabilities=p,
        )
        for sent, per_version in readings
        for version, p in zip(versions, per_version, strict=False)
    )
    session.flush()
    return History(first, last_day, len(readings), {k: d for k, (_, d) in busiest.items()})
