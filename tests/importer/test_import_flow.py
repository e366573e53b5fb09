"""Seldon trees read back as flows: every shape the lowering produces comes back exactly
(compiled, the operator sees the same deployment), with the flow and kinds a person would
write; trees no flow lowers to are errors at their place in the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .builders import comes_back, graph_file, run_import, sdep, unit

M, T, OT, R, C = "MODEL", "TRANSFORMER", "OUTPUT_TRANSFORMER", "ROUTER", "COMBINER"

SHAPES: dict[str, tuple[dict[str, Any], str, dict[str, str]]] = {
    "single model": (unit("m", M), "m", {}),
    "untyped model (defaulted)": (unit("m"), "m", {}),
    "transformer chain": (
        unit("t1", T, unit("t2", T, unit("m", M))),
        "t1 -> t2 -> m",
        {"t1": "transformer", "t2": "transformer"},
    ),
    "model feeding a model": (unit("a", M, unit("b", M)), "a -> b", {}),
    "transformer leaf": (unit("t", T), "t", {"t": "transformer"}),
    "output transformers stacked": (
        unit("o2", OT, unit("o1", OT, unit("m", M))),
        "m -> o1 -> o2",
        {"o1": "output_transformer", "o2": "output_transformer"},
    ),
    "combiner of branches": (
        unit("c", C, unit("a", M), unit("b", M), unit("d", M)),
        "[a, b, d] -> c",
        {"c": "combiner"},
    ),
    "combiner of chains": (
        unit("c", C, unit("t", T, unit("a", M)), unit("b", M)),
        "[t -> a, b] -> c",
        {"c": "combiner", "t": "transformer"},
    ),
    "combiner of combiners": (
        unit("c", C, unit("k", C, unit("a", M), unit("b", M)), unit("d", M)),
        "[[a, b] -> k, d] -> c",
        {"c": "combiner", "k": "combiner"},
    ),
    "combiner of one router": (
        unit("c", C, unit("r", R, unit("a", M), unit("b", M))),
        "r -> [a, b] -> c",
        {"c": "combiner", "r": "router"},
    ),
    "transformer, then a combiner": (
        unit("t", T, unit("c", C, unit("a", M), unit("b", M))),
        "t -> [a, b] -> c",
        {"t": "transformer", "c": "combiner"},
    ),
    "router of chains and an ensemble": (
        unit("r", R, unit("t", T, unit("a", M)), unit("c", C, unit("b", M), unit("d", M))),
        "r -> [t -> a, [b, d] -> c]",
        {"r": "router", "t": "transformer", "c": "combiner"},
    ),
    "router of one branch": (unit("r", R, unit("a", M)), "r -> a", {"r": "router"}),
    "output transformer over a router": (
        unit("o", OT, unit("r", R, unit("a", M), unit("b", M))),
        "r -> [a, b] -> o",
        {"o": "output_transformer", "r": "router"},
    ),
    "model into a router": (
        unit("m", M, unit("r", R, unit("a", M), unit("b", M))),
        "m -> r -> [a, b]",
        {"r": "router"},
    ),
    "output transformer on one arm": (
        unit("r", R, unit("o", OT, unit("a", M)), unit("b", M)),
        "r -> [a -> o, b]",
        {"r": "router", "o": "output_transformer"},
    ),
    "combiner of a wrapped router and a model": (
        unit("c", C, unit("o", OT, unit("r", R, unit("a", M), unit("b", M))), unit("d", M)),
        "[r -> [a, b] -> o, d] -> c",
        {"c": "combiner", "o": "output_transformer", "r": "router"},
    ),
    "the full pipeline": (
        unit("o", OT, unit("t", T, unit("c", C, unit("a", M), unit("b", M)))),
        "t -> [a, b] -> c -> o",
        {"o": "output_transformer", "t": "transformer", "c": "combiner"},
    ),
}


@pytest.mark.parametrize("graph,flow,kinds", SHAPES.values(), ids=SHAPES.keys())
def test_shapes_come_back(
    graph: dict[str, Any], flow: str, kinds: dict[str, str], tmp_path: Path
) -> None:
    written = graph_file(comes_back(sdep(graph), tmp_path))
    assert written["flow"] == flow
    stated = {n: e["kind"] for n, e in written["nodes"].items() if "kind" in e}
    assert stated == kinds


def test_builtins_and_servers(tmp_path: Path) -> None:
    graph = unit(
        "t",
        T,
        unit(
            "ab",
            None,
            unit("lr", None, implementation="SKLEARN_SERVER", modelUri="s3://m/lr"),
            unit("avg", None, unit("a", M), unit("b", M), implementation="AVERAGE_COMBINER"),
            implementation="RANDOM_ABTEST",
            parameters=[{"name": "ratioA", "value": "0.5", "type": "FLOAT"}],
        ),
    )
    written = graph_file(comes_back(sdep(graph), tmp_path))
    assert written["flow"] == "t -> ab -> [lr, [a, b] -> avg]"
    assert written["nodes"]["ab"] == {"builtin": "random-abtest", "params": {"ratioA": 0.5}}
    assert written["nodes"]["avg"] == {"builtin": "average-combiner"}
    assert written["nodes"]["lr"] == {"server": "sklearn", "model_uri": "s3://m/lr"}


def test_server_fields_and_image_override(tmp_path: Path) -> None:
    graph = unit(
        "lr",
        None,
        implementation="XGBOOST_SERVER",
        modelUri="gs://m/xgb",
        envSecretRefName="minio",
        serviceAccountName="puller",
        logger={"mode": "all", "url": "http://logs"},
    )
    obj = sdep(graph, containers={"lr": {"image": "mine/xgb:2"}})
    written = graph_file(comes_back(obj, tmp_path))
    assert written["nodes"]["lr"] == {
        "server": "xgboost",
        "image": "mine/xgb:2",
        "model_uri": "gs://m/xgb",
        "secret": "minio",
        "service_account": "puller",
        "logger": {"mode": "all", "url": "http://logs"},
    }


PARAMS = [
    ({"name": "n", "value": "3", "type": "INT"}, 3),
    ({"name": "x", "value": "0.25", "type": "FLOAT"}, 0.25),
    ({"name": "x", "value": "1", "type": "FLOAT"}, {"value": "1", "type": "FLOAT"}),
    ({"name": "f", "value": "true", "type": "BOOL"}, True),
    ({"name": "f", "value": "1", "type": "BOOL"}, {"value": "1", "type": "BOOL"}),
    ({"name": "d", "value": "0.5", "type": "DOUBLE"}, {"value": "0.5", "type": "DOUBLE"}),
    ({"name": "s", "value": "007", "type": "STRING"}, "007"),
    ({"name": "s", "value": "a:b", "type": "STRING"}, "a:b"),
    ({"name": "n", "value": "+5", "type": "INT"}, {"value": "+5", "type": "INT"}),
]


@pytest.mark.parametrize(
    "param,written", PARAMS, ids=[f"{p['type']}-{p['value']}" for p, _ in PARAMS]
)
def test_parameters_typed(param: dict[str, str], written: Any, tmp_path: Path) -> None:
    out = graph_file(comes_back(sdep(unit("m", M, parameters=[param])), tmp_path))
    assert out["nodes"]["m"]["params"] == {param["name"]: written}


def test_container_fields(tmp_path: Path) -> None:
    container = {
        "env": [
            {"name": "MODE", "value": "fast"},
            {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}},
            {"name": "LEVEL", "value": "2"},
        ],
        "resources": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"memory": "1Gi", "nvidia.com/gpu": 1},
        },
        "imagePullPolicy": "IfNotPresent",
    }
    out = graph_file(comes_back(sdep(unit("m", M), containers={"m": container}), tmp_path))
    assert out["nodes"]["m"] == {
        "image": "img/m:1",
        "env": {"MODE": "fast", "LEVEL": "2"},
        "secret_env": {"DB": "db/url"},
        "resources": {"cpu": "500m", "memory": "1Gi", "gpu": 1},
    }


def test_transport_from_endpoint_types(tmp_path: Path) -> None:
    graph = unit("t", T, unit("m", M, endpoint={"type": "GRPC"}), endpoint={"type": "GRPC"})
    assert graph_file(comes_back(sdep(graph), tmp_path))["transport"] == "grpc"


def test_protocol_and_annotations(tmp_path: Path) -> None:
    graph = unit("m", None, implementation="SKLEARN_SERVER", modelUri="s3://m")
    obj = sdep(graph, protocol="v2", annotations={"seldon.io/rest-timeout": "5000"})
    out = graph_file(comes_back(obj, tmp_path))
    assert (out["protocol"], out["annotations"]) == ("v2", {"seldon.io/rest-timeout": "5000"})


INEXPRESSIBLE = {
    "model with two children": (
        unit("m", M, unit("a", M), unit("b", M)),
        "spec.predictors[0].graph.children: `m` has 2 children but is not a combiner or router",
    ),
    "combiner without children": (
        unit("c", C),
        "spec.predictors[0].graph: combiner `c` has no children to combine",
    ),
    "a name twice": (
        unit("t", T, unit("t", M)),
        "spec.predictors[0].graph.children[0].name: a second node named `t`",
    ),
    "custom server": (
        unit("m", None, implementation="MY_SERVER", modelUri="s3://m"),
        "spec.predictors[0].graph.implementation: custom server `MY_SERVER`",
    ),
    "combiner over one chain (a flow puts the chain's head above it)": (
        unit("c", C, unit("x", T, unit("y", M))),
        "spec.predictors[0].graph: no graph-file flow lowers back to this tree",
    ),
    "transformer over an output transformer": (
        unit("t", T, unit("o", OT, unit("m", M))),
        "spec.predictors[0].graph: no graph-file flow lowers back to this tree",
    ),
    "unknown type": (
        unit("t", "TRANSFORMER", unit("m", "MODELL")),
        "spec.predictors[0].graph.children[0].type: type `MODELL` is not one Seldon knows",
    ),
}


@pytest.mark.parametrize("graph,message", INEXPRESSIBLE.values(), ids=INEXPRESSIBLE.keys())
def test_inexpressible_trees(graph: dict[str, Any], message: str, tmp_path: Path) -> None:
    outcome = run_import(sdep(graph), tmp_path)
    errors = [d for d in outcome.diagnostics if d.is_error]
    assert [d.rule for d in errors] == ["import-inexpressible"]
    assert message in errors[0].message
    assert outcome.files == {}


def test_container_without_image_is_inexpressible(tmp_path: Path) -> None:
    outcome = run_import(sdep(unit("m", M), images=False), tmp_path)
    assert [d.message for d in outcome.diagnostics if d.is_error] == [
        "spec.predictors[0].graph.name: node `m` has no container image to run"
    ]


def test_graph_that_would_not_compile_is_an_error(tmp_path: Path) -> None:
    """seldon-core cannot start with `0x10` as an INT: the written graph says so, and the
    error is reported in it (the import fails, so the CLI writes nothing)."""
    param = {"name": "n", "value": "0x10", "type": "INT"}
    outcome = run_import(sdep(unit("m", M, parameters=[param])), tmp_path)
    assert outcome.failed
    assert [(Path(d.file).name, d.rule) for d in outcome.diagnostics] == [
        ("demo.yaml", "bad-param")
    ]
