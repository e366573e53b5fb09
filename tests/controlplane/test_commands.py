"""deploy / status / diff / delete / secret create, driven through the real CLI against the real
kube-apiserver (with Seldon's real CRD schema, RBAC and admission) on 127.0.0.1.

What this cannot show: the Seldon operator itself. Its module (github.com/seldonio/seldon-core/
operator) is not served by the Go module proxy these machines reach (403), so no operator or
webhook runs here: SeldonDeployments are stored and validated by the CRD's schema, never
reconciled. tests/controlplane/test_rollout.py plays the operator's part, saying so.
"""

from __future__ import annotations

import base64
import copy
import os
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from kubernetes import client

from seldon_graphs.cli.graphs import load_graph_or_deployment
from seldon_graphs.deploy.preflight import referenced_secrets
from seldon_graphs.deploy.target import load_target

from .conftest import cli, get_sdep, kube_args

pytestmark = pytest.mark.controlplane

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = sorted((ROOT / "graphs").glob("*.yaml"))


# The walkthrough's variables (ch. 5); `secret create` stores them in the rclone form the
# operator's storage initializer reads, which preflight then requires.
WALKTHROUGH_ENV = {
    "AWS_ACCESS_KEY_ID": "minio",
    "AWS_SECRET_ACCESS_KEY": "not-a-real-key",
    "AWS_ENDPOINT_URL": "http://minio-service.kubeflow.svc:9000",
    "USE_SSL": "false",
}
RCLONE_KEYS = ", ".join(
    f"RCLONE_CONFIG_S3_{key}"
    for key in ("ACCESS_KEY_ID", "ENDPOINT", "ENV_AUTH", "PROVIDER", "SECRET_ACCESS_KEY", "TYPE")
)


def create_secrets(graph: Path, namespace: str) -> list[str]:
    names = sorted(set(referenced_secrets(load_target(graph, load_graph_or_deployment).manifest)))
    for name in names:
        with mock.patch.dict(os.environ, WALKTHROUGH_ENV):
            result = cli(
                "secret", "create", name, "--from-env", ",".join(WALKTHROUGH_ENV),
                "-n", namespace, *kube_args(),
            )  # fmt: skip
        assert result.code == 0, result.err
        assert result.out == (
            f"applied secret {namespace}/{name} with keys {RCLONE_KEYS} (values not shown)\n"
        )
        assert "not-a-real-key" not in result.out + result.err
    return names


@pytest.mark.parametrize("graph", GRAPHS, ids=[g.stem for g in GRAPHS])
def test_every_graph_deploys_diffs_and_deletes(
    plane: client.ApiClient, namespace: str, graph: Path
) -> None:
    target = load_target(graph, load_graph_or_deployment).placed(namespace, "default")
    secrets = create_secrets(graph, namespace)
    args = [str(graph), "-n", namespace, *kube_args()]

    deployed = cli("deploy", *args, "--no-build", "--wait", "0")
    assert deployed.code == 0, deployed.err
    assert (
        f"applied SeldonDeployment {namespace}/{target.name} (server-side apply, field manager "
        "seldon-graphs)" in deployed.err
    )
    assert deployed.out.startswith("endpoint: http://localhost:8000/")

    stored = get_sdep(plane, namespace, target.name)
    assert stored is not None
    # The real CRD schema prunes unknown fields: what we compiled must survive it whole.
    assert stored["spec"] == target.manifest["spec"]
    assert stored["metadata"]["generation"] == 1

    same = cli("diff", *args)
    assert (same.code, same.out) == (0, f"{namespace}/{target.name}: no differences\n")

    status = cli("status", *args)
    assert status.code == 1  # never Available: no operator reconciles it here
    assert status.out.startswith(f"{namespace}/{target.name}: no state yet\n")

    gone = cli("delete", *args)
    assert (gone.code, gone.out) == (0, f"deleted SeldonDeployment {namespace}/{target.name}\n")
    again = cli("delete", *args)
    assert again.out == f"{namespace}/{target.name} was not deployed; nothing to delete\n"
    for name in secrets:
        stored = client.CoreV1Api(plane).read_namespaced_secret(name, namespace).data
        assert {key: base64.b64decode(value).decode() for key, value in stored.items()} == {
            "RCLONE_CONFIG_S3_TYPE": "s3",
            "RCLONE_CONFIG_S3_PROVIDER": "Minio",
            "RCLONE_CONFIG_S3_ENV_AUTH": "false",
            "RCLONE_CONFIG_S3_ACCESS_KEY_ID": "minio",
            "RCLONE_CONFIG_S3_SECRET_ACCESS_KEY": "not-a-real-key",
            "RCLONE_CONFIG_S3_ENDPOINT": "http://minio-service.kubeflow.svc:9000",
        }


