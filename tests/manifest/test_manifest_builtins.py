"""Executor built-ins are written as Seldon writes containerless units, and pass the CRD and
the webhook; TensorFlow servers that need their own pods get them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs import api
from seldon_graphs.manifest import check_object
from tests.helpers import analyze

UNIMPLEMENTED = "unimplemented-builtin"


def _graph(tmp_path: Path, text: str) -> api.Graph:
    result = analyze(tmp_path, text)
    assert result.ok and result.spec and result.tree, result.render()
    return api.Graph(result.spec, result.tree, result)


def _predictor(graph: api.Graph) -> dict[str, Any]:
    predictor: dict[str, Any] = graph.manifest()["spec"]["predictors"][0]
    return predictor


def _containers(predictor: dict[str, Any]) -> list[str]:
    specs = predictor["componentSpecs"]
    return [c["name"] for cs in specs for c in cs["spec"]["containers"]]


def _leaf(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "MODEL",
        "implementation": "UNKNOWN_IMPLEMENTATION",
        "children": [],
    }


@pytest.mark.parametrize(
    ("builtin", "flow", "unit", "children"),
    [
        ("average-combiner", '"[a, b] -> u"', "AVERAGE_COMBINER", ["a", "b"]),
        ("simple-router", "u -> [a, b]", "SIMPLE_ROUTER", ["a", "b"]),
        ("random-abtest", "u -> [a, b]", "RANDOM_ABTEST", ["a", "b"]),
        ("simple-model", "u -> a", "SIMPLE_MODEL", ["a"]),
        ("simple-model", "a -> u", "SIMPLE_MODEL", []),
    ],
)
def test_builtins_are_untyped_containerless_units_that_pass_crd_and_webhook(
    tmp_path: Path,
    crd_schema: dict[str, Any],
    builtin: str,
    flow: str,
    unit: str,
    children: list[str],
) -> None:
    nodes = "\n".join(f"  {n}: {{python: models.py:Model}}" for n in ("a", "b") if n in flow)
    graph = _graph(
        tmp_path, f"name: g\nnodes:\n  u: {{builtin: {builtin}}}\n{nodes}\nflow: {flow}\n"
    )
    predictor = _predictor(graph)
    units = {u["name"]: u for u in _walk(predictor["graph"])}
    assert units["u"] == {
        "name": "u",
        "type": "UNKNOWN_TYPE",
        "implementation": unit,
        "children": [_leaf(c) for c in children],
    }
    assert "u" not in _containers(predictor)
    assert graph.roles()["u"] == "UNKNOWN_TYPE"
    findings = check_object(graph.manifest(), crd_schema=crd_schema)
    expected = [] if unit == "RANDOM_ABTEST" else [UNIMPLEMENTED]
    assert [f.rule for f in findings] == expected, [f.message for f in findings]


def _walk(unit: dict[str, Any]) -> list[dict[str, Any]]:
    return [unit, *(u for child in unit["children"] for u in _walk(child))]


TF_SERVERS = """\
name: g
{settings}
nodes:
  mean: {{stock: mean-combiner}}
{servers}
flow: "[{names}] -> mean"
"""


def _tf_graph(settings: str, names: list[str]) -> str:
    servers = "\n".join(f"  {n}: {{server: tensorflow, model_uri: gs://m/{n}}}" for n in names)
    return TF_SERVERS.format(settings=settings, servers=servers, names=", ".join(names))


def test_tensorflow_servers_sharing_one_pod_are_rejected_at_each_extra_server(
    tmp_path: Path,
) -> None:
    result = analyze(tmp_path, _tf_graph("", ["resnet", "vit", "effnet"]))
    shared = [d for d in result.diagnostics if d.rule == "tfserving-shared"]
    assert [(d.line, d.col) for d in shared] == [(6, 17), (7, 20)]
    assert shared[0].message == (
        "`vit` is a second TensorFlow server in the graph's one pod: under the seldon "
        "protocol the operator adds one `tfserving` sidecar per pod, which serves only "
        "`resnet`'s model"
    )
    assert shared[0].help == (
        "add `pods: per-node` so each TensorFlow server gets its own pod and sidecar"
    )


def test_one_tensorflow_server_in_a_pod_is_fine(tmp_path: Path) -> None:
    assert analyze(tmp_path, _tf_graph("", ["resnet"])).ok


def test_tensorflow_servers_per_node_get_one_component_spec_each(
    tmp_path: Path, crd_schema: dict[str, Any]
) -> None:
    graph = _graph(tmp_path, _tf_graph("pods: per-node", ["resnet", "vit"]))
    predictor = _predictor(graph)
    assert [cs["spec"]["containers"] for cs in predictor["componentSpecs"]] == [
        [
            {
                "name": "mean",
                "image": graph.images()["mean"],
                "imagePullPolicy": "IfNotPresent",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "runAsNonRoot": True,
                    "runAsUser": 8888,
                },
            }
        ],
        [{"name": "resnet"}],
        [{"name": "vit"}],
    ]
    assert check_object(graph.manifest(), crd_schema=crd_schema) == []


def test_tensorflow_protocol_has_no_sidecar_to_share(tmp_path: Path) -> None:
    result = analyze(
        tmp_path,
        """\
        name: g
        protocol: tensorflow
        nodes:
          resnet: {server: tensorflow, model_uri: gs://m/resnet}
          vit: {server: tensorflow, model_uri: gs://m/vit}
        flow: resnet -> vit
        """,
    )
    assert result.ok, result.render()
