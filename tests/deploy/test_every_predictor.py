"""The deploy readers (endpoint, status, locate, preflight) cover every predictor."""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from seldon_graphs.cli import deploy_commands as commands
from seldon_graphs.deploy.endpoint import endpoint_of, endpoints_of, render_endpoints
from seldon_graphs.deploy.errors import Cause
from seldon_graphs.deploy.locate import node_for
from seldon_graphs.deploy.preflight import referenced_secrets
from seldon_graphs.deploy.target import Target

from .conftest import sdep
from .fakeapi import FakeCluster, pod, running, waiting

IMG = "seldonio/metadata-generic-node:1.14.0-dev"


def canary(protocol: str = "seldon") -> dict[str, Any]:
    """tin-model-tout as `main` (90 %), its chain renamed as `canary` (10 %), and a shadow."""
    obj = sdep()
    obj["spec"]["protocol"] = protocol
    main = obj["spec"]["predictors"][0]
    main.update(name="main", traffic=90, labels={"version": "main"})
    second = copy.deepcopy(main)
    second.update(name="canary", traffic=10, labels={"version": "canary"})
    second["graph"]["name"] = "output-transformer-2"
    second["graph"]["envSecretRefName"] = "canary-store"
    second["componentSpecs"][0]["spec"]["containers"][0]["name"] = "output-transformer-2"
    shadow = copy.deepcopy(second)
    shadow.update(name="mirror", traffic=0, shadow=True, labels={"version": "mirror"})
    shadow["annotations"] = {"seldon.io/svc-name": "mirror-svc"}
    obj["spec"]["predictors"] += [second, shadow]
    return obj


def test_one_endpoint_per_predictor_on_its_own_local_port() -> None:
    found = endpoints_of(canary(), context="kind-seldon")
    assert [(e.predictor, e.service, e.local, e.shadow) for e in found] == [
        ("main", "test-main", 8000, False),
        ("canary", "test-canary", 8001, False),
        ("mirror", "mirror-svc", 8002, True),
    ]
    assert found[1].port_forward() == (
        "kubectl --context kind-seldon -n models port-forward svc/test-canary 8001:8000"
    )
    assert found[1].url == "http://localhost:8001/api/v1.0/predictions"


@pytest.mark.parametrize(
    ("protocol", "paths"),
    [
        ("v2", ["/v2/models/output-transformer/infer", "/v2/models/output-transformer-2/infer"]),
        (
            "tensorflow",
            ["/v1/models/output-transformer:predict", "/v1/models/output-transformer-2:predict"],
        ),
        ("seldon", ["/api/v1.0/predictions"] * 2),
    ],
)
def test_each_predictor_is_addressed_by_its_own_root_node(protocol: str, paths: list[str]) -> None:
    assert [e.path for e in endpoints_of(canary(protocol))[:2]] == paths


def test_behind_an_ingress_every_predictor_shares_its_url() -> None:
    found = endpoints_of(canary(), ingress="http://gw:8080")
    assert {e.url for e in found} == {"http://gw:8080/seldon/models/test/api/v1.0/predictions"}
    text = render_endpoints(found)
    assert text.splitlines()[0] == (
        "endpoint (predictor main): http://gw:8080/seldon/models/test/api/v1.0/predictions"
    )
    assert "endpoint (predictor mirror, shadow): " in text


def test_the_endpoint_is_the_first_predictor_that_takes_traffic() -> None:
    obj = canary()
    obj["spec"]["predictors"].reverse()  # the shadow first
    assert endpoint_of(obj).predictor == "canary"


def test_the_operators_address_names_the_service_only_of_a_single_predictor() -> None:
    obj = canary()
    obj["status"] = {"address": {"url": "http://test-main.models.svc.cluster.local:8000/x"}}
    assert [e.service for e in endpoints_of(obj)] == ["test-main", "test-canary", "mirror-svc"]
    single = sdep()
    single["status"] = {"address": {"url": "http://other.models.svc.cluster.local:9000/x"}}
    assert [(e.service, e.port, e.local) for e in endpoints_of(single)] == [("other", 9000, 9000)]


@pytest.mark.parametrize(
    ("field", "value", "node"),
    [
        ("spec.predictors[1].graph", "", "output-transformer-2"),
        ("spec.predictors[1].graph[0][0]", "", "model"),
        ("spec.predictors[2].graph.children[0]", "", "input-transformer"),
        ("spec.predictors[3].graph", "", None),
        ("spec", "output-transformer-2", "output-transformer-2"),
    ],
)
def test_rejections_are_placed_in_any_predictor(field: str, value: str, node: str | None) -> None:
    assert node_for(Cause(field, value, "m"), Target(Path("g.yaml"), canary())) == node


def test_preflight_finds_the_secrets_of_every_predictor() -> None:
    obj = canary()
    obj["spec"]["predictors"][2]["componentSpecs"][0]["spec"]["imagePullSecrets"] = [
        {"name": "mirror-pull"}
    ]
    assert sorted(set(referenced_secrets(obj))) == ["canary-store", "mirror-pull"]


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="seldon-graphs", exit_on_error=False)
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def _pod(name: str, version: str, root: str, root_ready: bool) -> dict[str, Any]:
    root_state = running(root, IMG) if root_ready else waiting(root, IMG, "ErrImagePull")
    made = pod(
        name,
        "test",
        [
            root_state,
            running("input-transformer", IMG),
            running("model", IMG),
            running("seldon-container-engine", "seldonio/seldon-core-executor:1.17.1"),
        ],
    )
    made["metadata"]["labels"]["version"] = version
    return made


def test_status_lists_the_nodes_of_each_predictor_from_its_own_pods(
    tmp_path: Path, kubeconfig: Path, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    obj = canary()
    obj["spec"]["predictors"].pop()  # main and canary
    del obj["spec"]["predictors"][1]["graph"]["envSecretRefName"]
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(obj))
    cluster.operator.available_after = 1
    assert cli("deploy", str(path), "--kubeconfig", str(kubeconfig), "--no-build") == 0
    cluster.pods["models"] = [
        _pod("test-main-0-a", "main", "output-transformer", True),
        _pod("test-canary-0-b", "canary", "output-transformer-2", False),
    ]
    capsys.readouterr()
    assert cli("status", str(path), "--kubeconfig", str(kubeconfig)) == 0  # Available
    out = capsys.readouterr().out.splitlines()
    assert out[:12] == [
        "models/test: Available",
        "predictor main:",
        "    output-transformer       ready 1/1",
        "    input-transformer        ready 1/1",
        "    model                    ready 1/1",
        "    seldon-container-engine  ready 1/1",
        "predictor canary:",
        "    output-transformer-2     NOT ready 0/1  ErrImagePull (pod test-canary-0-b)",
        "    input-transformer        ready 1/1",
        "    model                    ready 1/1",
        "    seldon-container-engine  ready 1/1",
        "endpoint (predictor main): http://localhost:8000/api/v1.0/predictions",
    ]
    assert (
        "  kubectl --context kind-seldon -n models port-forward svc/test-canary 8001:8000 &" in out
    )
