"""Deployment files: several predictors, each a graph, compiled to one SeldonDeployment.

The bad cases with their exact output are in tests/bad_graphs/deploy-*.yaml; here: what a
good one compiles to, against the graph file alone and against Seldon's CRD and webhook.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import seldon_graphs
from seldon_graphs.cli import main
from seldon_graphs.emit import MARKER
from seldon_graphs.manifest import check_object
from tests.helpers import project

REPO = Path(__file__).resolve().parent.parent
IRIS_CANARY = REPO / "graphs" / "iris-canary.yaml"

# A graph of the project's trivial classes: python nodes (wrapper contexts), a combiner.
GRAPH = """\
name: {name}
namespace: models
{extra}nodes:
  a: {{python: models.py:Model}}
  b: {{python: models.py:Model}}
  mix: {{python: models.py:Combiner, kind: combiner}}
flow: "[a, b] -> mix"
"""
SERVER_GRAPH = """\
name: {name}
nodes:
  classifier: {{server: sklearn, model_uri: gs://seldon-models/sklearn/iris}}
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = project(tmp_path)
    write(root, "graphs/main.yaml", GRAPH.format(name="main-graph", extra=""))
    write(root, "graphs/next.yaml", GRAPH.format(name="next-graph", extra=""))
    write(root, "graphs/iris.yaml", SERVER_GRAPH.format(name="iris"))
    return root


def predictor_of(sdep: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in sdep["spec"]["predictors"] if p["name"] == name)
    return found


@pytest.mark.parametrize(
    "extra", ["", "pods: per-node\n", "replicas: 3\n", "protocol: seldon\ntransport: grpc\n"]
)
def test_one_predictor_at_100_compiles_to_the_graph_files_predictor(root: Path, extra: str) -> None:
    write(root, "graphs/main.yaml", GRAPH.format(name="main-graph", extra=extra))
    dep = write(
        root,
        "deploy.yaml",
        "deployment: main-graph\nnamespace: models\n"
        "predictors:\n  default: {graph: graphs/main.yaml, traffic: 100}\n",
    )
    alone = seldon_graphs.load(root / "graphs" / "main.yaml").manifest()
    deployed = seldon_graphs.load_deployment(dep).manifest()
    assert deployed["spec"] == alone["spec"]
    assert deployed["metadata"]["name"] == alone["metadata"]["name"]


def test_an_inline_graph_compiles_as_the_same_graph_in_its_own_file(root: Path) -> None:
    body = textwrap.indent(GRAPH.format(name="x", extra="").split("\n", 2)[2], "      ")
    dep = write(
        root,
        "deploy.yaml",
        f"deployment: main-graph\npredictors:\n  default:\n    traffic: 100\n    graph:\n{body}",
    )
    alone = seldon_graphs.load(root / "graphs" / "main.yaml").manifest()
    deployed = seldon_graphs.load_deployment(dep).manifest()
    # The same nodes, tree and containers; only the image names (named after the graph) differ.
    assert _without_images(deployed["spec"]) == _without_images(alone["spec"])


def _without_images(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(spec))
    for p in out["predictors"]:
        for cs in p["componentSpecs"]:
            for c in cs["spec"]["containers"]:
                c.pop("image", None)
    return out


CANARY_FILE = """\
deployment: rollout
namespace: models
labels: {team: fraud}
annotations: {owner: ml}
predictors:
  main:
    graph: graphs/main.yaml
    traffic: 90
    replicas: 2
    labels: {track: stable}
    annotations: {seldon.io/svc-name: rollout-main}
    explainer: {type: AnchorTabular, model_uri: s3://models/explainer, secret: minio}
  canary: {graph: graphs/next.yaml, traffic: 10}
  mirror: {graph: graphs/next.yaml, shadow: true}
"""


def test_every_predictor_in_written_order_with_its_settings(root: Path) -> None:
    sdep = seldon_graphs.load_deployment(write(root, "deploy.yaml", CANARY_FILE)).manifest()
    assert sdep["metadata"] == {
        "name": "rollout",
        "namespace": "models",
        "labels": {
            "app.kubernetes.io/managed-by": "seldon-graphs",
            "app.kubernetes.io/name": "rollout",
            "team": "fraud",
        },
        "annotations": {"seldon-graphs.io/source": "deploy.yaml", "owner": "ml"},
    }
    heads = [
        {k: v for k, v in p.items() if k not in ("componentSpecs", "graph")}
        for p in sdep["spec"]["predictors"]
    ]
    assert heads == [
        {
            "name": "main",
            "replicas": 2,
            "traffic": 90,
            "labels": {"version": "main", "track": "stable"},
            "annotations": {"seldon.io/svc-name": "rollout-main"},
            "explainer": {
                "type": "AnchorTabular",
                "modelUri": "s3://models/explainer",
                "envSecretRefName": "minio",
            },
        },
        {"name": "canary", "replicas": 1, "traffic": 10, "labels": {"version": "canary"}},
        {"name": "mirror", "replicas": 1, "shadow": True, "labels": {"version": "mirror"}},
    ]
    nxt = seldon_graphs.load(root / "graphs" / "next.yaml").manifest()["spec"]["predictors"][0]
    for name in ("canary", "mirror"):
        p = predictor_of(sdep, name)
        assert (p["graph"], p["componentSpecs"]) == (nxt["graph"], nxt["componentSpecs"])


@pytest.mark.parametrize(
    "predictors",
    [
        "  main: {graph: graphs/main.yaml}\n",
        "  main: {graph: graphs/main.yaml, traffic: 50}\n"
        "  b: {graph: graphs/iris.yaml, traffic: 50}\n",
        "  a: {graph: graphs/main.yaml, traffic: 0}\n  b: {graph: graphs/next.yaml, traffic: 100}\n"
        "  s: {graph: graphs/iris.yaml, shadow: true}\n",
        "  main: {graph: graphs/iris.yaml, explainer: {type: AnchorText}}\n",
    ],
    ids=["single", "ab", "zero-and-shadow", "explainer-without-uri"],
)
def test_compiled_deployments_pass_seldons_crd_and_webhook(
    root: Path, predictors: str, crd_schema: dict[str, Any]
) -> None:
    dep = write(root, "deploy.yaml", f"deployment: rollout\npredictors:\n{predictors}")
    findings = check_object(seldon_graphs.load_deployment(dep).manifest(), crd_schema=crd_schema)
    assert [f.message for f in findings] == []


def test_the_example_passes_seldons_crd_and_webhook(crd_schema: dict[str, Any]) -> None:
    sdep = seldon_graphs.load_deployment(IRIS_CANARY).manifest()
    assert [p["name"] for p in sdep["spec"]["predictors"]] == ["main", "canary", "mirror"]
    assert check_object(sdep, crd_schema=crd_schema) == []


@pytest.fixture
def crd_schema() -> dict[str, Any]:
    from seldon_graphs.manifest.crd import load_crd_schema
    from tests.helpers import CRD_FILE, NO_SHARED, missing

    if not CRD_FILE.exists():
        missing(NO_SHARED)
    schema: dict[str, Any] = load_crd_schema(CRD_FILE)
    return schema


def test_load_deployment_raises_with_every_problem(root: Path) -> None:
    dep = write(
        root,
        "deploy.yaml",
        "deployment: rollout\npredictors:\n  a: {graph: graphs/main.yaml, traffic: 60}\n"
        "  b: {graph: graphs/gone.yaml, traffic: 30}\n",
    )
    with pytest.raises(seldon_graphs.GraphError) as caught:
        seldon_graphs.load_deployment(dep)
    assert [(d.line, d.col, d.rule) for d in caught.value.diagnostics] == [
        (2, 1, "deploy-traffic"),
        (4, 14, "missing-file"),
    ]


def test_a_graph_files_problems_are_reported_at_its_own_lines(root: Path) -> None:
    bad = GRAPH.format(name="next-graph", extra="").replace(
        "b: {python: models.py:Model}", "b: {python: models.py:Nope}"
    )
    write(root, "graphs/next.yaml", bad)
    result = seldon_graphs.analyze_deployment(write(root, "deploy.yaml", CANARY_FILE))
    assert not result.ok
    where = [(Path(d.file).name, d.line, d.col, d.rule) for d in result.diagnostics]
    # Used by two predictors, reported once; each predictor's `graph:` points at it.
    assert where == [
        ("deploy.yaml", 13, 19, "graph-errors"),
        ("deploy.yaml", 14, 19, "graph-errors"),
        ("next.yaml", 5, 15, "missing-class"),
    ]
    assert "next.yaml:5:15: error: " in result.render()


# --- the command line -------------------------------------------------------------------


def test_validate_counts_predictors_and_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(IRIS_CANARY)]) == 0
    assert capsys.readouterr().out.endswith("iris-canary.yaml: ok (3 predictors, 3 nodes)\n")


