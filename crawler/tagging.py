"""Country tags for an article, from `newsmodel.countries` (the platform's one detector).

When the detector is not installed the tags stay NULL ("not tagged yet"), never a guess, so
a later backfill can tell untagged articles from articles that mention no country.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from newsmodel.logging import get_logger

__all__ = ["CountryTagger", "load_tagger"]

CountryTagger = Callable[[str], list[str]]
log = get_logger(__name__)


def load_tagger() -> CountryTagger | None:
    """A function text -> sorted ISO alpha-3 codes, or None when no detector is available."""
    try:
        from newsmodel.countries import CountryDetector
    except ImportError:
        log.info("country_tagging_off", reason="newsmodel.countries has no CountryDetector yet")
        return None
    detector: Any = CountryDetector()

    def tag(text: str) -> list[str]:
        return sorted({m.iso3 for m in detector.detect(text)})

    return tag
