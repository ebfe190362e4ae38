"""sha256 digests of a model version's files: recorded at registration, checked after download.

The registry's own listing knows only sizes; a digest per file (model version tag
`artifact_digests`) lets the server key its download cache by content and refuse a truncated
or corrupted copy instead of loading it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DIGESTS_TAG", "digests_from_tags", "file_digests", "mismatched_files", "sha256_file"]

DIGESTS_TAG = "artifact_digests"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digests(root: Path) -> dict[str, str]:
    """Relative POSIX path -> sha256 for every file under `root`."""
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def digests_from_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The digests a version was registered with ({} for versions registered before digests)."""
    raw = tags.get(DIGESTS_TAG)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def mismatched_files(root: Path, expected: Mapping[str, str]) -> list[str]:
    """Files under `root` whose sha256 is not the expected one (a missing file counts)."""
    bad = []
    for rel, digest in expected.items():
        path = root / rel
        if not path.is_file() or sha256_file(path) != digest:
            bad.append(rel)
    return bad
