"""Every monitoring object passes a server-side dry-run (server-side apply, dryRun=All) on the
real kube-apiserver of `make controlplane-up`: its API and kind are served (discovery finds
them) and the server's validation and admission accept it. The plane is Kubernetes 1.30; that
these APIs are also the ones 1.27 serves is test_monitoring.py's check (v1, apps/v1, rbac/v1
only, all GA long before 1.27).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, dynamic

from seldon_graphs.monitoring import objects
from tests.controlplane.conftest import plane

__all__ = ["plane"]  # the admin client fixture of the control-plane tests

pytestmark = [
    pytest.mark.controlplane,
    # kubernetes 36 calls urllib3's deprecated getheader on every response (tests/deploy/conftest)
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]


@pytest.fixture
def namespace(plane: client.ApiClient) -> Iterator[str]:
    """A namespace of this test's own, created for real: a dry-run does not create the
    Namespace object, and namespaced objects need their namespace to exist."""
    name = f"mon-{uuid.uuid4().hex[:10]}"
    core = client.CoreV1Api(plane)
    core.create_namespace({"metadata": {"name": name}}, _request_timeout=10)
    yield name
    core.delete_namespace(name, _request_timeout=10)


def dry_run(api: dynamic.DynamicClient, body: dict[str, Any]) -> Any:
    resource = api.resources.get(api_version=body["apiVersion"], kind=body["kind"])
    return api.server_side_apply(
        resource, body=body, field_manager="kind-up", dry_run="All", force_conflicts=True
    )


def test_every_monitoring_object_passes_a_server_side_dry_run(
    plane: client.ApiClient, namespace: str
) -> None:
    api = dynamic.DynamicClient(plane)
    wanted = objects(namespace)
    answers = [dry_run(api, body) for body in wanted]
    assert [(a.kind, a.metadata.name) for a in answers] == [
        (o["kind"], o["metadata"]["name"]) for o in wanted
    ]
    deployments = [a for a in answers if a.kind == "Deployment"]
    # what the server defaulted and kept: the pod spec reached it whole
    images = [c.image for d in deployments for c in d.spec.template.spec.containers]
    assert images == ["prom/prometheus:v2.42.0", "grafana/grafana:10.2.3"]
    # a dry-run persists nothing
    assert client.AppsV1Api(plane).list_namespaced_deployment(namespace).items == []


def test_the_server_refuses_what_is_wrong(plane: client.ApiClient, namespace: str) -> None:
    """The dry-run is a real check: a broken object of the same set is refused, naming why."""
    api = dynamic.DynamicClient(plane)
    broken = next(o for o in objects(namespace) if o["kind"] == "Deployment")
    broken["spec"]["selector"]["matchLabels"] = {"app.kubernetes.io/name": "other"}
    with pytest.raises(dynamic.exceptions.UnprocessibleEntityError) as refused:
        dry_run(api, broken)
    assert "`selector` does not match template `labels`" in str(refused.value.body)


def test_a_removed_api_is_not_served(plane: client.ApiClient) -> None:
    """What seldon-core-analytics 1.17.1 renders (PodSecurityPolicy, rbac v1beta1) is gone."""
    api = dynamic.DynamicClient(plane)
    for version, kind in (("policy/v1beta1", "PodSecurityPolicy"),
                          ("rbac.authorization.k8s.io/v1beta1", "ClusterRole")):  # fmt: skip
        with pytest.raises(dynamic.exceptions.ResourceNotFoundError):
            api.resources.get(api_version=version, kind=kind)
