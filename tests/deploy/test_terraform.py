"""infra/terraform, validated offline.

`terraform validate` needs the Google provider, which `terraform init` downloads from the
Terraform registry: not reachable here. So: `terraform fmt -check` when a terraform binary
is on PATH (a real HCL parse by Terraform itself), python-hcl2 parsing always, and checks
that stand in for validate — every `var.`, `local.` and resource reference resolves — plus
the policy: typed and described variables, described outputs, bucket versioning, least
privilege IAM, no secret in an output.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import hcl2
import pytest

from tests.deploy.support import REPO

TF_DIR = REPO / "infra" / "terraform"
BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
# Resource types that replace the whole IAM policy of a project (they would drop every
# binding made outside this module); only additive *_iam_member bindings are allowed.
AUTHORITATIVE_IAM = re.compile(r"^google_(project|organization|folder)_iam_(policy|binding)$")


def _unquote(value: str) -> str:
    return value[1:-1] if isinstance(value, str) and value[:1] == value[-1:] == '"' else value


@cache
def _parsed() -> dict[str, dict]:
    return {path.name: hcl2.load(path.open()) for path in sorted(TF_DIR.glob("*.tf"))}


def _blocks(kind: str) -> dict[str, dict]:
    """Named blocks of one kind (variable, output) over all files: name -> body."""
    out: dict[str, dict] = {}
    for data in _parsed().values():
        for entry in data.get(kind, []):
            for name, body in entry.items():
                out[_unquote(name)] = body
    return out


def _resources() -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = {}
    for data in _parsed().values():
        for entry in data.get("resource", []):
            for rtype, instances in entry.items():
                for name, body in instances.items():
                    out[(_unquote(rtype), _unquote(name))] = body
    return out


def _all_text() -> str:
    return "\n".join(p.read_text() for p in sorted(TF_DIR.glob("*.tf")))


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def test_files_parse() -> None:
    parsed = _parsed()
    assert {"versions.tf", "variables.tf", "outputs.tf", "main.tf"} <= set(parsed)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")
def test_terraform_fmt_check(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(TF_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "TF_CLI_CONFIG_FILE": "/dev/null",
        },
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_variable_has_type_and_description() -> None:
    variables = _blocks("variable")
    assert {"project_id", "region"} <= set(variables)
    for name, body in variables.items():
        assert body.get("type"), f"variable {name} has no type"
        description = _unquote(body.get("description", ""))
        assert len(description) >= 15, f"variable {name} needs a description"


def test_required_variables_are_validated() -> None:
    """Variables without a default must be given by the user: each has a validation block."""
    required = {n: b for n, b in _blocks("variable").items() if "default" not in b}
    assert set(required) == {"project_id"}
    for name, body in required.items():
        assert body.get("validation"), f"required variable {name} has no validation"
        for rule in body["validation"]:
            assert f"var.{name}" in rule["condition"] and _unquote(rule["error_message"]), name


def test_outputs_exist_and_are_described() -> None:
    outputs = _blocks("output")
    expected = {
        "artifact_bucket",
        "mlflow_artifacts_destination",
        "sql_instance_connection_name",
        "sql_private_ip",
        "database_names",
        "db_password_secret",
        "service_accounts",
        "gke_cluster_name",
        "image_repository",
        "redis_address",
    }
    assert expected <= set(outputs), expected - set(outputs)
    for name, body in outputs.items():
        assert len(_unquote(body.get("description", ""))) >= 15, f"output {name} needs a description"
        assert body.get("value"), name


def test_no_secret_is_an_output() -> None:
    for name, body in _blocks("output").items():
        value = str(body["value"])
        assert "random_password" not in value and "auth_string" not in value, name
        assert ".password" not in value, name


def test_references_resolve() -> None:
    """What `terraform validate` would catch first: undeclared variables, locals, resources."""
    text = _all_text()
    variables = set(_blocks("variable"))
    locals_defined = {k for data in _parsed().values() for entry in data.get("locals", []) for k in entry}
    resources = _resources()
    declared = {f"{t}.{n}" for t, n in resources}
    for ref in set(re.findall(r"\bvar\.([a-z_][a-z0-9_]*)", text)):
        assert ref in variables, f"var.{ref} is not declared"
    for ref in set(re.findall(r"\blocal\.([a-z_][a-z0-9_]*)", text)):
        assert ref in locals_defined, f"local.{ref} is not defined"
    for rtype, name in set(re.findall(r"\b((?:google|random)_[a-z0-9_]+)\.([a-z_][a-z0-9_]*)\b", text)):
        assert f"{rtype}.{name}" in declared, f"{rtype}.{name} is referenced but not declared"
    unused = variables - set(re.findall(r"\bvar\.([a-z_][a-z0-9_]*)", text))
    assert not unused, f"declared but unused variables: {unused}"


def test_bucket_is_versioned_private_and_expires_old_versions() -> None:
    buckets = {k: v for k, v in _resources().items() if k[0] == "google_storage_bucket"}
    assert buckets
    for key, body in buckets.items():
        assert body["versioning"][0]["enabled"] is True, key
        assert body["uniform_bucket_level_access"] is True, key
        assert _unquote(body["public_access_prevention"]) == "enforced", key
        rules = body.get("lifecycle_rule", [])
        assert any("days_since_noncurrent_time" in r["condition"][0] for r in rules), key


def test_cloud_sql_is_postgres_16_private_and_backed_up() -> None:
    (body,) = [v for k, v in _resources().items() if k[0] == "google_sql_database_instance"]
    assert _unquote(body["database_version"]) == "POSTGRES_16"
    settings = body["settings"][0]
    assert settings["ip_configuration"][0]["ipv4_enabled"] is False
    assert settings["backup_configuration"][0]["enabled"] is True
    databases = {_unquote(v["name"]) for k, v in _resources().items() if k[0] == "google_sql_database"}
    assert {"newsmodel", "mlflow"} <= databases, "MLflow needs a database of its own"


def test_compute_for_the_k8s_manifests() -> None:
    clusters = [v for k, v in _resources().items() if k[0] == "google_container_cluster"]
    vms = [v for k, v in _resources().items() if k[0] == "google_compute_instance"]
    assert clusters or vms
    for cluster in clusters:
        assert cluster.get("enable_autopilot") is True or cluster.get("workload_identity_config")
        assert cluster["private_cluster_config"][0]["enable_private_nodes"] is True


def test_iam_is_least_privilege() -> None:
    resources = _resources()
    for rtype, name in resources:
        assert not AUTHORITATIVE_IAM.match(rtype), f"{rtype}.{name} replaces the whole IAM policy"
    roles = set()
    for (rtype, _name), body in resources.items():
        if "_iam_" in rtype:
            role = _unquote(body["role"])
            if role == "${each.value}":
                roles.update(_unquote(s) for s in re.findall(r'"(roles/[^"]+)"', str(body["for_each"])))
            else:
                roles.add(role)
    assert roles, "no IAM bindings found"
    assert not roles & BASIC_ROLES, roles & BASIC_ROLES
    assert not {r for r in roles if r.endswith(".admin")}, roles
    # Object access is granted on the bucket, not on the project.
    project_roles = {
        _unquote(b["role"]) for (t, _), b in resources.items() if t == "google_project_iam_member"
    } | {
        r
        for (t, _), b in resources.items()
        if t == "google_project_iam_member"
        for r in re.findall(r"roles/[A-Za-z.]+", str(b.get("for_each", "")))
    }
    assert not {r for r in project_roles if r.startswith("roles/storage.")}, project_roles
    accounts = [k for k in resources if k[0] == "google_service_account"]
    assert len(accounts) >= 2, "one service account per workload"


def test_no_hardcoded_secret_values() -> None:
    for (rtype, name), body in _resources().items():
        for key in ("password", "secret_data"):
            if key in body:
                assert str(body[key]).startswith("${"), f"{rtype}.{name}.{key} is a literal"
    assert not list(TF_DIR.glob("*.tfvars")), "tfvars with real values stay out of git"
    assert not list(TF_DIR.glob("*.tfstate*"))
