"""The Seldon operator's part, played by the tests, because the operator cannot run here: its
module (github.com/seldonio/seldon-core/operator) is not served by the Go module proxy these
machines reach. `reconcile` does the two acts of its reconcile that deploy reads, as 1.17.1
does them: it server-side-applies the Deployment the operator would make (named as
`GetDeploymentName`, labelled `seldon-deployment-id`, the componentSpec's labels on the pod
template, its containers with PREDICTIVE_UNIT_PARAMETERS), and sets `status.state: Available`
(never `observedGeneration`). Everything after that, ReplicaSets, rolling updates, scheduling
and pod states, is the real controllers' and kwok's.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kubernetes import client

from seldon_graphs.deploy.kube import JsonDict
from seldon_graphs.deploy.names import SDEP_LABEL, seldon_id
from seldon_graphs.deploy.rollout import PARAMETERS_ENV, deployment_name

APPLY = "application/apply-patch+yaml"
SERVER_IMAGE = "seldonio/sklearnserver:1.17.1"  # what the operator puts in an image-less server


def _deployment(sdep: JsonDict, predictor: JsonDict, index: int, component: JsonDict) -> JsonDict:
    name = deployment_name(sdep["metadata"]["name"], predictor["name"], index, component)
    labels = {SDEP_LABEL: seldon_id(sdep["metadata"]["name"]), "app": name}
    # componentSpecs[].metadata.labels reach the pod template (controller l.1046-1051), and
    # so do the predictor's labels, `version` defaulted to its name (Istio routes on it)
    predictor_labels = {"version": predictor["name"], **(predictor.get("labels") or {})}
    component_labels = (component.get("metadata") or {}).get("labels") or {}
    pod_labels = {**component_labels, **predictor_labels, **labels}
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
            "template": {"metadata": {"labels": pod_labels}, "spec": {"containers": containers}},
        },
    }


def _parameters(unit: JsonDict) -> dict[str, Any]:
    found = {unit["name"]: unit.get("parameters")}
    for child in unit.get("children") or []:
        found.update(_parameters(child))
    return found


def reconcile(plane: client.ApiClient, namespace: str, name: str, available: bool = True) -> None:
    """What the operator does with the SeldonDeployment as it is now stored; `available`: also
    say Available (the real one does once the Deployments are; a failing one stays Creating)."""
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
    if available:
        set_state(plane, namespace, name, "Available")


def set_state(
    plane: client.ApiClient, namespace: str, name: str, state: str, why: str = ""
) -> None:
    """Write `status.state` (and `description`) through the status subresource, as it does."""
    client.CustomObjectsApi(plane).patch_namespaced_custom_object_status(
        "machinelearning.seldon.io",
        "v1",
        namespace,
        "seldondeployments",
        name,
        {"status": {"state": state, "description": why or None}},
        _content_type="application/merge-patch+json",
    )
