"""Refresh data/leaders.csv from Wikidata's query service (for users who are online).

One SPARQL query asks every state with an ISO 3166 alpha-3 code (P298) for its heads of state
(P35) and of government (P6) with their start (P580) and end (P582) qualifiers, since 1945, with
English and Korean labels. The answer (W3C SPARQL 1.1 JSON results) is merged into the table:
rows already there (same state, role, first name and start year) are kept as reviewed; new ones
are added with `alone=0` (a bare surname never counts until a person marks it) and a surname
guessed as the last word of the name. Nothing is removed. `newsmodel countries refresh-leaders`
runs it; `--from-file` merges a saved answer instead of asking the service.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from newsmodel.countries.gazetteer import known_codes
from newsmodel.errors import ConfigError

__all__ = ["COLUMNS", "SPARQL", "WIKIDATA_SPARQL_URL", "LeaderRow", "fetch", "merge", "parse_results"]

WIKIDATA_SPARQL_URL = "https://query.wikidata.org/sparql"
COLUMNS = ("iso3", "role", "name", "surname", "alone", "start", "end", "ko")
# Wikidata asks clients to name themselves (User-Agent policy).
USER_AGENT = "newsmodel-platform/1 (country detector leader refresh; https://github.com/)"

SPARQL = """
SELECT ?iso3 ?role ?person ?personLabel ?ko ?start ?end WHERE {
  ?country wdt:P298 ?iso3 .
  { ?country p:P35 ?statement . ?statement ps:P35 ?person . BIND("S" AS ?role) }
  UNION
  { ?country p:P6 ?statement . ?statement ps:P6 ?person . BIND("G" AS ?role) }
  OPTIONAL { ?statement pq:P580 ?start . }
  OPTIONAL { ?statement pq:P582 ?end . }
  OPTIONAL { ?person rdfs:label ?ko . FILTER(LANG(?ko) = "ko") }
  FILTER(!BOUND(?end) || ?end >= "1945-01-01T00:00:00Z"^^xsd:dateTime)
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
}
"""


@dataclass(frozen=True)
class LeaderRow:
    iso3: str
    role: str
    name: str
    surname: str
    alone: str
    start: str
    end: str
    ko: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.iso3, self.role, self.name.split(";")[0].strip().lower(), self.start[:4])

    def as_list(self) -> list[str]:
        return [getattr(self, c) for c in COLUMNS]


def _value(binding: dict[str, Any], name: str) -> str:
    return str(binding.get(name, {}).get("value", "")).strip()


def parse_results(payload: dict[str, Any]) -> list[LeaderRow]:
    """SPARQL JSON results -> rows (states outside known_codes() and unnamed persons skipped)."""
    try:
        bindings = payload["results"]["bindings"]
    except (KeyError, TypeError) as exc:
        raise ConfigError("not a SPARQL JSON results document (no results.bindings)") from exc
    codes = known_codes()
    rows: dict[tuple[str, str, str, str], LeaderRow] = {}
    for b in bindings:
        iso3, name = _value(b, "iso3").upper(), _value(b, "personLabel")
        # an unlabelled item comes back as its Q-number: no use to a reader of news
        if iso3 not in codes or not name or (name[:1] == "Q" and name[1:].isdigit()):
            continue
        start, end = _value(b, "start")[:10], _value(b, "end")[:10]
        if not start or start.startswith("-"):
            continue
        row = LeaderRow(
            iso3, _value(b, "role") or "S", name, name.split()[-1], "0", start, end, _value(b, "ko")
        )
        rows.setdefault(row.key, row)
    return sorted(rows.values(), key=lambda r: (r.iso3, r.start, r.role))


def fetch(url: str = WIKIDATA_SPARQL_URL, timeout_s: float = 120.0) -> dict[str, Any]:
    """Ask the query service; raises ConfigError with the reason on any failure."""
    try:
        response = httpx.get(
            url,
            params={"query": SPARQL, "format": "json"},
            headers={"Accept": "application/sparql-results+json", "User-Agent": USER_AGENT},
            timeout=timeout_s,
        )
        response.raise_for_status()
        return dict(response.json())
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Wikidata query failed at {url}: {exc}") from exc


def _read(path: Path) -> list[LeaderRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [LeaderRow(**{c: (r.get(c) or "") for c in COLUMNS}) for r in csv.DictReader(handle)]


def merge(table: Path, fresh: Iterable[LeaderRow]) -> tuple[int, str]:
    """The table with `fresh` rows it lacks appended: (rows added, the new CSV text)."""
    have = _read(table)
    seen = {r.key for r in have}
    added = [r for r in fresh if r.key not in seen]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in [*have, *added]:
        writer.writerow(row.as_list())
    return len(added), out.getvalue()
