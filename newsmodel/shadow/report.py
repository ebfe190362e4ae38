"""`newsmodel challenger report` as text: the figures, then the sentences to read before promoting."""

from __future__ import annotations

import textwrap

from newsmodel.shadow.store import ShadowSummary
from newsmodel.shadow.tally import BINS

__all__ = ["render_report"]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _confusion(summary: ShadowSummary) -> list[str]:
    t = summary.total
    labels = t.labels()
    width = max([len(x) for x in labels] + [8]) + 2
    lines = ["confusion (rows: champion's label, columns: challenger's label):"]
    lines.append(" " * width + "".join(f"{x:>{width}}" for x in labels))
    for c in labels:
        row = t.confusion.get(c, {})
        lines.append(f"{c:<{width}}" + "".join(f"{row.get(h, 0):>{width}}" for h in labels))
    return ["  " + x for x in lines]


def _histogram(name: str, hist: list[int]) -> str:
    total = sum(hist) or 1
    bars = " ".join(f"{100 * k / total:.0f}" for k in hist)
    return f"    {name:<10} {bars}"


def render_report(summary: ShadowSummary) -> str:
    """Plain text for a terminal: agreement with its interval, the table, confidences, samples."""
    t = summary.total
    ci = t.interval()
    ci_text = f" (95% CI {_pct(ci[0])}-{_pct(ci[1])})" if ci else ""
    sources = ", ".join(f"{s} {x.n}" for s, x in sorted(summary.by_source.items()))
    lines = [
        f"challenger v{summary.challenger_version} vs champion v{summary.champion_version} "
        f"of {summary.model_name}: {summary.status}",
        f"  since {summary.started_at:%Y-%m-%d %H:%M} UTC, updated {summary.updated_at:%Y-%m-%d %H:%M:%S} UTC",
        f"  agreement {_pct(t.agreement)}{ci_text} over {t.n} sentences ({sources})",
        *_confusion(summary),
        f"  confidence (top probability; % of sentences per bin of {1 / BINS:.1f} from 0 to 1):",
        _histogram("champion", t.champion_hist),
        _histogram("challenger", t.challenger_hist),
        f"    mean (from the bins): champion {t.mean_confidence('champion') or 0:.2f}, "
        f"challenger {t.mean_confidence('challenger') or 0:.2f}",
    ]
    shown = len(summary.samples)
    lines.append(
        f"  disagreements to read before promoting ({shown} of {summary.disagreements_stored} stored, "
        "surest first):"
    )
    if not shown:
        lines.append("    none stored")
    for i, s in enumerate(summary.samples, 1):
        d = s.item
        lines.append(
            f"  {i:>3}. champion {d.champion_label} {d.champion_confidence:.2f} | "
            f"challenger {d.challenger_label} {d.challenger_confidence:.2f} [{s.source}]"
        )
        lines.extend(textwrap.wrap(d.text, 96, initial_indent="       ", subsequent_indent="       "))
    return "\n".join(lines)
