"""Per-node scaling (`replicas`, `hpa`, `pdb`) compiled to Seldon's componentSpec fields, and
accepted by Seldon's CRD schema and webhook. The rejected cases, with their exact output, are in
tests/bad_graphs/deploy-scaling*.yaml."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.api import Graph
from seldon_graphs.manifest import check_object
from seldon_graphs.manifest.crd import load_crd_schema
from tests.helpers import CRD_FILE, NO_SHARED, analyze, missing

GRAPH = """\
name: scaled
pods: per-node
nodes:
  a:
    server: sklearn
    model_uri: gs://seldon-models/sklearn/iris
    resources: {{cpu: 100m, memory: 1Gi}}
{keys}
"""


@pytest.fixture(scope="module")
def crd_schema() -> dict[str, Any]:
    if not CRD_FILE.exists():
        missing(NO_SHARED)
    schema: dict[str, Any] = load_crd_schema(CRD_FILE)
    return schema


def _utilisation(name: str, percent: int) -> dict[str, Any]:
    target = {"type": "Utilization", "averageUtilization": percent}
    return {"type": "Resource", "resource": {"name": name, "target": target}}


@pytest.mark.parametrize(
    ("keys", "component"),
    [
        ("replicas: 3", {"replicas": 3}),
        ("hpa: {max: 4}", {"hpaSpec": {"minReplicas": 1, "maxReplicas": 4}}),
        (
            "hpa: {min: 2, max: 5, cpu: 70}",
            {
                "hpaSpec": {
                    "minReplicas": 2,
                    "maxReplicas": 5,
                    "metricsv2": [_utilisation("cpu", 70)],
                }
            },
        ),
        (
            "hpa: {max: 5, memory: 80, cpu: 60}",
            {
                "hpaSpec": {
                    "minReplicas": 1,
                    "maxReplicas": 5,
                    "metricsv2": [_utilisation("cpu", 60), _utilisation("memory", 80)],
                }
            },
        ),
        (
            "pdb: {min_available: 1}\nreplicas: 2",
            {"replicas": 2, "pdbSpec": {"minAvailable": 1}},
        ),
        ('pdb: {max_unavailable: "25%"}', {"pdbSpec": {"maxUnavailable": "25%"}}),
        (
            "hpa: {min: 3, max: 9, cpu: 50}\npdb: {min_available: 50%}",
            {
                "hpaSpec": {
                    "minReplicas": 3,
                    "maxReplicas": 9,
                    "metricsv2": [_utilisation("cpu", 50)],
                },
                "pdbSpec": {"minAvailable": "50%"},
            },
        ),
    ],
    ids=[
        "replicas",
        "hpa-default-target",
        "hpa-cpu",
        "hpa-both",
        "pdb-count",
        "pdb-percent",
        "both",
    ],
)
def test_scaling_keys_compile_to_the_nodes_component_spec(
    tmp_path: Path, keys: str, component: dict[str, Any], crd_schema: dict[str, Any]
) -> None:
    result = analyze(tmp_path, GRAPH.format(keys=textwrap.indent(keys, "    ")))
    assert result.ok and result.diagnostics == [], result.render()
    assert result.spec is not None and result.tree is not None
    sdep = Graph(result.spec, result.tree, result).manifest()
    (cs,) = sdep["spec"]["predictors"][0]["componentSpecs"]
    assert {k: v for k, v in cs.items() if k not in ("metadata", "spec")} == component
    assert check_object(sdep, crd_schema=crd_schema) == []
