"""A componentSpec's hpaSpec and pdbSpec come back as the node's `hpa:` and `pdb:`; what an
autoscaler or a budget says that no graph file can is reported at its path, never bent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.importer.losses import dotted

from .builders import comes_back, graph_file, run_import, sdep, unit

CHAIN = unit("t", "TRANSFORMER", unit("m", "MODEL"))
CS = "spec.predictors[0].componentSpecs"


def utilisation(resource: str, percent: int) -> dict[str, Any]:
    target = {"type": "Utilization", "averageUtilization": percent}
    return {"type": "Resource", "resource": {"name": resource, "target": target}}


def per_node(graph: dict[str, Any], **scaling: dict[str, Any]) -> dict[str, Any]:
    """`graph` with one pod per unit; `scaling[name]` adds fields to that unit's pod."""
    obj = sdep(graph)
    (pod,) = obj["spec"]["predictors"][0]["componentSpecs"]
    obj["spec"]["predictors"][0]["componentSpecs"] = [
        {"spec": {"containers": [c]}, **scaling.get(c["name"], {})}
        for c in pod["spec"]["containers"]
    ]
    return obj


def losses(obj: dict[str, Any], tmp_path: Path) -> list[tuple[str, str, bool]]:
    outcome = run_import(obj, tmp_path)
    assert not outcome.failed, outcome.diagnostics
    return [(dotted(loss.path), loss.message, loss.semantic) for loss in outcome.losses]


@pytest.mark.parametrize(
    ("hpa", "expected"),
    [
        ({"maxReplicas": 4}, {"max": 4}),
        ({"minReplicas": 2, "maxReplicas": 6}, {"min": 2, "max": 6}),
        (
            {"minReplicas": 1, "maxReplicas": 3, "metricsv2": [utilisation("cpu", 70)]},
            {"min": 1, "max": 3, "cpu": 70},
        ),
        (  # written memory first: the autoscaler reads targets in no order
            {
                "maxReplicas": 5,
                "metricsv2": [utilisation("memory", 80), utilisation("cpu", 60)],
            },
            {"max": 5, "cpu": 60, "memory": 80},
        ),
    ],
)
def test_an_autoscaler_comes_back_as_hpa(
    tmp_path: Path, hpa: dict[str, Any], expected: dict[str, Any]
) -> None:
    obj = per_node(CHAIN, m={"hpaSpec": hpa})
    containers = obj["spec"]["predictors"][0]["componentSpecs"][1]["spec"]["containers"]
    containers[0]["resources"] = {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"memory": "1Gi"},
    }
    out = graph_file(comes_back(obj, tmp_path))
    assert out["pods"] == "per-node"
    assert out["nodes"]["m"]["hpa"] == expected and "hpa" not in out["nodes"]["t"]


@pytest.mark.parametrize(
    ("pdb", "expected"),
    [
        ({"minAvailable": 1}, {"min_available": 1}),
        ({"maxUnavailable": "25%"}, {"max_unavailable": "25%"}),
        ({"minAvailable": "100%"}, {"min_available": "100%"}),
        ({"maxUnavailable": 0}, {"max_unavailable": 0}),
    ],
)
def test_a_disruption_budget_comes_back_as_pdb(
    tmp_path: Path, pdb: dict[str, Any], expected: dict[str, Any]
) -> None:
    out = graph_file(comes_back(per_node(CHAIN, t={"pdbSpec": pdb}), tmp_path))
    assert out["nodes"]["t"]["pdb"] == expected and "pdb" not in out["nodes"]["m"]


def test_replicas_hpa_and_pdb_of_several_pods(tmp_path: Path) -> None:
    obj = per_node(
        CHAIN,
        t={"replicas": 3, "pdbSpec": {"minAvailable": 2}},
        m={"hpaSpec": {"minReplicas": 2, "maxReplicas": 4}, "pdbSpec": {"maxUnavailable": 1}},
    )
    nodes = graph_file(comes_back(obj, tmp_path))["nodes"]
    assert nodes["t"] == {
        "image": "img/t:1",
        "kind": "transformer",
        "replicas": 3,
        "pdb": {"min_available": 2},
    }
    assert nodes["m"] == {
        "image": "img/m:1",
        "hpa": {"min": 2, "max": 4},
        "pdb": {"max_unavailable": 1},
    }


def test_a_lone_node_that_scales_gets_a_pod_of_its_own(tmp_path: Path) -> None:
    """One pod of one node: `pods: per-node` says the same pod, and lets the node scale."""
    obj = per_node(unit("m", "MODEL"), m={"hpaSpec": {"maxReplicas": 2}})
    out = graph_file(comes_back(obj, tmp_path))
    assert (out["pods"], out["nodes"]["m"]["hpa"]) == ("per-node", {"max": 2})


def test_a_prepackaged_server_alone_scales_too(tmp_path: Path) -> None:
    server = unit("lr", None, implementation="SKLEARN_SERVER", modelUri="gs://b/lr")
    obj = sdep(server)
    obj["spec"]["predictors"][0]["componentSpecs"] = [{"pdbSpec": {"minAvailable": 1}}]
    obj["spec"]["predictors"][0]["componentSpecs"][0]["spec"] = {"containers": []}
    out = graph_file(comes_back(obj, tmp_path))
    assert out["nodes"]["lr"] == {
        "server": "sklearn",
        "model_uri": "gs://b/lr",
        "pdb": {"min_available": 1},
    }


