"""Pods, replicas and everything around the graph: what comes back, and what is reported
(at its path in the manifest) as dropped or, when it changes nothing, as cosmetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.importer.losses import dotted

from .builders import comes_back, graph_file, run_import, sdep, unit

CHAIN = unit("t", "TRANSFORMER", unit("m", "MODEL"))


def _pods(*groups: list[str], replicas: dict[int, int] | None = None) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for j, group in enumerate(groups):
        cs: dict[str, Any] = {
            "spec": {"containers": [{"name": n, "image": f"img/{n}:1"} for n in group]}
        }
        if replicas and j in replicas:
            cs["replicas"] = replicas[j]
        specs.append(cs)
    return specs


def _with_pods(
    obj: dict[str, Any], specs: list[dict[str, Any]], **predictor: Any
) -> dict[str, Any]:
    obj["spec"]["predictors"][0]["componentSpecs"] = specs
    obj["spec"]["predictors"][0].update(predictor)
    return obj


def test_one_pod_per_node_with_replicas(tmp_path: Path) -> None:
    obj = _with_pods(sdep(CHAIN), _pods(["t"], ["m"], replicas={1: 3}), replicas=2)
    out = graph_file(comes_back(obj, tmp_path))
    assert (out["pods"], out["replicas"]) == ("per-node", 2)
    assert out["nodes"]["m"]["replicas"] == 3 and "replicas" not in out["nodes"]["t"]


@pytest.mark.parametrize(
    "spec_replicas,predictor,pod,expected",
    [(None, None, 4, 4), (None, 2, None, 2), (5, None, None, 5), (5, 2, None, 2), (5, 2, 3, 3)],
)
def test_one_pod_replicas_as_the_operator_reads_them(
    spec_replicas: int | None, predictor: int | None, pod: int | None, expected: int, tmp_path: Path
) -> None:
    """componentSpec > predictor > spec: the graph's `replicas` is what the pod gets."""
    spec: dict[str, Any] = {"replicas": spec_replicas} if spec_replicas else {}
    obj = sdep(CHAIN, **spec)
    fields = {"replicas": predictor} if predictor else {}
    _with_pods(obj, _pods(["t", "m"], replicas={0: pod} if pod else None), **fields)
    assert graph_file(comes_back(obj, tmp_path))["replicas"] == expected


def test_server_without_container_joins_the_first_pod(tmp_path: Path) -> None:
    graph = unit(
        "t", "TRANSFORMER", unit("lr", None, implementation="SKLEARN_SERVER", modelUri="s3://m")
    )
    out = graph_file(comes_back(sdep(graph), tmp_path))
    assert "pods" not in out and out["nodes"]["lr"] == {"server": "sklearn", "model_uri": "s3://m"}


def _dropped(obj: dict[str, Any], tmp_path: Path) -> list[tuple[str, str, bool]]:
    outcome = run_import(obj, tmp_path)
    assert not outcome.failed, outcome.diagnostics
    return [(dotted(loss.path), loss.message, loss.semantic) for loss in outcome.losses]


SHARED_POD = (
    "not expressible: the pod holds several nodes, or none, and a graph file scales the pod "
    "of one node (`pods: per-node`)"
)


def test_pod_fields_are_dropped_at_their_paths(tmp_path: Path) -> None:
    obj = sdep(
        CHAIN, containers={"m": {"ports": [{"containerPort": 1}], "imagePullPolicy": "Always"}}
    )
    pod = obj["spec"]["predictors"][0]["componentSpecs"][0]
    pod["spec"]["volumes"] = [{"name": "v", "emptyDir": {}}]
    pod["hpaSpec"] = {"maxReplicas": 3}
    pod["metadata"] = {"name": "p", "labels": {"a": "b"}}
    cs = "spec.predictors[0].componentSpecs[0]"
    assert _dropped(obj, tmp_path) == [
        (f"{cs}.spec.volumes", "not expressible, dropped", True),
        (
            f"{cs}.metadata.name",
            "not kept: graph files name pods after their node (or `graph`)",
            False,
        ),
        (f"{cs}.metadata.labels", "not expressible, dropped", True),
        (f"{cs}.hpaSpec", SHARED_POD, True),
        (f"{cs}.spec.containers[1].ports", "not expressible, dropped", True),
        (
            f"{cs}.spec.containers[1].imagePullPolicy",
            "not expressible (graph files pull IfNotPresent)",
            True,
        ),
    ]


