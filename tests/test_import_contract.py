"""The import contract: crawler and app never import each other, newsmodel imports neither,
and importing app or crawler (every submodule) does not load torch or transformers.

The static half parses the source with `ast`, so it also holds for modules written later and for
imports inside functions; the dynamic half imports everything in a clean interpreter.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "crawler": {"app"},
    "app": {"crawler"},
    "newsmodel": {"app", "crawler"},
}
HEAVY = ("torch", "transformers")


def _imported_tops(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) for every absolute import in the file, nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_do_not_import_forbidden_packages(package: str) -> None:
    violations = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, top in _imported_tops(path):
            if top in FORBIDDEN[package]:
                violations.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
    assert not violations, "import contract broken:\n" + "\n".join(violations)


def test_ast_check_sees_nested_and_dynamic_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    import app.main\n    from crawler import fetcher\n"
        "import importlib\nimportlib.import_module('app.celery_app')\n"
    )
    assert [top for _, top in _imported_tops(sample)] == ["importlib", "app", "crawler", "app"]


_PROBE = r"""
import importlib, json, pkgutil, sys, traceback
heavy = {heavy!r}
report = {{"loaded_heavy": {{}}, "failed": {{}}, "modules": 0}}
for top in ("app", "crawler"):
    pkg = importlib.import_module(top)
    names = [top] + [m.name for m in pkgutil.walk_packages(pkg.__path__, top + ".")]
    for name in names:
        before = {{h for h in heavy if h in sys.modules}}
        try:
            importlib.import_module(name)
            report["modules"] += 1
        except BaseException as exc:  # a module that cannot even be imported is reported too
            report["failed"][name] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        for h in heavy:
            if h in sys.modules and h not in before:
                report["loaded_heavy"][h] = name
print(json.dumps(report))
"""


def test_importing_app_and_crawler_does_not_load_torch(tmp_path: Path) -> None:
    # A clean interpreter in an empty directory: no .env, no service variables.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["modules"] > 2
    assert report["loaded_heavy"] == {}, f"heavy libraries imported by: {report['loaded_heavy']}"
    assert report["failed"] == {}, "modules that fail to import in a bare environment:\n" + "\n".join(
        f"{k}: {v}" for k, v in report["failed"].items()
    )
