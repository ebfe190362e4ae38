"""A model version's stored calibration (temperature, held-out confusion), read from its
`label_map.json` in the registry: what the relation index corrects class shares with.

Versions packaged before calibration existed have none: the index then averages plainly and
says so (`quantification` = mean-probability).
"""

from __future__ import annotations

from typing import Any

from newsmodel.errors import ModelNotAvailable
from newsmodel.logging import get_logger
from newsmodel.relindex.quantify import Calibration

__all__ = ["QUANTIFICATION_KEY", "calibration_from_label_map", "version_calibration"]

QUANTIFICATION_KEY = "quantification"
log = get_logger(__name__)
# A registered version's files never change: what was found is kept for the process's life.
_FOUND: dict[tuple[str, str, str], Calibration] = {}


def calibration_from_label_map(content: dict[str, Any]) -> Calibration | None:
    """The calibration stored in a label map, or None when the version has none."""
    raw = content.get(QUANTIFICATION_KEY)
    return Calibration.from_dict(raw) if isinstance(raw, dict) else None


def version_calibration(client: Any, tracking_uri: str, name: str, version: str) -> Calibration | None:
    """Download only `label_map.json` of `name` v`version` and read its calibration.

    None when the version has no calibration or is not in the registry (a version indexed by
    hand); DependencyUnavailable when the registry does not answer (callers retry).
    """
    from newsmodel.registry.model_files import fetch_label_map

    key = (tracking_uri, name, str(version))
    if key in _FOUND:
        return _FOUND[key]
    try:
        content = fetch_label_map(client, tracking_uri, name, version)
    except ModelNotAvailable as exc:
        log.info("no stored calibration: plain averaging", model=name, version=version, reason=str(exc)[:200])
        return None
    found = calibration_from_label_map(content)
    if found is not None:
        _FOUND[key] = found
    return found
