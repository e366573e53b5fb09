"""Preflight's access check against the real RBAC authorizer: a user who may create
SeldonDeployments and namespaces but not patch namespaces cannot deploy into a new namespace,
since server-side apply is a PATCH (authorized as patch, and as create when it creates)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client

from seldon_graphs.deploy import connect
from seldon_graphs.deploy.errors import ForbiddenError

from .conftest import KUBECONFIG, LIMITED, cli, get_sdep, kube_args

pytestmark = pytest.mark.controlplane

GRAPH = Path(__file__).resolve().parents[2] / "graphs" / "bandit.yaml"
Grant = Callable[[str, list[str], str], None]


@pytest.fixture
def grant(plane: client.ApiClient) -> Iterator[Grant]:
    """grant(resource, verbs, group): a ClusterRole + binding for user "limited", undone after."""
    rbac = client.RbacAuthorizationV1Api(plane)
    made: list[str] = []

    def give(resource: str, verbs: list[str], group: str) -> None:
        name = f"cp-{uuid.uuid4().hex[:8]}"
        rule = {"apiGroups": [group], "resources": [resource], "verbs": verbs}
        rbac.create_cluster_role({"metadata": {"name": name}, "rules": [rule]})
        rbac.create_cluster_role_binding(
            {
                "metadata": {"name": name},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": name,
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "limited"}
                ],
            }
        )
        made.append(name)

    yield give
    for name in made:
        rbac.delete_cluster_role_binding(name)
        rbac.delete_cluster_role(name)


def test_create_without_patch_namespaces_is_caught_before_anything_changes(
    plane: client.ApiClient, namespace: str, grant: Grant
) -> None:
    grant("seldondeployments", ["get", "create", "patch"], "machinelearning.seldon.io")
    grant("namespaces", ["get", "create"], "")
    result = cli("deploy", str(GRAPH), "-n", namespace, *kube_args(LIMITED), "--no-build")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"error: forbidden: with context {LIMITED!r} you may not patch namespaces"
    )
    # ... and the real API server agrees: the apply that creates a namespace is refused.
    limited = connect(LIMITED, str(KUBECONFIG))
    with pytest.raises(ForbiddenError) as err:
        limited.apply_namespace(namespace)
    assert f'namespaces "{namespace}" is forbidden: User "limited" cannot patch' in str(err.value)


def test_create_and_patch_namespaces_is_enough(
    plane: client.ApiClient, namespace: str, grant: Grant
) -> None:
    grant("seldondeployments", ["get", "create", "patch"], "machinelearning.seldon.io")
    grant("namespaces", ["get", "create", "patch"], "")
    result = cli(
        "deploy", str(GRAPH), "-n", namespace, *kube_args(LIMITED), "--no-build", "--wait", "0"
    )
    assert result.code == 0, result.err
    assert f"created namespace {namespace}" in result.err
    assert get_sdep(plane, namespace, "bandit") is not None
