"""`newsmodel train trainer.processes=N`: start the same command under torchrun, N processes.

Inside a launcher (torchrun sets LOCAL_RANK: our own re-exec here, or a Kubernetes Job that
runs torchrun across pods) the command just trains; Accelerate reads the process group from the
environment. The re-exec pins `output_dir` and `mlflow.run_name`, which every rank must share
(checkpoints for resume live there).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from newsmodel.errors import ConfigError

__all__ = ["torchrun_command", "train_maybe_distributed"]


def torchrun_command(processes: int, overrides: Sequence[str], output_dir: str, run_name: str) -> list[str]:
    """torchrun (single node, rendezvous on a free local port) around `newsmodel train`."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={processes}",
        "-m",
        "newsmodel.cli",
        "train",
        *[o for o in overrides if not o.startswith(("output_dir=", "mlflow.run_name="))],
        f"output_dir={output_dir}",
        f"mlflow.run_name={run_name}",
    ]


def train_maybe_distributed(cfg: Any, overrides: Sequence[str]) -> Any:
    """Train here, or re-exec under torchrun when trainer.processes > 1 and no launcher is around."""
    from newsmodel.training.pipeline import train

    processes = int(cfg.trainer.get("processes", 1) or 1)
    if processes < 1:
        raise ConfigError(f"trainer.processes={processes}: use 1 or more")
    if processes == 1 or "LOCAL_RANK" in os.environ:
        return train(cfg)
    from newsmodel.settings import get_settings

    run_name = str(cfg.mlflow.run_name or f"{cfg.model.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    output_dir = str(cfg.output_dir or get_settings().state_dir.resolve() / "runs" / run_name)
    command = torchrun_command(processes, overrides, output_dir, run_name)
    code = subprocess.call(command)
    if code != 0:
        raise SystemExit(code)
    return None
