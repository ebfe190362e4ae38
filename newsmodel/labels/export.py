"""Write labeling candidates as CSV, JSONL or a Label Studio import file (+ its labeling config).

Every format carries the sentence id and the reason, and an empty `label` column for CSV/JSONL,
so a labeled file goes straight back through `newsmodel data import` with its sentence ids.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Literal

from newsmodel.errors import DataError
from newsmodel.labels.candidates import LabelCandidate
from newsmodel.labels.label_studio import labeling_config, task_for

__all__ = ["ExportFormat", "write_candidates"]

ExportFormat = Literal["csv", "jsonl", "label-studio"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "label-studio")


def write_candidates(
    candidates: Sequence[LabelCandidate], out: Path, fmt: str, labels: Sequence[str]
) -> list[Path]:
    """Write the file(s) and return their paths (Label Studio: tasks JSON and config XML)."""
    if fmt not in FORMATS:
        raise DataError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        columns = [f.name for f in fields(LabelCandidate)] + ["label"]
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for c in candidates:
                writer.writerow({**c.as_row(), "label": ""})
        return [out]
    if fmt == "jsonl":
        with out.open("w", encoding="utf-8") as fh:
            for c in candidates:
                fh.write(json.dumps({**c.as_row(), "label": None}, ensure_ascii=False) + "\n")
        return [out]
    tasks = [task_for(c.as_row()) for c in candidates]
    out.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    config = out.with_name(out.stem + ".labeling-config.xml")
    config.write_text(labeling_config(labels), encoding="utf-8")
    return [out, config]
