"""The operator's derived names, protocol-aware endpoints, and rollout freshness.

Pure functions over the shapes the real API server returns (Deployments are parsed by the
real `kubernetes` client's model classes, so attribute names are the client's).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from kubernetes import client

from seldon_graphs.deploy.endpoint import endpoint_of
from seldon_graphs.deploy.names import predictor_service, sdep_selector, seldon_id
from seldon_graphs.deploy.rollout import PARAMETERS_ENV, deployment_name, pending

from .conftest import sdep
from .fakeapi import deployment, rolled_out_deployments

LONG = "a" * 64


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("name", "label"),
    [("x", "x"), ("a" * 63, "a" * 63), (LONG, f"seldon-{_md5(LONG)}")],
)
def test_seldon_id_hashes_names_over_63(name: str, label: str) -> None:
    assert seldon_id(name) == label
    assert sdep_selector(name) == f"seldon-deployment-id={label}"
    assert len(seldon_id(name)) <= 63


def test_predictor_service_hashes_like_the_operator() -> None:
    assert predictor_service("iris", "default") == "iris-default"
    long_name = f"{'b' * 60}-default"
    assert predictor_service("b" * 60, "default") == f"seldon-{_md5(long_name)}"


def test_deployment_name_from_containers_or_metadata() -> None:
    component = {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
    assert deployment_name("s", "p", 0, component) == "s-p-0-a-b"
    assert deployment_name("s", "p", 1, {**component, "metadata": {"name": "m"}}) == "s-p-1-m"
    long_name = f"s-p-0-{'c' * 60}"
    assert deployment_name("s", "p", 0, {"spec": {"containers": [{"name": "c" * 60}]}}) == (
        f"seldon-{_md5(long_name)}"
    )


def _with_protocol(protocol: str | None, root: str = "classifier") -> dict[str, Any]:
    obj = sdep()
    if protocol:
        obj["spec"]["protocol"] = protocol
    obj["spec"]["predictors"][0]["graph"]["name"] = root
    return obj


@pytest.mark.parametrize(
    ("protocol", "path", "body_key"),
    [
        (None, "/api/v1.0/predictions", '"data"'),
        ("seldon", "/api/v1.0/predictions", '"data"'),
        ("v2", "/v2/models/classifier/infer", '"inputs"'),
        ("kfserving", "/v2/models/classifier/infer", '"inputs"'),
        ("tensorflow", "/v1/models/classifier:predict", '"instances"'),
    ],
)
def test_endpoint_path_follows_the_protocol(protocol: str | None, path: str, body_key: str) -> None:
    ep = endpoint_of(_with_protocol(protocol), context="ctx")
    assert ep.url == f"http://localhost:8000{path}"
    assert ep.curl().startswith(f"curl -s -X POST http://localhost:8000{path} ")
    assert body_key in ep.curl()
    ingress = endpoint_of(_with_protocol(protocol), ingress="http://gw:8080/")
    assert ingress.url == f"http://gw:8080/seldon/models/test{path}"


def test_v2_sample_is_a_valid_v2_request() -> None:
    body = json.loads(endpoint_of(_with_protocol("v2")).sample)
    (tensor,) = body["inputs"]
    assert tensor["shape"] == [1, 4] and len(tensor["data"]) == 4
    assert tensor["datatype"] == "FP32"


def _live(obj: dict[str, Any]) -> list[Any]:
    """Deployments as the real client parses them from the API server's JSON."""
    api = client.ApiClient()
    return [api._ApiClient__deserialize(d, "V1Deployment") for d in rolled_out_deployments(obj)]


def _available(obj: dict[str, Any]) -> dict[str, Any]:
    live = copy.deepcopy(obj)
    live["metadata"]["generation"] = 1
    live["status"] = {"state": "Available"}
    return live


def test_rolled_out_spec_is_not_pending() -> None:
    obj = _available(sdep())
    assert pending(obj, _live(obj)) == ""


def test_new_image_is_pending_until_the_operator_updates_the_deployment() -> None:
    old = _available(sdep())
    new = copy.deepcopy(old)
    container = new["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0]
    container["image"] = "example/new:2"
    assert pending(new, _live(old)) == (
        "Deployment test-test-0-input-transformer-model-output-transformer: "
        f"still runs image {_image(old)} (want example/new:2)"
    )
    assert pending(new, _live(new)) == ""


def _image(obj: dict[str, Any]) -> str:
    return str(obj["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0]["image"])


def test_new_parameters_are_pending() -> None:
    old = _available(sdep())
    new = copy.deepcopy(old)
    graph = new["spec"]["predictors"][0]["graph"]
    graph["parameters"] = [{"name": "threshold", "value": "0.7", "type": "FLOAT"}]
    assert pending(new, _live(old)).endswith(
        f"container {graph['name']} still has the old parameters"
    )
    live = _live(new)
    (root,) = [c for c in live[0].spec.template.spec.containers if c.name == graph["name"]]
    env = {e.name: e.value for e in root.env or []}
    assert json.loads(env[PARAMETERS_ENV]) == graph["parameters"]
    assert pending(new, live) == ""


def test_new_replica_count_is_pending() -> None:
    old = _available(sdep())
    new = copy.deepcopy(old)
    new["spec"]["predictors"][0]["replicas"] = 3
    assert pending(new, _live(old)).endswith("1 replicas, want 3")
    new["spec"]["predictors"][0]["componentSpecs"][0]["hpaSpec"] = {"maxReplicas": 5}
    assert pending(new, _live(old)) == ""  # an autoscaler owns the count


def test_old_pods_still_serving_is_pending() -> None:
    obj = _available(sdep())
    obj["spec"]["predictors"][0]["replicas"] = 2
    (name,) = [d.metadata.name for d in _live(obj)]
    containers = obj["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    mid = deployment(name, "test", containers, replicas=2, updated=1)
    api = client.ApiClient()
    live = [api._ApiClient__deserialize(mid, "V1Deployment")]
    assert pending(obj, live) == f"Deployment {name}: 1/2 pods updated, 2 available, 2 old"
    mid["metadata"]["generation"] = 2  # the controller has not observed the new template
    live = [api._ApiClient__deserialize(mid, "V1Deployment")]
    assert pending(obj, live).endswith("the Deployment controller has not seen the change yet")


def test_missing_deployment_and_stale_generation_are_pending() -> None:
    obj = _available(sdep())
    assert pending(obj, []) == (
        "Deployment test-test-0-input-transformer-model-output-transformer not created yet"
    )
    obj["status"]["observedGeneration"] = 0  # an operator that does write it
    assert pending(obj, _live(obj)) == "the operator has not seen generation 1 yet"
