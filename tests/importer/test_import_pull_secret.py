"""Pods' imagePullSecrets come back as the graph's `image_pull_secret` when every pod names
the one Secret, as compile writes it; anything else is reported at each pod that says it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seldon_graphs.importer.losses import dotted

from .builders import comes_back, graph_file, run_import, sdep, unit

CHAIN = unit("t", "TRANSFORMER", unit("m", "MODEL"))
WHY = "not expressible: a graph file pulls every pod's images with one Secret (`image_pull_secret`)"


def with_secrets(*secrets: list[Any] | None, per_node: bool = True) -> dict[str, Any]:
    """CHAIN with one pod per node (or one pod), each pod's imagePullSecrets in turn."""
    obj = sdep(CHAIN)
    (pod,) = obj["spec"]["predictors"][0]["componentSpecs"]
    groups = [[c] for c in pod["spec"]["containers"]] if per_node else [pod["spec"]["containers"]]
    specs = []
    for containers, secret in zip(groups, secrets, strict=True):
        spec: dict[str, Any] = {"containers": containers}
        if secret is not None:
            spec["imagePullSecrets"] = secret
        specs.append({"spec": spec})
    obj["spec"]["predictors"][0]["componentSpecs"] = specs
    return obj


@pytest.mark.parametrize("per_node", [True, False])
def test_one_secret_in_every_pod_comes_back(tmp_path: Path, per_node: bool) -> None:
    secrets = [[{"name": "regcred"}]] * (2 if per_node else 1)
    out = graph_file(comes_back(with_secrets(*secrets, per_node=per_node), tmp_path))
    assert out["image_pull_secret"] == "regcred"


@pytest.mark.parametrize(
    ("secrets", "dropped"),
    [
        ([[{"name": "regcred"}], None], [0]),
        ([[{"name": "a"}], [{"name": "b"}]], [0, 1]),
        ([[{"name": "a"}, {"name": "b"}], [{"name": "a"}, {"name": "b"}]], [0, 1]),
        ([[{"name": ""}], [{"name": ""}]], [0, 1]),
        ([[], []], [0, 1]),
    ],
)
def test_pods_that_pull_otherwise_are_reported(
    tmp_path: Path, secrets: list[list[Any] | None], dropped: list[int]
) -> None:
    outcome = run_import(with_secrets(*secrets), tmp_path)
    assert not outcome.failed, outcome.diagnostics
    cs = "spec.predictors[0].componentSpecs"
    assert [(dotted(loss.path), loss.message) for loss in outcome.losses] == [
        (f"{cs}[{j}].spec.imagePullSecrets", WHY) for j in dropped
    ]
    assert "image_pull_secret" not in graph_file(outcome)


def test_a_deployment_files_graphs_keep_their_own(tmp_path: Path) -> None:
    obj = with_secrets([{"name": "regcred"}], [{"name": "regcred"}])
    second = {**obj["spec"]["predictors"][0], "name": "canary", "traffic": 10}
    obj["spec"]["predictors"][0]["traffic"] = 90
    obj["spec"]["predictors"].append(second)
    outcome = run_import(obj, tmp_path)
    assert outcome.dropped == 0 and not outcome.failed, outcome.diagnostics
    for predictor in ("default", "canary"):
        assert graph_file(outcome, f"demo-{predictor}.yaml")["image_pull_secret"] == "regcred"
