"""Built-in datasets: a pinned public file, downloaded once with a sha256 check, or read from a local dir.

The local directory (NEWSMODEL_DATA_DIR, or `data_dir=`) is looked at first; only when the file
is not there is it downloaded into NEWSMODEL_DATA_DIR. Tests and CI point at ../shared/data and
never reach the network.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from newsmodel.datasets.types import Example
from newsmodel.errors import DataError, DependencyUnavailable
from newsmodel.logging import get_logger

if TYPE_CHECKING:
    # labels.importers builds Examples from this package: imported where used, not at import time.
    from newsmodel.labels.importers import ImportResult

__all__ = ["BUILTIN", "BuiltinDataset", "load_builtin", "load_conflibert", "locate_builtin", "read_builtin"]

log = get_logger(__name__)


@dataclass(frozen=True)
class BuiltinDataset:
    """A pinned public labeled file and how to read it."""

    name: str
    version: int
    url: str
    sha256: str
    relpath: str
    source_scheme: str
    fmt: str = "tsv"
    has_header: bool = False
    # 0-based columns (no header) or header names.
    text_column: str | int = 0
    label_column: str | int = 1
    label_map: dict[str, str] = field(default_factory=dict)
    citation: str = ""
    license: str = ""

    @property
    def origin(self) -> str:
        return f"{self.name}@{self.version}"


CONFLIBERT_CAMEO = BuiltinDataset(
    name="conflibert-cameo",
    version=1,
    url="https://raw.githubusercontent.com/eventdata/ConfliBERT/main/data/cameo_class/train.tsv",
    sha256="556c5a91ea278517b6f1595d2a55c04ca98219f255c95a617783decd179fd5fb",
    relpath="conflibert-cameo/train.tsv",
    source_scheme="quad5",
    label_map={
        "0": "neutral",
        "1": "verbal_cooperation",
        "2": "material_cooperation",
        "3": "verbal_conflict",
        "4": "material_conflict",
    },
    citation='Hu et al., "ConfliBERT: A Pre-trained Language Model for Political Conflict and Violence", NAACL 2022',
    license="GPL-3.0 repository; sentences from news whose copyright it does not hold",
)

BUILTIN: dict[str, BuiltinDataset] = {CONFLIBERT_CAMEO.name: CONFLIBERT_CAMEO}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _default_data_dir() -> Path:
    from newsmodel.settings import get_settings

    return get_settings().data_dir


def _download(spec: BuiltinDataset, dest: Path, client: httpx.Client | None) -> None:
    """Fetch to a temporary file, check the sha256, then move into place (never a half file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    own = client is None
    http = client or httpx.Client(timeout=30, follow_redirects=True)
    try:
        response = http.get(spec.url)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise DependencyUnavailable(
            f"dataset {spec.name} download",
            "NEWSMODEL_DATA_DIR",
            spec.url,
            f"{exc} (or put {spec.relpath} there)",
        ) from exc
    finally:
        if own:
            http.close()
    digest = hashlib.sha256(response.content).hexdigest()
    if digest != spec.sha256:
        raise DataError(f"{spec.url}: sha256 {digest} does not match the pinned {spec.sha256}")
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".download-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(response.content)
    os.replace(tmp, dest)
    log.info("dataset downloaded", dataset=spec.name, path=str(dest), sha256=digest)


def locate_builtin(
    name: str,
    data_dir: str | Path | None = None,
    *,
    download: bool = True,
    client: httpx.Client | None = None,
) -> Path:
    """The verified local file of a built-in dataset, downloading it when it is not there."""
    spec = get_builtin(name)
    root = Path(data_dir) if data_dir is not None else _default_data_dir()
    for candidate in (root / spec.relpath, root / Path(spec.relpath).name):
        if candidate.is_file():
            digest = _sha256(candidate)
            if digest != spec.sha256:
                raise DataError(
                    f"{candidate}: sha256 {digest} is not the pinned {spec.name}@{spec.version} file "
                    f"({spec.sha256}); remove it to download again"
                )
            return candidate
    if data_dir is not None or not download:
        raise DataError(f"{spec.name}: {root / spec.relpath} not found (download it from {spec.url})")
    dest = root / spec.relpath
    _download(spec, dest, client)
    return dest


def get_builtin(name: str) -> BuiltinDataset:
    try:
        return BUILTIN[name]
    except KeyError:
        raise DataError(f"unknown built-in dataset {name!r}; known: {sorted(BUILTIN)}") from None


def read_builtin(
    name: str, data_dir: str | Path | None = None, scheme: str | None = None, **locate_kwargs: object
) -> ImportResult:
    """Read a built-in dataset into `scheme` labels (default: its own scheme), with the row report."""
    from newsmodel.labels.importers import ColumnMapping, read_labeled_file

    spec = get_builtin(name)
    path = locate_builtin(name, data_dir, **locate_kwargs)  # type: ignore[arg-type]
    result = read_labeled_file(
        path,
        source_scheme=spec.source_scheme,
        target_scheme=scheme or spec.source_scheme,
        fmt=spec.fmt,  # type: ignore[arg-type]
        columns=ColumnMapping(spec.text_column, spec.label_column),
        has_header=spec.has_header,
        label_map=spec.label_map,
        origin=spec.origin,
    )
    log.info(
        "dataset read",
        dataset=spec.origin,
        scheme=result.scheme,
        examples=len(result.examples),
        bad_rows=len(result.bad_rows),
        bad_lines=[b.line for b in result.bad_rows[:20]],
        dropped=result.dropped,
        repaired_lines=result.repaired_lines[:20],
    )
    return result


def load_builtin(name: str, data_dir: str | Path | None = None, scheme: str | None = None) -> list[Example]:
    return read_builtin(name, data_dir, scheme).examples


def load_conflibert(data_dir: str | Path | None = None, scheme: str = "relation3") -> list[Example]:
    """ConfliBERT CAMEO sentences in `scheme` labels (quad5 -> relation3 / binary; no-counterpart rows dropped)."""
    return load_builtin(CONFLIBERT_CAMEO.name, data_dir, scheme)
