"""Pure functions: 422 parsing, node location, endpoints, diff normalization, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from seldon_graphs.deploy.diagnose import Problem
from seldon_graphs.deploy.diff import diff_text, normalize
from seldon_graphs.deploy.endpoint import endpoint_of
from seldon_graphs.deploy.errors import Cause, DeployError
from seldon_graphs.deploy.locate import node_for
from seldon_graphs.deploy.secrets import from_env, secret_body
from seldon_graphs.deploy.target import Target
from seldon_graphs.deploy.translate import parse_causes

from .conftest import sdep

SELDON_422 = (
    'admission webhook "v1.vseldondeployment.kb.io" denied the request: '
    'SeldonDeployment.machinelearing.seldon.io "" is invalid: '
    '[spec.predictors[0].graph[0]: Invalid value: "model": Can\'t find container for '
    'Predictive Unit, spec: Invalid value: "": Multiple endpoint.types found - can only have 1 '
    "type in graph. Please use spec.transport]"
)


def test_causes_parsed_from_the_message_when_details_are_missing() -> None:
    causes = parse_causes({"message": SELDON_422})
    assert causes == (
        Cause("spec.predictors[0].graph[0]", "model", "Can't find container for Predictive Unit"),
        Cause(
            "spec",
            "",
            "Multiple endpoint.types found - can only have 1 type in graph. "
            "Please use spec.transport",
        ),
    )


def test_causes_from_details() -> None:
    status = {
        "details": {
            "causes": [
                {
                    "field": "spec.predictors[0].graph",
                    "message": 'Invalid value: "x": No logger mode specified',
                },
                {"field": "spec.predictors[0].graph", "message": "Required"},
            ]
        }
    }
    assert parse_causes(status) == (
        Cause("spec.predictors[0].graph", "x", "No logger mode specified"),
        Cause("spec.predictors[0].graph", None, "Required"),
    )


@pytest.mark.parametrize(
    ("field", "value", "node"),
    [
        ("spec.predictors[0].graph", "", "output-transformer"),
        ("spec.predictors[0].graph[0]", "", "input-transformer"),
        ("spec.predictors[0].graph[0][0]", "", "model"),
        ("spec.predictors[0].graph.children[0].children[0]", "", "model"),
        ("spec.predictors[0].graph[3]", "", None),
        ("spec.predictors[1].graph", "", None),
        ("spec", "model", "model"),
        ("spec", "", None),
    ],
)
def test_node_for(field: str, value: str, node: str | None) -> None:
    target = Target(Path("g.yaml"), sdep())
    assert node_for(Cause(field, value, "m"), target) == node


def test_endpoint_prefers_the_operators_address_then_svc_name() -> None:
    obj = sdep()
    obj["status"] = {"address": {"url": "http://svc-x.models.svc.cluster.local:8000/api/v1.0/p"}}
    assert endpoint_of(obj).service == "svc-x"
    obj = sdep()
    obj["spec"]["predictors"][0]["annotations"] = {"seldon.io/svc-name": "custom"}
    assert endpoint_of(obj).service == "custom"


def test_normalize_drops_server_fields_only() -> None:
    live = sdep()
    live["metadata"].update(
        {
            "uid": "u",
            "resourceVersion": "9",
            "generation": 3,
            "managedFields": [{}],
            "creationTimestamp": "t",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        }
    )
    live["status"] = {"state": "Available"}
    assert normalize(live) == sdep()
    assert diff_text(live, sdep(), "x") == ""


def test_secret_keys_validated_and_values_encoded() -> None:
    with pytest.raises(DeployError, match="invalid secret key"):
        secret_body("s", "ns", {"bad key": "v"})
    body = secret_body("s", "ns", from_env(["A"], {"A": "é"}))
    assert body["data"] == {"A": "w6k="} and body["type"] == "Opaque"


def test_problem_rendering_without_logs() -> None:
    p = Problem("pod-1", "model", "CrashLoopBackOff", "last exit code 2", fatal=True)
    assert (
        p.render() == "pod pod-1, container model keeps crashing (CrashLoopBackOff): "
        "last exit code 2"
    )
