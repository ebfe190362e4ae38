"""Country pairs as the index names them: stored sorted, written `KOR-USA` for all the pair's
sentences, `KOR>USA` / `USA>KOR` for those where one acts on the other."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from newsmodel.errors import DataError

__all__ = ["DIRECTIONS", "PAIR_FORM", "CountryPair", "focus_pairs"]

PAIR_FORM = (
    "two ISO 3166 alpha-3 country codes joined by '-', e.g. KOR-USA (order does not matter), "
    "or by '>' for one direction, e.g. KOR>USA (KOR acting on USA)"
)
_PAIR_RE = re.compile(r"^\s*([A-Za-z]{3})\s*([-_:/>])\s*([A-Za-z]{3})\s*$")
# "" all the pair's sentences; ">" a acts on b; "<" b acts on a (a < b, the schema's order)
DIRECTIONS = ("", ">", "<")


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    from newsmodel.countries.gazetteer import known_codes

    return known_codes()


@dataclass(frozen=True, order=True)
class CountryPair:
    """A pair of country codes normalised so that `a < b` (the schema's order), with a direction:
    "" (unordered: every sentence of the pair), ">" (a acts on b) or "<" (b acts on a)."""

    a: str
    b: str
    direction: str = ""

    @classmethod
    def of(cls, first: str, second: str, directed: bool = False) -> CountryPair:
        """`first`-`second`; with `directed`, only the sentences where `first` acts on `second`."""
        x, y = first.strip().upper(), second.strip().upper()
        known = _known_codes()
        for code in (x, y):
            if code not in known:
                raise DataError(f"unknown country code {code!r}: expected {PAIR_FORM}")
        if x == y:
            raise DataError(f"a pair needs two different countries, got {x}-{y}: expected {PAIR_FORM}")
        a, b = sorted((x, y))
        return cls(a, b, (">" if x == a else "<") if directed else "")

    @classmethod
    def parse(cls, text: str) -> CountryPair:
        """Parse `KOR-USA` / `usa-kor` (also `_`, `:` or `/`), or `USA>KOR`; DataError names the form."""
        match = _PAIR_RE.match(text or "")
        if match is None:
            raise DataError(f"invalid pair {text!r}: expected {PAIR_FORM}")
        return cls.of(match.group(1), match.group(3), directed=match.group(2) == ">")

    @property
    def undirected(self) -> CountryPair:
        return CountryPair(self.a, self.b)

    @property
    def source(self) -> str | None:
        """The acting country of a directed pair (None for the unordered one)."""
        return {">": self.a, "<": self.b}.get(self.direction)

    def directed(self) -> tuple[CountryPair, CountryPair]:
        """Both directions of this pair: a>b and b>a."""
        return CountryPair(self.a, self.b, ">"), CountryPair(self.a, self.b, "<")

    def __str__(self) -> str:
        if self.direction == ">":
            return f"{self.a}>{self.b}"
        if self.direction == "<":
            return f"{self.b}>{self.a}"
        return f"{self.a}-{self.b}"


def focus_pairs(countries: list[str] | tuple[str, ...]) -> list[CountryPair]:
    """Every unordered pair among the focus countries, sorted."""
    codes = sorted({c.strip().upper() for c in countries if c.strip()})
    return [CountryPair(x, y) for i, x in enumerate(codes) for y in codes[i + 1 :]]
