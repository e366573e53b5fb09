"""Several predictors (or predictor fields a graph file has no key for): a deployment file,
in the format of docs/deploy.md's deployment files, plus a graph file per predictor whose
compile is exactly that predictor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from seldon_graphs.importer import operator_view
from seldon_graphs.importer.losses import dotted

from .builders import compiled_view, run_import, sdep, unit


def _predictor(name: str, graph: dict[str, Any], **fields: Any) -> dict[str, Any]:
    one = sdep(graph)["spec"]["predictors"][0]
    return {**one, "name": name, **fields}


def _rollout() -> dict[str, Any]:
    obj = sdep(unit("m", "MODEL"), protocol="seldon", annotations={"seldon.io/rest-timeout": "900"})
    obj["metadata"].update(
        namespace="models", labels={"team": "fraud"}, annotations={"owner": "ml"}
    )
    obj["spec"]["predictors"] = [
        _predictor("main", unit("m", "MODEL"), traffic=90, replicas=2, labels={"track": "stable"}),
        _predictor(
            "canary",
            unit("t", "TRANSFORMER", unit("m", "MODEL")),
            traffic=10,
            annotations={"seldon.io/svc-name": "canary-svc"},
            explainer={
                "type": "AnchorTabular",
                "modelUri": "s3://models/explainer",
                "envSecretRefName": "minio",
            },
        ),
        _predictor("mirror", unit("m", "MODEL"), shadow=True),
    ]
    return obj


def test_predictors_become_a_deployment_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    outcome = run_import(_rollout(), tmp_path / "graphs")
    assert not outcome.failed and outcome.dropped == 0, outcome.diagnostics
    assert sorted(outcome.files) == [
        "demo-canary.yaml",
        "demo-main.yaml",
        "demo-mirror.yaml",
        "demo.yaml",
    ]
    assert yaml.safe_load(outcome.files["demo.yaml"]) == {
        "deployment": "demo",
        "namespace": "models",
        "labels": {"team": "fraud"},
        "annotations": {"owner": "ml"},
        "predictors": {
            "main": {
                "graph": "graphs/demo-main.yaml",
                "traffic": 90,
                "labels": {"track": "stable"},
                "replicas": 2,
            },
            "canary": {
                "graph": "graphs/demo-canary.yaml",
                "traffic": 10,
                "annotations": {"seldon.io/svc-name": "canary-svc"},
                "explainer": {
                    "type": "AnchorTabular",
                    "model_uri": "s3://models/explainer",
                    "secret": "minio",
                },
            },
            "mirror": {"graph": "graphs/demo-mirror.yaml", "shadow": True},
        },
    }


def _containers(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [pod["containers"] for pod in pods]


def test_each_predictor_graph_compiles_to_that_predictor(tmp_path: Path) -> None:
    """Graph and pods; the predictor's replicas are the deployment file's (above)."""
    obj = _rollout()
    folder = tmp_path / "graphs"
    outcome = run_import(obj, folder)
    original = operator_view(obj)
    for name in ("main", "canary", "mirror"):
        view = compiled_view(outcome, folder, f"demo-{name}.yaml")
        assert view["spec"] == original["spec"]
        ours, theirs = view["predictors"][name], original["predictors"][name]
        assert ours["graph"] == theirs["graph"]
        assert _containers(ours["pods"]) == _containers(theirs["pods"])


def test_one_predictor_with_predictor_fields(tmp_path: Path) -> None:
    obj = sdep(unit("m", "MODEL"))
    obj["spec"]["predictors"][0]["annotations"] = {"seldon.io/no-engine": "true"}
    outcome = run_import(obj, tmp_path)
    assert yaml.safe_load(outcome.files["demo.yaml"])["predictors"] == {
        "default": {
            "graph": "demo-default.yaml",
            "traffic": 100,
            "annotations": {"seldon.io/no-engine": "true"},
        }
    }


def test_one_predictor_traffic_alone_keeps_a_graph_file(tmp_path: Path) -> None:
    obj = sdep(unit("m", "MODEL"))
    obj["spec"]["predictors"][0].update(traffic=100, labels={"version": "default"})
    outcome = run_import(obj, tmp_path)
    assert list(outcome.files) == ["demo.yaml"] and "nodes" in yaml.safe_load(
        outcome.files["demo.yaml"]
    )


def test_predictor_fields_no_deployment_file_says(tmp_path: Path) -> None:
    obj = _rollout()
    mirror = obj["spec"]["predictors"][2]
    mirror.update(traffic=25, svcOrchSpec={"env": []}, explainer={"type": "Anchor", "replicas": 2})
    outcome = run_import(obj, tmp_path)
    assert [(dotted(x.path), x.message) for x in outcome.losses if x.semantic] == [
        ("spec.predictors[2].svcOrchSpec", "not expressible, dropped"),
        ("spec.predictors[2].traffic", "a shadow's mirrored share is not expressible"),
        ("spec.predictors[2].explainer.replicas", "not expressible, dropped"),
    ]


def test_no_predictors(tmp_path: Path) -> None:
    obj = sdep(unit("m", "MODEL"))
    obj["spec"]["predictors"] = []
    outcome = run_import(obj, tmp_path)
    assert [d.message for d in outcome.diagnostics if d.is_error] == [
        "spec: no predictors: nothing to import"
    ]
    assert outcome.files == {}


def test_predictor_without_graph(tmp_path: Path) -> None:
    obj = sdep(unit("m", "MODEL"))
    del obj["spec"]["predictors"][0]["graph"]
    outcome = run_import(obj, tmp_path)
    assert [d.message for d in outcome.diagnostics if d.is_error] == [
        "spec.predictors[0].graph: a predictor without a graph (or a nameless root)"
    ]