def test_validate_reports_problems_as_json(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dep = write(
        root,
        "deploy.yaml",
        "deployment: r\npredictors:\n  a: {graph: graphs/main.yaml, traffic: 7}\n",
    )
    assert main(["validate", "--format", "json", str(dep)]) == 1
    records = json.loads(capsys.readouterr().out)
    assert [(r["line"], r["column"], r["rule"]) for r in records] == [(3, 41, "deploy-traffic")]


def test_compile_writes_the_manifest_and_each_predictors_contexts(
    root: Path, tmp_path: Path
) -> None:
    dep = write(root, "deploy.yaml", CANARY_FILE)
    out = tmp_path / "out"
    assert main(["compile", str(dep), "-o", str(out)]) == 0
    folder = out / "rollout"
    written = sorted(p.name for p in folder.iterdir())
    assert written == [MARKER, "canary", "main", "mirror", "seldondeployment.yaml"]
    for predictor in ("main", "canary", "mirror"):
        assert {p.name for p in (folder / predictor).iterdir()} == {"a", "b", "mix"}
    sdep = yaml.safe_load((folder / "seldondeployment.yaml").read_text())
    assert sdep == seldon_graphs.load_deployment(dep).manifest()


def test_compile_of_a_bad_deployment_writes_nothing(root: Path, tmp_path: Path) -> None:
    dep = write(root, "deploy.yaml", CANARY_FILE.replace("traffic: 10", "traffic: 11"))
    out = tmp_path / "out"
    assert main(["compile", str(dep), "-o", str(out)]) == 1
    assert not out.exists()


def test_explain_shows_each_predictors_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(IRIS_CANARY)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "iris: protocol seldon, transport rest, 3 predictors"
    assert [line for line in out if line.startswith("predictor ")] == [
        "predictor main: traffic 90%, graph graphs/iris.yaml",
        "predictor canary: traffic 10%, graph graphs/iris-v2.yaml",
        "predictor mirror: shadow (a copy of every request), graph written inline",
    ]


def test_deploy_checks_the_explainers_secret_exists(root: Path) -> None:
    """preflight looks for every Secret the manifest names: the explainer's too."""
    from seldon_graphs.deploy.preflight import referenced_secrets

    sdep = seldon_graphs.load_deployment(write(root, "deploy.yaml", CANARY_FILE)).manifest()
    assert list(referenced_secrets(sdep)) == ["minio"]


def test_predict_and_graph_take_graph_files_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(IRIS_CANARY), "--data", "[[1, 2]]"]) == 2
    assert "is a deployment file; `predict` sends a request through one graph" in (
        capsys.readouterr().err
    )
    assert main(["graph", str(IRIS_CANARY)]) == 2
    assert "is a deployment file; `graph` draws one graph" in capsys.readouterr().err


def test_schema_prints_the_deployment_files_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--deployment"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["required"] == ["deployment", "predictors"]
    assert schema == json.loads(
        (REPO / "seldon_graphs" / "schema" / "deployment.schema.json").read_text()
    )