def test_replicas_beside_an_autoscaler_are_ignored_as_the_operator_ignores_them(
    tmp_path: Path,
) -> None:
    obj = per_node(CHAIN, m={"replicas": 5, "hpaSpec": {"maxReplicas": 3}})
    assert losses(obj, tmp_path) == [
        (f"{CS}[1].replicas", "ignored beside `hpaSpec`: the autoscaler decides", False)
    ]
    assert graph_file(comes_back(obj, tmp_path))["nodes"]["m"] == {
        "image": "img/m:1",
        "hpa": {"max": 3},
    }


NOT_HPA = "not expressible: a graph file's `hpa` scales between 1 and `max`"
NOT_PDB = (
    "not expressible: a graph file's `pdb` is one of minAvailable and maxUnavailable, a count "
    "or a whole percentage"
)
V2BETA1 = (
    "not expressible: the autoscaling/v2beta1 form; a graph file's `hpa` is autoscaling/v2 "
    "(`metricsv2`)"
)
OTHER_METRIC = "not expressible: graph files scale on CPU or memory utilisation"
WRONG_TYPE = "not of the type Seldon reads it as: dropped"
SECOND_TARGET = "not expressible: a second target for it utilisation"


@pytest.mark.parametrize(
    ("scaling", "node", "lost"),
    [
        ({"hpaSpec": {"minReplicas": 0, "maxReplicas": 3}}, None, [("hpaSpec", NOT_HPA)]),
        (
            {"hpaSpec": {"maxReplicas": 3, "metrics": [{"type": "Resource"}]}},
            {"hpa": {"max": 3}},
            [("hpaSpec.metrics", V2BETA1)],
        ),
        (
            {
                "hpaSpec": {
                    "maxReplicas": 3,
                    "metricsv2": [
                        {"type": "Pods", "pods": {"metric": {"name": "qps"}}},
                        utilisation("cpu", 50),
                        utilisation("cpu", 90),
                        {**utilisation("memory", 70), "extra": 1},
                    ],
                }
            },
            {"hpa": {"max": 3, "cpu": 50}},
            [
                ("hpaSpec.metricsv2[0]", OTHER_METRIC),
                ("hpaSpec.metricsv2[2]", SECOND_TARGET),
                ("hpaSpec.metricsv2[3]", OTHER_METRIC),
            ],
        ),
        (
            {"hpaSpec": {"maxReplicas": 3, "behavior": {}}},
            {"hpa": {"max": 3}},
            [("hpaSpec.behavior", "not expressible, dropped")],
        ),
        ({"pdbSpec": {"minAvailable": 1, "maxUnavailable": 1}}, None, [("pdbSpec", NOT_PDB)]),
        ({"pdbSpec": {"minAvailable": "1.5%"}}, None, [("pdbSpec", NOT_PDB)]),
        ({"pdbSpec": {"maxUnavailable": -1}}, None, [("pdbSpec", NOT_PDB)]),
        ({"pdbSpec": {}}, None, [("pdbSpec", NOT_PDB)]),
        ({"hpaSpec": "3"}, None, [("hpaSpec", WRONG_TYPE)]),
        ({"pdbSpec": [1]}, None, [("pdbSpec", WRONG_TYPE)]),
        ({"replicas": "2"}, None, [("replicas", WRONG_TYPE)]),
        (
            {"kedaSpec": {"triggers": []}},
            None,
            [("kedaSpec", "not expressible, dropped")],
        ),
    ],
)
def test_what_no_hpa_or_pdb_says_is_dropped_at_its_path(
    tmp_path: Path,
    scaling: dict[str, Any],
    node: dict[str, Any] | None,
    lost: list[tuple[str, str]],
) -> None:
    obj = per_node(CHAIN, m=scaling)
    assert losses(obj, tmp_path) == [(f"{CS}[1].{path}", why, True) for path, why in lost]
    out = graph_file(run_import(obj, tmp_path))
    assert out["nodes"]["m"] == {"image": "img/m:1", **(node or {})}


def test_a_pod_of_several_nodes_cannot_scale_one_of_them(tmp_path: Path) -> None:
    obj = sdep(CHAIN)
    pod = obj["spec"]["predictors"][0]["componentSpecs"][0]
    pod.update({"hpaSpec": {"maxReplicas": 3}, "pdbSpec": {"minAvailable": 1}})
    why = (
        "not expressible: the pod holds several nodes, or none, and a graph file scales the "
        "pod of one node (`pods: per-node`)"
    )
    assert losses(obj, tmp_path) == [
        (f"{CS}[0].hpaSpec", why, True),
        (f"{CS}[0].pdbSpec", why, True),
    ]
    out = graph_file(run_import(obj, tmp_path))
    assert "pods" not in out and out["nodes"]["m"] == {"image": "img/m:1"}


def test_a_pod_without_a_node_scales_nothing(tmp_path: Path) -> None:
    obj = per_node(CHAIN)
    empty = {"spec": {"containers": []}, "pdbSpec": {"minAvailable": 1}}
    obj["spec"]["predictors"][0]["componentSpecs"].append(empty)
    why = (
        "not expressible: the pod holds several nodes, or none, and a graph file scales the "
        "pod of one node (`pods: per-node`)"
    )
    assert losses(obj, tmp_path) == [(f"{CS}[2].pdbSpec", why, True)]
