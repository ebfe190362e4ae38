"""services/*/Dockerfile: multi-stage, non-root, slim, the right extras, and no torch where
it does not belong — checked on the files and on the installed dependency metadata."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.deploy.support import PROJECT_DIST, REPO, Dockerfile, dependency_closure

SERVICES = ["api", "worker", "scheduler", "crawler", "trainer", "mlflow", "migrate"]
EXTRAS = {
    "api": {"serve"},
    "worker": {"serve"},
    "scheduler": {"serve"},
    "crawler": {"crawl"},
    "trainer": {"train"},
    "mlflow": set(),
    "migrate": set(),
}
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


@pytest.mark.parametrize("service", NO_TORCH)
def test_no_torch_in_pip_lines(service: str) -> None:
    for line in _dockerfile(service).pip_installs():
        assert not re.search(r"\btorch\b", line), f"{service}: {line}"
        assert "[train]" not in line and "[dev]" not in line, f"{service}: {line}"


@pytest.mark.parametrize(("extra", "service"), [("serve", "api/worker/scheduler"), ("crawl", "crawler")])
def test_serving_and_crawling_extras_pull_in_no_torch(extra: str, service: str) -> None:
    closure = dependency_closure(PROJECT_DIST, [extra])
    assert "onnxruntime" in closure or extra == "crawl"
    heavy = {"torch", "transformers", "nvidia-cudnn-cu12", "triton"} & closure
    assert not heavy, f"{service} images would install {heavy}"


def test_dependency_closure_sees_torch_in_the_train_extra() -> None:
    """Positive control: the same walk finds torch where it is supposed to be."""
    closure = dependency_closure(PROJECT_DIST, ["train"])
    assert {"torch", "transformers", "onnx", "mlflow"} <= closure


def test_migrate_image_closure_has_no_torch() -> None:
    closure = dependency_closure(PROJECT_DIST) | dependency_closure("mlflow")
    assert "torch" not in closure and "transformers" not in closure


@pytest.mark.parametrize("service", ["mlflow", "migrate"])
def test_mlflow_version_matches_the_project_pin(service: str) -> None:
    pins = [
        dep
        for deps in _pyproject()["project"]["optional-dependencies"].values()
        for dep in deps
        if re.match(r"mlflow(-skinny)?==", dep)
    ]
    versions = {dep.split("==")[1] for dep in pins}
    assert len(versions) == 1, pins
    assert _dockerfile(service).build_args()["MLFLOW_VERSION"] == versions.pop()


def test_mlflow_image_turns_the_genai_job_runner_off() -> None:
    dockerfile = _dockerfile("mlflow")
    runtime = [i for i in dockerfile.all("ENV") if i.stage == len(dockerfile.stages) - 1]
    assert any("MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false" in i.value.split() for i in runtime), runtime


def test_trainer_torch_pin_and_cuda_build_arg() -> None:
    args = _dockerfile("trainer").build_args()
    train = _pyproject()["project"]["optional-dependencies"]["train"]
    assert f"torch=={args['TORCH_VERSION']}" in train
    assert args["TORCH_INDEX_URL"].endswith("/cpu"), "CPU wheels by default"
    assert any(
        "--index-url" in line and "TORCH_INDEX_URL" in line for line in _dockerfile("trainer").pip_installs()
    )


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