def test_pods_grouped_otherwise_and_sidecars(tmp_path: Path) -> None:
    graph = unit("c", "COMBINER", unit("a", "MODEL"), unit("b", "MODEL"))
    obj = _with_pods(sdep(graph), _pods(["a", "b"], ["c", "proxy"]))
    assert _dropped(obj, tmp_path) == [
        (
            "spec.predictors[0].componentSpecs[1].spec.containers[1]",
            "container `proxy` is not a graph node: not expressible",
            True,
        ),
        (
            "spec.predictors[0].componentSpecs",
            "pods [a, b], [c, proxy] not expressible: a graph file puts all containers in one "
            "pod or each in its own; imported as one pod",
            True,
        ),
    ]


def test_env_and_resources_that_graph_files_cannot_say(tmp_path: Path) -> None:
    container = {
        "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "resources": {
            "requests": {"memory": "1Gi", "ephemeral-storage": "1Gi"},
            "limits": {"cpu": "1"},
        },
    }
    res = "spec.predictors[0].componentSpecs[0].spec.containers[0].resources"
    assert _dropped(sdep(unit("m", "MODEL"), containers={"m": container}), tmp_path) == [
        (
            "spec.predictors[0].componentSpecs[0].spec.containers[0].env[0]",
            "not expressible (only values and Secret keys are)",
            True,
        ),
        (f"{res}.requests.ephemeral-storage", "not expressible, dropped", True),
        (f"{res}.limits.cpu", "not expressible, dropped", True),
        (
            f"{res}.requests.memory",
            "not expressible: a graph file's memory is both request and limit",
            True,
        ),
    ]


def test_what_the_cluster_writes_is_cosmetic(tmp_path: Path) -> None:
    obj = sdep(unit("m", "MODEL", endpoint={"service_host": "localhost", "httpPort": 9000}))
    obj["metadata"].update(
        uid="1",
        resourceVersion="7",
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    )
    obj["spec"]["name"] = "old"
    obj["status"] = {"state": "Available"}
    lost = _dropped(obj, tmp_path)
    assert [(path, semantic) for path, _, semantic in lost] == [
        ("status", False),
        ("metadata.uid", False),
        ("metadata.resourceVersion", False),
        ("metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", False),
        ("spec.name", False),
        ("spec.predictors[0].graph.endpoint.service_host", False),
        ("spec.predictors[0].graph.endpoint.httpPort", False),
    ]
    assert "annotations" not in graph_file(comes_back(obj, tmp_path))


def test_secrets_in_plain_text_are_never_written(tmp_path: Path) -> None:
    graph = unit(
        "m", "MODEL", parameters=[{"name": "api_token", "value": "s3cr3t", "type": "STRING"}]
    )
    container = {
        "env": [{"name": "DB_PASSWORD", "value": "s3cr3t"}, {"name": "max_tokens", "value": "9"}]
    }
    outcome = run_import(sdep(graph, containers={"m": container}), tmp_path)
    advice = "a secret in plain text, not written into a graph file: put it in a Secret"
    assert [(dotted(x.path), x.message) for x in outcome.losses] == [
        ("spec.predictors[0].graph.parameters[0]", f"{advice} and read it from `secret_env`"),
        (
            "spec.predictors[0].componentSpecs[0].spec.containers[0].env[0]",
            f"{advice} and name it in `secret_env`",
        ),
    ]
    assert not outcome.failed and "s3cr3t" not in outcome.files["demo.yaml"]
    assert graph_file(outcome)["nodes"]["m"]["env"] == {"max_tokens": "9"}
