"""`uvicorn --factory tests.reliability.audited_app:create_app`: the real app under an audit hook.

A CPython audit hook (PEP 578) in the server process writes one JSON line per file opened from
Python under the model cache (APP_MODEL_CACHE_DIR) and per unpickling (`pickle.find_class`,
raised by both pickle implementations) to the file named by NM_AUDIT_LOG. The security test
reads it: the server must read .json/.onnx files only and never unpickle anything.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

__all__ = ["create_app"]


def _install_hook(log_path: str, models_dir: str) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)  # before the hook: not audited
    prefix = os.path.realpath(models_dir)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and args and isinstance(args[0], (str, os.PathLike)):
            path = os.fspath(args[0])
            if os.path.realpath(path).startswith(prefix):
                mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
                os.write(fd, (json.dumps({"event": "open", "path": path, "mode": mode}) + "\n").encode())
        elif event == "pickle.find_class":
            record = {"event": event, "module": str(args[0]), "name": str(args[1])}
            os.write(fd, (json.dumps(record) + "\n").encode())

    sys.addaudithook(hook)


def create_app() -> Any:
    _install_hook(os.environ["NM_AUDIT_LOG"], os.environ["APP_MODEL_CACHE_DIR"])
    from app.main import create_app as real_create_app

    return real_create_app()
