"""Behaviour check: swapping one country for another of the same role must rarely flip the label.

"Russian troops shelled Kharkiv" and "French troops shelled Kharkiv" describe the same kind of
event; a model whose label flips is reading the country, not the relation. Mentions are found
with `newsmodel.countries`; the replacement keeps the role of the surface (a name stays a name,
a demonym a demonym, a capital a capital) and is drawn from a fixed, seeded pool.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SWAP_POOL", "SwapCase", "country_swaps", "flip_rate"]

# (surface, ISO alpha-3) per role; broad on purpose so most sentences get a country not in them.
SWAP_POOL: dict[str, tuple[tuple[str, str], ...]] = {
    "name": (
        ("France", "FRA"),
        ("Germany", "DEU"),
        ("Brazil", "BRA"),
        ("India", "IND"),
        ("Japan", "JPN"),
        ("Kenya", "KEN"),
        ("Canada", "CAN"),
        ("Mexico", "MEX"),
        ("Turkey", "TUR"),
        ("Egypt", "EGY"),
        ("Poland", "POL"),
        ("Indonesia", "IDN"),
    ),
    "demonym": (
        ("French", "FRA"),
        ("German", "DEU"),
        ("Brazilian", "BRA"),
        ("Indian", "IND"),
        ("Japanese", "JPN"),
        ("Kenyan", "KEN"),
        ("Canadian", "CAN"),
        ("Mexican", "MEX"),
        ("Turkish", "TUR"),
        ("Egyptian", "EGY"),
        ("Polish", "POL"),
        ("Indonesian", "IDN"),
    ),
    "metonym": (
        ("Paris", "FRA"),
        ("Berlin", "DEU"),
        ("Brasilia", "BRA"),
        ("New Delhi", "IND"),
        ("Tokyo", "JPN"),
        ("Nairobi", "KEN"),
        ("Ottawa", "CAN"),
        ("Mexico City", "MEX"),
        ("Ankara", "TUR"),
        ("Cairo", "EGY"),
        ("Warsaw", "POL"),
        ("Jakarta", "IDN"),
    ),
}
_ROLE_OF_KIND = {"name": "name", "derived": "name", "demonym": "demonym", "metonym": "metonym"}


@dataclass(frozen=True)
class SwapCase:
    original: str
    swapped: str
    replaced: str
    replacement: str


def _role(surface: str) -> str | None:
    from newsmodel.countries.gazetteer import load_gazetteer, normalize_surface

    entries = load_gazetteer().get(normalize_surface(surface), ())
    for entry in entries:
        if entry.kind in _ROLE_OF_KIND:
            return _ROLE_OF_KIND[entry.kind]
    return None


def country_swaps(texts: Sequence[str], seed: int, max_cases: int) -> list[SwapCase]:
    """One swap per sentence with a swappable mention: its first name/demonym/capital mention."""
    from newsmodel.countries import get_detector

    detector = get_detector()
    rng = random.Random(seed)
    cases: list[SwapCase] = []
    for text in texts:
        if len(cases) >= max_cases:
            break
        mentions = detector.detect(text, language="en")
        present = {m.iso3 for m in mentions}
        for mention in mentions:
            role = _role(mention.text)
            if role is None:
                continue
            options = [(s, iso) for s, iso in SWAP_POOL[role] if iso not in present]
            if not options:
                continue
            surface, _ = rng.choice(options)
            swapped = text[: mention.start] + surface + text[mention.end :]
            cases.append(SwapCase(text, swapped, mention.text, surface))
            break
    return cases


def flip_rate(cases: Sequence[SwapCase], predict: Callable[[list[str]], Sequence[int]]) -> dict[str, Any]:
    """Share of swaps whose predicted label changed, with a few flipped examples for the report."""
    if not cases:
        return {"n": 0, "flips": 0, "flip_rate": 0.0, "examples": []}
    before = predict([c.original for c in cases])
    after = predict([c.swapped for c in cases])
    flipped = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    examples = [
        {
            "original": cases[i].original,
            "swapped": cases[i].swapped,
            "from": int(before[i]),
            "to": int(after[i]),
        }
        for i in flipped[:10]
    ]
    return {
        "n": len(cases),
        "flips": len(flipped),
        "flip_rate": len(flipped) / len(cases),
        "examples": examples,
    }