def test_diff_shows_a_live_change(plane: client.ApiClient, namespace: str) -> None:
    graph = ROOT / "graphs" / "bandit.yaml"
    target = load_target(graph, load_graph_or_deployment).placed(namespace, "default")
    args = [str(graph), "-n", namespace, *kube_args()]
    assert cli("deploy", *args, "--no-build", "--wait", "0").code == 0
    objects = client.CustomObjectsApi(plane)
    patch = {"spec": {"predictors": [{**target.manifest["spec"]["predictors"][0], "replicas": 3}]}}
    objects.patch_namespaced_custom_object(
        "machinelearning.seldon.io", "v1", namespace, "seldondeployments", target.name, patch
    )
    changed = cli("diff", *args)
    assert changed.code == 1
    assert "-    replicas: 3\n+    replicas: 1\n" in changed.out


def test_dry_run_server_changes_nothing(plane: client.ApiClient, namespace: str) -> None:
    graph = ROOT / "graphs" / "bandit.yaml"
    target = load_target(graph, load_graph_or_deployment)
    args = [str(graph), "-n", namespace, *kube_args(), "--no-build"]
    fresh = cli("deploy", *args, "--dry-run", "server")
    assert fresh.code == 0, fresh.err
    assert f"dry run: namespace {namespace} would be created" in fresh.err
    core = client.CoreV1Api(plane)
    with pytest.raises(client.ApiException) as err:
        core.read_namespace(namespace)
    assert err.value.status == 404

    core.create_namespace({"metadata": {"name": namespace}})
    known = cli("deploy", *args, "--dry-run", "server")
    assert known.code == 0, known.err
    assert "dry run: the API server and Seldon's webhook accept" in known.err
    assert get_sdep(plane, namespace, target.name) is None


def _manifest(name: str, namespace: str) -> dict[str, Any]:
    bandit = ROOT / "graphs" / "bandit.yaml"
    graph = load_target(bandit, load_graph_or_deployment).placed(namespace, "default")
    manifest = copy.deepcopy(graph.manifest)
    manifest["metadata"]["name"] = name
    return manifest


def test_name_over_63_characters(plane: client.ApiClient, namespace: str, tmp_path: Path) -> None:
    """The raw name is no valid label value: selecting pods by it would be a 400."""
    name = "a-very-long-seldon-deployment-name-" + "x" * 40
    file = tmp_path / "long.yaml"
    file.write_text(yaml.safe_dump(_manifest(name, namespace)))
    args = [str(file), *kube_args()]
    assert cli("deploy", *args, "--no-build", "--wait", "0").code == 0
    status = cli("status", *args)
    assert status.code == 1, status.err
    assert status.err == ""
    assert status.out.startswith(f"{namespace}/{name}: no state yet\n")
    assert cli("delete", *args).code == 0


def test_wrong_type_in_a_hand_written_manifest(
    plane: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    """Server-side apply answers 500 "failed to create typed patch object" here, not 422."""
    manifest = _manifest("typed", namespace)
    manifest["spec"]["predictors"][0]["replicas"] = "two"
    file = tmp_path / "typed.yaml"
    file.write_text(yaml.safe_dump(manifest))
    client.CoreV1Api(plane).create_namespace({"metadata": {"name": namespace}})
    result = cli("deploy", str(file), *kube_args(), "--no-build", "--wait", "0")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.splitlines()[:2] == [
        f"error: the cluster rejected SeldonDeployment {namespace}/typed:",
        f"{file}: error: expected numeric (int or float), got string "
        "[rejected by the cluster at spec.predictors[0].replicas]",
    ]


def test_namespace_being_deleted_is_not_an_rbac_problem(
    plane: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(plane)
    core.create_namespace({"metadata": {"name": namespace}})
    hold = {"metadata": {"name": "hold", "finalizers": ["seldon-graphs.test/hold"]}}
    core.create_namespaced_config_map(namespace, hold)
    core.delete_namespace(namespace)
    graph = ROOT / "graphs" / "bandit.yaml"
    try:
        result = cli("deploy", str(graph), "-n", namespace, *kube_args(), "--no-build")
    finally:
        core.patch_namespaced_config_map("hold", namespace, {"metadata": {"finalizers": None}})
    assert result.code == 1
    assert result.err.splitlines() == [
        f"error: cannot apply SeldonDeployment {namespace}/bandit: namespace {namespace} is "
        "being deleted, and nothing new may be created in it until it is gone",
        f"  help: wait until `kubectl get namespace {namespace}` says NotFound, then deploy "
        "again (or deploy to another --namespace)",
    ]
