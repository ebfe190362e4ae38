"""Country tags for an article, from `newsmodel.countries` (the platform's one detector).

Every ISO 3166 country is tagged (not only the focus countries): the column answers "which
countries does this article mention". If the detector cannot be imported the tags stay NULL
("not tagged yet"), never a guess, so a later backfill can tell untagged articles apart.
"""

from __future__ import annotations

from collections.abc import Callable

from newsmodel.logging import get_logger

__all__ = ["CountryTagger", "load_tagger"]

# (text, language) -> sorted distinct ISO alpha-3 codes
CountryTagger = Callable[[str, str | None], list[str]]
log = get_logger(__name__)


def load_tagger() -> CountryTagger | None:
    """The shared detector's `countries` method, or None when `newsmodel.countries` is missing."""
    try:
        from newsmodel.countries import get_detector
    except ImportError as exc:
        log.warning("country_tagging_off", reason=str(exc))
        return None
    return get_detector().countries
