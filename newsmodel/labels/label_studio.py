"""Label Studio both ways: its JSON export read as labeled data, and import tasks + a labeling config written.

The export is a JSON list of tasks, each `{"id", "data": {"text", ...}, "annotations": [{"result":
[{"value": {"choices": [LABEL]}}], "completed_by", "created_at", "was_cancelled"}, ...]}`;
`completed_by` is a user id in current versions and a user object (with an email) in older ones.
A task nobody labeled, or whose annotators disagree, is a bad row (counted, never guessed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from newsmodel.datasets.types import Example
from newsmodel.errors import DataError
from newsmodel.labels.importers import BadRow, ImportResult, RowProvenance, file_origin, parse_timestamp
from newsmodel.labels.schemes import get_scheme, map_label

__all__ = ["labeling_config", "read_label_studio_export", "task_for"]


def _annotator(completed_by: object) -> str | None:
    if isinstance(completed_by, Mapping):
        who = completed_by.get("email") or completed_by.get("username") or completed_by.get("id")
        return str(who)[:200] if who is not None else None
    return f"label-studio-user:{completed_by}" if completed_by is not None else None


def _choices(annotation: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for item in annotation.get("result") or []:
        value = item.get("value") if isinstance(item, Mapping) else None
        if isinstance(value, Mapping):
            out.extend(str(c) for c in value.get("choices") or [])
    return out


def _label_of(task: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | str:
    """(label, the annotation that gave it) or why the task has no usable label."""
    given = [
        (choices, a)
        for a in task.get("annotations") or []
        if isinstance(a, Mapping) and not a.get("was_cancelled") and (choices := _choices(a))
    ]
    if not given:
        return "no annotation with a choice (not labeled yet, or cancelled)"
    if any(len(choices) != 1 for choices, _ in given):
        return "an annotation holds several choices (use single choice)"
    labels = sorted({choices[0] for choices, _ in given})
    if len(labels) > 1:
        return f"annotators disagree ({', '.join(labels)}): resolve it in Label Studio"
    latest = max(given, key=lambda g: str(g[1].get("updated_at") or g[1].get("created_at") or ""))
    return labels[0], latest[1]


def read_label_studio_export(
    path: Path,
    *,
    source_scheme: str,
    target_scheme: str | None = None,
    label_map: Mapping[str, str] | None = None,
    origin: str | None = None,
    strict: bool = False,
) -> ImportResult:
    """Parse Label Studio's JSON export; a task's position in the list (1-based) is its row number."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not a Label Studio JSON export ({exc})") from exc
    if not isinstance(tasks, list):
        raise DataError(f"{path} is not a Label Studio JSON export: expected a list of tasks")
    target = target_scheme or source_scheme
    labels = get_scheme(source_scheme).labels
    get_scheme(target)
    mapping = dict(label_map or {})
    result = ImportResult(origin=origin or file_origin(path), scheme=target, source_file=str(path.resolve()))
    for number, task in enumerate(tasks, start=1):
        data = task.get("data") if isinstance(task, Mapping) else None
        if not isinstance(data, Mapping):
            result.bad_rows.append(BadRow(number, "task without data"))
            continue
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            result.bad_rows.append(BadRow(number, "task without data.text"))
            continue
        found = _label_of(task)
        if isinstance(found, str):
            result.bad_rows.append(BadRow(number, found))
            continue
        raw, annotation = found
        label = mapping.get(raw, raw)
        if label not in labels:
            result.bad_rows.append(BadRow(number, f"unknown label {raw!r} (expected one of {list(labels)})"))
            continue
        mapped = map_label(label, source_scheme, target)
        if mapped is None:
            result.dropped += 1
            continue
        sentence_id = data.get("sentence_id")
        result.examples.append(Example(text=text.strip(), label=mapped, group=""))
        result.lines.append(number)
        result.provenance.append(
            RowProvenance(
                annotator=_annotator(annotation.get("completed_by")),
                labeled_at=parse_timestamp(annotation.get("created_at")),
                sentence_id=sentence_id if isinstance(sentence_id, int) else None,
            )
        )
    if strict and result.bad_rows:
        raise DataError(f"strict import refused {path}: {result.summary()}")
    if not result.examples:
        raise DataError(f"no labeled tasks in {path}: {result.summary()}")
    return result


def task_for(data: Mapping[str, Any]) -> dict[str, Any]:
    """One Label Studio import task: everything under `data` (text, sentence_id, reason...)."""
    return {"data": dict(data)}


def labeling_config(labels: Sequence[str]) -> str:
    """A single-choice text classification config over a scheme's labels (paste into the project)."""
    choices = "\n".join(f"    <Choice value={quoteattr(label)}/>" for label in labels)
    return (
        "<View>\n"
        '  <Text name="text" value="$text"/>\n'
        '  <Header value="Why this sentence: $reason"/>\n'
        '  <Choices name="label" toName="text" choice="single" showInline="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        "</View>\n"
    )
