"""`deploy --wait` against the real Deployment controller, scheduler and kwok's simulated kubelet.

The Seldon operator cannot run here: its module (github.com/seldonio/seldon-core/operator) is not
served by the Go module proxy these machines reach. So `reconcile` below plays the two parts of
its reconcile that --wait reads, as 1.17.1 does them: it server-side-applies the Deployment the
operator would make (named as `GetDeploymentName`, labelled `seldon-deployment-id`, the
componentSpec's containers with PREDICTIVE_UNIT_PARAMETERS), and sets `status.state: Available`
(never `observedGeneration`), leaving it Available across a re-deploy. Everything after that,
ReplicaSets, the rolling update, scheduling and pods becoming Ready, is the real controllers'
and kwok's, and that is what the freshness check must wait for.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from kubernetes import client

from seldon_graphs.deploy import connect
from seldon_graphs.deploy.flow import DeployOptions, deploy
from seldon_graphs.deploy.kube import JsonDict
from seldon_graphs.deploy.names import SDEP_LABEL, seldon_id
from seldon_graphs.deploy.rollout import PARAMETERS_ENV, deployment_name
from seldon_graphs.deploy.target import Target, load_target
from seldon_graphs.deploy.wait import Progress

from .conftest import ADMIN, KUBECONFIG
from .test_commands import ROOT

pytestmark = pytest.mark.controlplane

APPLY = "application/apply-patch+yaml"
SERVER_IMAGE = "seldonio/sklearnserver:1.17.1"  # what the operator puts in an image-less server


def _deployment(sdep: JsonDict, predictor: JsonDict, index: int, component: JsonDict) -> JsonDict:
    name = deployment_name(sdep["metadata"]["name"], predictor["name"], index, component)
    labels = {SDEP_LABEL: seldon_id(sdep["metadata"]["name"]), "app": name}
    parameters = _parameters(predictor["graph"])
    containers = []
    for c in copy.deepcopy(component["spec"]["containers"]):
        c.setdefault("image", SERVER_IMAGE)
        if parameters.get(c["name"]):
            c["env"] = [{"name": PARAMETERS_ENV, "value": json.dumps(parameters[c["name"]])}]
        containers.append(c)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": int(predictor.get("replicas") or 1),
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}},
        },
    }


def _parameters(unit: JsonDict) -> dict[str, Any]:
    found = {unit["name"]: unit.get("parameters")}
    for child in unit.get("children") or []:
        found.update(_parameters(child))
    return found


def reconcile(plane: client.ApiClient, namespace: str, name: str) -> None:
    """What the operator does with the SeldonDeployment as it is now stored."""
    custom = client.CustomObjectsApi(plane)
    sdep = custom.get_namespaced_custom_object(
        "machinelearning.seldon.io", "v1", namespace, "seldondeployments", name
    )
    apps = client.AppsV1Api(plane)
    for predictor in sdep["spec"]["predictors"]:
        for index, component in enumerate(predictor.get("componentSpecs") or []):
            body = _deployment(sdep, predictor, index, component)
            apps.patch_namespaced_deployment(
                body["metadata"]["name"],
                namespace,
                body,
                field_manager="played-operator",
                force=True,
                _content_type=APPLY,
            )
    custom.patch_namespaced_custom_object_status(
        "machinelearning.seldon.io",
        "v1",
        namespace,
        "seldondeployments",
        name,
        {"status": {"state": "Available"}},
        _content_type="application/merge-patch+json",
    )


def _target(namespace: str, image: str | None = None) -> Target:
    target = load_target(ROOT / "graphs" / "abtest.yaml").placed(namespace, "default")
    if image:
        manifest = copy.deepcopy(target.manifest)
        manifest["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0]["image"] = (
            image
        )
        target = Target(target.file, manifest, target.graph)
    return target


def test_redeploy_waits_for_the_new_rollout(plane: client.ApiClient, namespace: str) -> None:
    kube = connect(ADMIN, str(KUBECONFIG))
    seen: list[Progress] = []

    def operator_acts_once_polled(progress: Progress) -> None:
        """Reconcile only after --wait has looked once: a wait that trusted the old Available
        would have returned before this ever ran."""
        if not seen:
            reconcile(plane, namespace, "abtest")
        seen.append(progress)

    first = _target(namespace)
    options = DeployOptions(wait=120, build=False)
    deploy(kube, first, options, lambda *_: None, lambda _s: None, operator_acts_once_polled)
    assert seen  # the first deploy waited for the operator

    seen.clear()
    second = _target(namespace, image="seldon-graphs/abtest-current:new")
    deploy(kube, second, options, lambda *_: None, lambda _s: None, operator_acts_once_polled)
    assert seen, "the re-deploy returned on the old Available without waiting"
    assert any("still runs image" in p.note or "pods updated" in p.note for p in seen)

    (dep,) = client.AppsV1Api(plane).list_namespaced_deployment(namespace).items
    images = [c.image for c in dep.spec.template.spec.containers]
    assert images[0] == "seldon-graphs/abtest-current:new"
    assert dep.status.observed_generation == dep.metadata.generation == 2
    assert (dep.status.updated_replicas, dep.status.available_replicas) == (1, 1)
    assert (dep.status.replicas or 0) == 1  # no old pod left serving
