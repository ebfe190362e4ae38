"""infra/k8s, validated offline.

Built-in kinds are validated against the Kubernetes OpenAPI schemas that ship in the PyPI
package `kubernetes-validate` (strict: unknown fields fail, as `kubeconform -strict`
would). KEDA's ScaledObject / TriggerAuthentication are CRDs with no bundled schema: a small
schema of their required fields is checked here instead. On top: references between objects
(HPA and ScaledObject targets, Services, ConfigMaps, Secrets, service accounts), Pod Security
"restricted" settings, probes and resources, and the commands resolve to real entry points.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.deploy.support import REPO, resolve_command

K8S_DIR = REPO / "infra" / "k8s"
K8S_VERSION = "1.33.0"
WORKLOAD_KINDS = {"Deployment", "Job", "CronJob"}
SECRET_NAMES = {"newsmodel-secrets", "mlflow-secrets"}


@cache
def _documents() -> tuple[dict, ...]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                doc.setdefault("metadata", {})["_file"] = path.name
                docs.append(doc)
    return tuple(docs)


def _by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in _documents() if d["kind"] == kind}


def _clean(doc: dict) -> dict:
    meta = {k: v for k, v in doc["metadata"].items() if k != "_file"}
    return {**doc, "metadata": meta}


def _pod_spec(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def _workloads() -> list[dict]:
    return [d for d in _documents() if d["kind"] in WORKLOAD_KINDS]


def _ids(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def test_manifests_cover_the_platform() -> None:
    kinds = {(d["kind"], d["metadata"]["name"]) for d in _documents()}
    expected = {
        ("Deployment", "api"),
        ("Service", "api"),
        ("HorizontalPodAutoscaler", "api"),
        ("Deployment", "worker"),
        ("ScaledObject", "worker"),
        ("Deployment", "scheduler"),
        ("CronJob", "crawler"),
        ("Deployment", "mlflow"),
        ("Service", "mlflow"),
        ("Job", "migrate"),
        ("Job", "trainer"),
        ("Service", "trainer"),
        ("CronJob", "retrain-schedule"),
        ("CronJob", "retrain-pending"),
        ("ConfigMap", "newsmodel-config"),
    }
    assert expected <= kinds, expected - kinds


@pytest.mark.parametrize("doc", [d for d in _documents() if "keda.sh" not in d["apiVersion"]], ids=_ids)
def test_builtin_kinds_match_the_kubernetes_schema(doc: dict) -> None:
    kubernetes_validate.validate(_clean(doc), K8S_VERSION, strict=True)


def test_the_schema_validator_rejects_a_typo() -> None:
    """Negative control: strict validation does catch a misspelled field."""
    api = _clean(_by_kind("Deployment")["api"])
    broken = yaml.safe_load(yaml.safe_dump(api).replace("readinessProbe", "readinesProbe"))
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


# KEDA CRDs: the fields KEDA requires and the redis scaler's parameters.
KEDA_REDIS_METADATA = {"listName", "listLength", "activationListLength", "databaseIndex", "enableTLS",
                       "address", "addressFromEnv", "host", "hostFromEnv", "port", "portFromEnv",
                       "usernameFromEnv", "passwordFromEnv"}  # fmt: skip


def test_keda_scaled_object_targets_the_worker_on_queue_lengths() -> None:
    (scaled,) = _by_kind("ScaledObject").values()
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    target = spec["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment" and target["name"] in _by_kind("Deployment")
    assert 1 <= spec["minReplicaCount"] < spec["maxReplicaCount"]
    worker = _by_kind("Deployment")[target["name"]]
    queues = worker["spec"]["template"]["spec"]["containers"][0]["command"]
    queue_names = set(queues[queues.index("-Q") + 1].split(","))
    triggers = spec["triggers"]
    assert {t["metadata"]["listName"] for t in triggers} == queue_names
    auths = _by_kind("TriggerAuthentication")
    for trigger in triggers:
        assert trigger["type"] == "redis"
        assert set(trigger["metadata"]) <= KEDA_REDIS_METADATA, trigger["metadata"]
        assert int(trigger["metadata"]["listLength"]) > 0
        auth = auths[trigger["authenticationRef"]["name"]]
        params = {ref["parameter"] for ref in auth["spec"]["secretTargetRef"]}
        assert {"address", "password"} <= params
        assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} <= SECRET_NAMES


def test_hpa_targets_an_existing_deployment_with_cpu_requests() -> None:
    deployments = _by_kind("Deployment")
    for name, hpa in _by_kind("HorizontalPodAutoscaler").items():
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["name"] in deployments, name
        assert ref["name"] not in {"scheduler", "mlflow"}, "singletons must not autoscale"
        assert hpa["spec"]["minReplicas"] >= 2
        target = deployments[ref["name"]]
        for container in _pod_spec(target)["containers"]:
            assert container["resources"]["requests"].get("cpu"), "CPU utilisation needs requests"


def test_scheduler_and_mlflow_are_singletons() -> None:
    for name in ("scheduler", "mlflow"):
        deployment = _by_kind("Deployment")[name]
        assert deployment["spec"]["replicas"] == 1, name
        assert deployment["spec"]["strategy"]["type"] == "Recreate", name


def test_mlflow_fits_its_memory_limit_without_the_genai_job_runner() -> None:
    # With MLflow 3's job runner on (its default) the pod holds 10 processes and ~2.3 GB:
    # over the 2Gi limit. The mlflow Deployment reads its settings from this ConfigMap.
    deployment = _by_kind("Deployment")["mlflow"]
    env_from = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"configMapRef": {"name": "mlflow-config"}} in env_from
    assert _by_kind("ConfigMap")["mlflow-config"]["data"]["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"


def test_services_select_existing_pods_and_ports() -> None:
    # Deployments, and Jobs whose pods find each other through a headless Service (trainer).
    targets = [*_by_kind("Deployment").values(), *_by_kind("Job").values()]
    for name, service in _by_kind("Service").items():
        selector = service["spec"]["selector"]
        matches = [
            d for d in targets if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert matches, f"Service {name} selects no Deployment or Job"
        port_names = {p["name"] for c in _pod_spec(matches[0])["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, f"Service {name}: {port['targetPort']}"


@pytest.mark.parametrize("doc", _workloads(), ids=_ids)
def test_pods_meet_the_restricted_pod_security_profile(doc: dict) -> None:
    pod = _pod_spec(doc)
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security.get("runAsUser", 1) != 0
    assert security["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod.get("automountServiceAccountToken") is False
    for container in pod["containers"]:
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False, container["name"]
        assert ctx["capabilities"]["drop"] == ["ALL"], container["name"]
        assert ctx.get("readOnlyRootFilesystem") is True, container["name"]
        assert "privileged" not in ctx


@pytest.mark.parametrize("doc", _workloads(), ids=_ids)
def test_containers_have_images_resources_and_probes(doc: dict) -> None:
    for container in _pod_spec(doc)["containers"]:
        assert container["image"].startswith("newsmodel/"), container["image"]
        resources = container["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"]
        assert resources["limits"]["memory"]
        if doc["kind"] == "Deployment":
            assert "livenessProbe" in container, container["name"]
            if any(
                s["spec"]["selector"].items() <= _pod_spec_labels(doc).items()
                for s in _by_kind("Service").values()
            ):
                assert "readinessProbe" in container, f"{container['name']} is behind a Service"


def _pod_spec_labels(doc: dict) -> dict:
    return doc["spec"]["template"]["metadata"]["labels"]


@pytest.mark.parametrize("doc", _workloads(), ids=_ids)
def test_config_and_secret_references_exist_without_values(doc: dict) -> None:
    configmaps = set(_by_kind("ConfigMap"))
    accounts = set(_by_kind("ServiceAccount"))
    pod = _pod_spec(doc)
    assert pod["serviceAccountName"] in accounts
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in configmaps
        for var in container.get("env", []):
            assert "value" not in var or not any(
                w in var["name"] for w in ("PASSWORD", "SECRET", "KEY", "URL")
            ), var
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] in SECRET_NAMES, ref
    assert not _by_kind("Secret"), "Secret values stay out of git: create them with kubectl (docs/DEPLOY.md)"


@pytest.mark.parametrize("doc", _workloads(), ids=_ids)
def test_container_commands_are_real_entry_points(doc: dict) -> None:
    for container in _pod_spec(doc)["containers"]:
        command = [*container.get("command", []), *container.get("args", [])]
        if command and command[0] in {"mlflow-entrypoint", "migrate-entrypoint"}:
            service = command[0].split("-")[0]
            assert (REPO / "services" / service / "entrypoint.sh").is_file()
            command = command[1:]
        problems = resolve_command(command)
        assert not problems, f"{doc['kind']}/{doc['metadata']['name']}: {command}\n" + "\n".join(problems)


def test_training_job_runs_one_torchrun_rank_per_pod() -> None:
    """The multi-replica trainer: an Indexed Job, one torchrun node per pod, node rank = index,
    rank 0 reached through the headless Service at the port the pods expose."""
    job = _by_kind("Job")["trainer"]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] >= 2
    pod = _pod_spec(job)
    (container,) = pod["containers"]
    args = container["args"]
    assert container["command"] == ["torchrun"] and f"--nnodes={spec['completions']}" in args
    env = {e["name"]: e for e in container["env"]}
    assert "--node-rank=$(NODE_RANK)" in args
    assert "job-completion-index" in env["NODE_RANK"]["valueFrom"]["fieldRef"]["fieldPath"]
    service = _by_kind("Service")[pod["subdomain"]]
    assert service["spec"]["clusterIP"] == "None"
    assert f"--master-addr={job['metadata']['name']}-0.{pod['subdomain']}" in args
    port = service["spec"]["ports"][0]
    assert f"--master-port={port['port']}" in args
    assert port["targetPort"] in {p["name"] for p in container["ports"]}
    # Everything after `-m newsmodel.cli` is a real command with config overrides that exist.
    problems = resolve_command(["newsmodel", *args[args.index("newsmodel.cli") + 1 :]])
    assert not problems, problems
    assert pod["restartPolicy"] == "OnFailure"  # a restarted container keeps its checkpoints


def test_kustomization_lists_every_manifest_and_image() -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    files = {p.name for p in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    images = {c["image"].split(":")[0] for d in _workloads() for c in _pod_spec(d)["containers"]}
    assert images <= {i["name"] for i in kustomization["images"]}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl on PATH")
def test_kustomize_renders(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["kubectl", "kustomize", str(K8S_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rendered = [d for d in yaml.safe_load_all(proc.stdout) if d]
    assert len(rendered) == len(_documents())
    assert all(d["metadata"].get("namespace") == "newsmodel" for d in rendered if d["kind"] != "Namespace")
