"""Korean wire shorthand: "the North" and "the South" for the two Koreas, read from context.

Copy about the peninsula names each Korea once and then says "the North" / "the South" ("The
North fired artillery near Yeonpyeong, the South's military said"). The words alone name no
state (the American South, North Vietnam in the 1960s), so they count only beside another
mention of either Korea or a place on the inter-Korean border, or both together in an article
dated after the Vietnam war (undated: counted).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

__all__ = ["korean_shorthand"]

# "the North", "the South's"; not "the North Atlantic", "the South China Sea", "the North-South".
_SHORTHAND = re.compile(r"\b[Tt]he\s+(North|South)(?=['\u2019]s\b|(?![\w-])(?!\s+[A-Z]))")
_KOREAN_PLACES = re.compile(
    r"\b(?:Yeonpyeong|Kaesong|Panmunjom|DMZ|Demilitarized\s+Zone|Demilitarised\s+Zone|"
    r"Northern\s+Limit\s+Line|Baengnyeong|peninsula|Peninsula)\b"
)
_CODES = {"North": "PRK", "South": "KOR"}
_LAST_VIETNAM_YEAR = 1976


def korean_shorthand(
    text: str, found: Iterable[tuple[int, int, str]], date: dt.date | None
) -> list[tuple[int, int, str]]:
    """(start, end, code) of each "the North" / "the South" that names a Korea here; `found` is
    the (start, end, code) of the mentions already read, which give the context."""
    if "North" not in text and "South" not in text:
        return []
    spans = list(found)
    hits = [(m.start(1), m.end(1), m.group(1)) for m in _SHORTHAND.finditer(text)]
    hits = [h for h in hits if not any(s < h[1] and h[0] < e for s, e, _ in spans)]
    if not hits:
        return []
    korean = any(code in ("KOR", "PRK") for _, _, code in spans) or bool(_KOREAN_PLACES.search(text))
    both = {word for _, _, word in hits} == {"North", "South"}
    after_vietnam = date is None or date.year >= _LAST_VIETNAM_YEAR
    if not (korean or (both and after_vietnam)):
        return []
    return [(start, end, _CODES[word]) for start, end, word in hits]
