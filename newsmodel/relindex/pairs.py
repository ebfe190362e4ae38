"""Country pairs as the index names them: unordered, stored sorted, written `KOR-USA`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from newsmodel.errors import DataError

__all__ = ["PAIR_FORM", "CountryPair", "focus_pairs"]

PAIR_FORM = "two ISO 3166 alpha-3 country codes joined by '-', e.g. KOR-USA (order does not matter)"
_PAIR_RE = re.compile(r"^\s*([A-Za-z]{3})\s*[-_:/]\s*([A-Za-z]{3})\s*$")


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries)


@dataclass(frozen=True, order=True)
class CountryPair:
    """An unordered pair of ISO alpha-3 codes, normalised so that `a < b` (the schema's order)."""

    a: str
    b: str

    @classmethod
    def of(cls, first: str, second: str) -> CountryPair:
        x, y = first.strip().upper(), second.strip().upper()
        known = _known_codes()
        for code in (x, y):
            if code not in known:
                raise DataError(f"unknown country code {code!r}: expected {PAIR_FORM}")
        if x == y:
            raise DataError(f"a pair needs two different countries, got {x}-{y}: expected {PAIR_FORM}")
        return cls(*sorted((x, y)))

    @classmethod
    def parse(cls, text: str) -> CountryPair:
        """Parse `KOR-USA` / `usa-kor` (also `_`, `:` or `/` as separator); DataError names the form."""
        match = _PAIR_RE.match(text or "")
        if match is None:
            raise DataError(f"invalid pair {text!r}: expected {PAIR_FORM}")
        return cls.of(match.group(1), match.group(2))

    def __str__(self) -> str:
        return f"{self.a}-{self.b}"


def focus_pairs(countries: list[str] | tuple[str, ...]) -> list[CountryPair]:
    """Every unordered pair among the focus countries, sorted."""
    codes = sorted({c.strip().upper() for c in countries if c.strip()})
    return [CountryPair(x, y) for i, x in enumerate(codes) for y in codes[i + 1 :]]
