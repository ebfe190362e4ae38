"""Where a /v1/predict request's time goes: py-spy samples of the server, grouped by stage.

`record(pid, seconds)` samples every thread of the running server (py-spy attaches by pid, no
code changes, `--nonblocking` so the server is not paused) while the harness drives load;
`breakdown` walks each sampled stack from the innermost frame out and charges the sample to
the first stage it recognises (so tokenization inside `predict_proba` counts as tokenization,
the rest of `predict_proba` as ONNX). Only busy samples are recorded (py-spy drops idle
threads), so the shares are of CPU time; ms per request = share x the server's CPU seconds
over the run / the requests it answered.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# (stage, substrings of "function (file:line)"); the first stage matching a frame wins, so the
# specific ones come first.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("tokenization", ("_encode (", "tokenizers/")),
    ("padding", ("_pad (",)),
    ("ONNX inference (+ softmax)", ("onnxruntime/", "predict_proba (", "_softmax (")),
    ("batching (scheduler, rows)", ("app/batching.py",)),
    ("country detection + directions", ("newsmodel/countries/", "spacy/", "thinc/")),
    ("cache round trips (Redis)", ("app/cache.py", "redis/")),
    ("response serialization", ("fast_json.py", "orjson", "jsonable_encoder", "serialize_response", "json/encoder")),
    ("request parsing (body, JSON)", ("json/decoder", "json/__init__", "starlette/requests.py", "request_body.py")),
    ("validation (pydantic, limits)", ("pydantic", "fastapi/dependencies", "fastapi/_compat", "check_limits (", "app/schemas.py")),
    ("logging", ("structlog", "logging/__init__", "newsmodel/logging.py")),
    ("metrics", ("prometheus_client", "app/middleware.py", "app/metrics.py")),
    ("HTTP + framework (uvicorn, starlette, fastapi, middleware)", ("uvicorn/", "h11", "httptools", "starlette/", "fastapi/", "app/security_headers.py", "app/rate_limits.py", "app/api/")),
    ("prediction service (app/prediction.py)", ("app/prediction.py",)),
    ("event loop, thread hand-offs (asyncio, executors)", ("asyncio/", "concurrent/futures", "threading.py", "uvloop")),
]  # fmt: skip


def py_spy() -> str | None:
    found = Path(sys.executable).parent / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path, rate: int = 250) -> subprocess.Popen[bytes]:
    """Start py-spy on `pid` for `seconds` (raw collapsed stacks to `out`); wait on the result."""
    exe = py_spy()
    assert exe is not None
    argv = [exe, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    argv += ["--rate", str(rate), "--format", "raw", "--nonblocking", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):  # innermost first
        for stage, marks in STAGES:
            if any(m in frame for m in marks):
                return stage
    return "other"


def breakdown(raw: Path) -> Counter[str]:
    """Samples per stage from py-spy's raw output (`frame;frame;... count` per line)."""
    counts: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        counts[stage_of(stack.split(";"))] += int(n)
    return counts


def table(counts: Counter[str], cpu_seconds: float, requests: int) -> list[str]:
    total = sum(counts.values()) or 1
    order = [s for s, _ in STAGES] + ["other"]
    rows = ["| stage | share of server CPU | ms CPU per request |", "|---|---:|---:|"]
    for stage in sorted(counts, key=lambda s: (-counts[s], order.index(s))):
        share = counts[stage] / total
        per_request = share * cpu_seconds / max(1, requests) * 1000
        rows.append(f"| {stage} | {share:.1%} | {per_request:.3f} |")
    rows.append(f"| total | 100% | {cpu_seconds / max(1, requests) * 1000:.3f} |")
    return rows
