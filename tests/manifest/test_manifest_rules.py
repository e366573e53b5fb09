"""The extra rules: what Seldon's webhook accepts but breaks or surprises later."""

from __future__ import annotations

from typing import Any

import pytest

from seldon_graphs.manifest import Finding, check_object
from seldon_graphs.manifest.rules import check, seldon_hash_name

from .conftest import predictor, sdep


def rules(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in check(obj)]


def only(obj: dict[str, Any], rule: str) -> list[Finding]:
    return [f for f in check(obj) if f.rule == rule]


def chain(depth: int) -> dict[str, Any]:
    graph: dict[str, Any] = {"name": f"n{depth}", "type": "MODEL"}
    for i in range(depth - 1, 0, -1):
        graph = {"name": f"n{i}", "type": "TRANSFORMER", "children": [graph]}
    return graph


def test_valid_deployment_has_no_findings() -> None:
    assert check(sdep()) == []


@pytest.mark.parametrize("name", ["My-Model", "model_1", "-model", "a" * 64, "model."])
def test_names_must_be_dns_labels(name: str) -> None:
    obj = sdep(predictor(graph={"name": name, "type": "MODEL"}))
    found = only(obj, "dns-1123-name")
    assert len(found) == 1 and found[0].severity == "error"
    assert found[0].path == ("spec", "predictors", 0, "graph", "name")
    obj["spec"]["predictors"][0]["name"] = name
    assert len(only(obj, "dns-1123-name")) == 2


@pytest.mark.parametrize(
    ("name", "bad"),
    [("a" * 64, False), ("my.model", True), ("My-Model", True), ("-x", True), ("x" * 254, True)],
)
def test_seldondeployment_name(name: str, bad: bool) -> None:
    obj = sdep()
    obj["metadata"]["name"] = name
    found = only(obj, "dns-1123-name")
    assert bool(found) is bad
    assert all(f.path == ("metadata", "name") for f in found)


def test_missing_image() -> None:
    p = predictor()
    del p["componentSpecs"][0]["spec"]["containers"][0]["image"]
    assert rules(sdep(p)) == [("missing-image", "error")]
    server = {"name": "classifier", "implementation": "SKLEARN_SERVER", "modelUri": "s3://m"}
    p["graph"] = server  # the operator fills in a server's image
    assert rules(sdep(p)) == []


def test_sidecar_container_names_are_checked_too() -> None:
    p = predictor()
    p["componentSpecs"][0]["spec"]["containers"].append({"name": "Side_car", "image": "x"})
    found = only(sdep(p), "dns-1123-name")
    assert [f.path[-3:] for f in found] == [("containers", 1, "name")]


def test_missing_metadata_name() -> None:
    obj = sdep()
    del obj["metadata"]["name"]
    assert rules(obj) == [("missing-name", "error")]
    obj["metadata"]["generateName"] = "mydep-"
    assert rules(obj) == []


def test_long_service_and_deployment_names_warn_with_the_operators_replacement() -> None:
    node = "a-rather-long-container-name-for-a-model"
    obj = sdep(predictor(name="a-long-predictor-name", graph={"name": node, "type": "MODEL"}))
    found = check(obj)
    assert [(f.rule, f.severity) for f in found] == [
        ("service-name-length", "warning"),
        ("deployment-name-length", "warning"),
    ]
    svc = f"mydep-a-long-predictor-name-{node}"
    assert seldon_hash_name(svc) in found[0].message and len(svc) > 63
    assert seldon_hash_name(svc).startswith("seldon-") and len(seldon_hash_name(svc)) == 39
    assert f"mydep-a-long-predictor-name-0-{node}" in found[1].message


def test_predictor_service_name_and_svc_name_annotation() -> None:
    obj = sdep(predictor(name="p" * 60))
    assert ("service-name-length", "warning") in rules(obj)
    obj["spec"]["predictors"][0]["annotations"] = {"seldon.io/svc-name": "short"}
    obj["spec"]["predictors"][0]["componentSpecs"][0]["metadata"] = {"name": "x"}
    found = only(obj, "service-name-length")
    assert all("-classifier" in f.message for f in found)  # only the container's Service


def test_depth_over_11_is_an_error_at_the_pruned_children() -> None:
    assert only(sdep(predictor(graph=chain(11))), "graph-depth") == []
    found = only(sdep(predictor(graph=chain(13))), "graph-depth")
    assert len(found) == 1 and found[0].severity == "error"
    assert "13 levels deep" in found[0].message and "(2 nodes)" in found[0].message
    assert found[0].path == ("spec", "predictors", 0, "graph", *("children", 0) * 10, "children")


def test_deep_graphs_do_not_hit_the_recursion_limit() -> None:
    obj = sdep(predictor(graph=chain(5000)))
    found = check_object(obj)
    assert {f.rule for f in found} == {"graph-depth", "deployment-name-length"}


def test_duplicate_node_names() -> None:
    graph = {
        "name": "combiner",
        "type": "COMBINER",
        "children": [{"name": "m", "type": "MODEL"}, {"name": "m", "type": "MODEL"}],
    }
    found = only(sdep(predictor(graph=graph, containers=("combiner", "m"))), "duplicate-node-name")
    assert len(found) == 1
    assert found[0].path[-3:] == ("children", 1, "name")
    assert "spec.predictors[0].graph[0]" in found[0].message


def test_duplicate_container_in_one_pod() -> None:
    p = predictor(containers=("classifier", "classifier"))
    assert ("duplicate-container", "error") in rules(sdep(p))


@pytest.mark.parametrize(
    ("field", "value", "rule", "hint"),
    [
        ("type", "MODELL", "unknown-type", "MODEL"),
        ("type", "model", "unknown-type", "MODEL"),
        ("methods", ["TRANSFORM_IPNUT"], "unknown-method", "TRANSFORM_INPUT"),
        ("endpoint", {"type": "HTTP"}, "unknown-endpoint-type", "REST"),
        ("logger", {"mode": "requests"}, "logger-mode", "request"),
    ],
)
def test_unknown_strings(field: str, value: Any, rule: str, hint: str) -> None:
    graph = {"name": "classifier", field: value}
    found = only(sdep(predictor(graph=graph)), rule)
    assert len(found) == 1 and found[0].severity == "error"
    assert found[0].help is not None and hint in found[0].help


def test_methods_asking_for_predict_warns() -> None:
    graph = {"name": "classifier", "methods": ["PREDICT"]}
    assert rules(sdep(predictor(graph=graph))) == [("methods-predict", "warning")]


def test_engine_needs_a_graph_container_in_the_first_component_spec() -> None:
    p = predictor(graph={"name": "classifier"}, containers=("sidecar",))
    p["componentSpecs"].append({"spec": {"containers": [{"name": "classifier", "image": "x"}]}})
    assert ("engine-placement", "error") in rules(sdep(p))
    p["annotations"] = {"seldon.io/no-engine": "true"}
    assert ("engine-placement", "error") not in rules(sdep(p))
    del p["annotations"]
    obj = sdep(p, annotations={"seldon.io/engine-separate-pod": "true"})
    assert ("engine-placement", "error") not in rules(obj)


def test_engine_placement_is_fine_when_a_server_is_added_to_the_first_pod() -> None:
    graph = {"name": "clf", "implementation": "SKLEARN_SERVER", "modelUri": "gs://m"}
    p = predictor(graph=graph)
    p["componentSpecs"] = []
    assert rules(sdep(p)) == []


@pytest.mark.parametrize(
    ("ptype", "value", "ok"),
    [
        ("INT", "3", True),
        ("INT", "3.5", False),
        ("FLOAT", "0.5", True),
        ("DOUBLE", "1e3", True),
        ("FLOAT", "half", False),
        ("BOOL", "true", True),
        ("BOOL", "Yes", True),
        ("BOOL", "maybe", False),
        ("STRING", "anything", True),
    ],
)
def test_parameter_values_parse_as_the_wrapper_parses_them(
    ptype: str, value: str, ok: bool
) -> None:
    graph = {"name": "classifier", "parameters": [{"name": "p", "value": value, "type": ptype}]}
    found = only(sdep(predictor(graph=graph)), "parameter-value")
    assert (found == []) is ok


def test_parameter_types_and_unquoted_values() -> None:
    graph = {
        "name": "classifier",
        "parameters": [
            {"name": "a", "value": "1", "type": "int"},
            {"name": "b", "value": 1, "type": "INT"},
        ],
    }
    found = check(sdep(predictor(graph=graph)))
    assert [(f.rule, f.path[-1]) for f in found] == [
        ("parameter-type", "type"),
        ("parameter-value", "value"),
    ]
    assert found[0].help == "did you mean `INT`?"
    assert found[1].help == 'quote it: "1"'


@pytest.mark.parametrize(
    ("impl", "protocol", "bad"),
    [
        ("TRITON_SERVER", "seldon", True),
        ("TRITON_SERVER", "", True),
        ("TRITON_SERVER", "v2", False),
        ("HUGGINGFACE_SERVER", "kfserving", False),
        ("TEMPO_SERVER", "seldon", True),
        ("TENSORFLOW_SERVER", "v2", True),
        ("TENSORFLOW_SERVER", "tensorflow", False),
        ("SKLEARN_SERVER", "v2", False),
    ],
)
def test_protocol_server_compatibility(impl: str, protocol: str, bad: bool) -> None:
    graph = {"name": "m", "implementation": impl, "modelUri": "s3://b/m"}
    spec = {"protocol": protocol} if protocol else {}
    found = only(sdep(predictor(graph=graph), **spec), "protocol-server")
    assert bool(found) is bad


def test_sklearn_with_tensorflow_is_left_to_the_webhook() -> None:
    graph = {"name": "m", "implementation": "SKLEARN_SERVER", "modelUri": "s3://b/m"}
    found = check_object(sdep(predictor(graph=graph), protocol="tensorflow"))
    assert [f.rule for f in found] == ["webhook-server-protocol"]


def test_a_server_with_its_own_image_is_not_held_to_the_default_images() -> None:
    graph = {"name": "m", "implementation": "TRITON_SERVER", "modelUri": "s3://b/m"}
    assert only(sdep(predictor(graph=graph, containers=("m",))), "protocol-server") == []


@pytest.mark.parametrize(
    ("ptype", "severity"),
    [("ROUTER", "error"), ("COMBINER", "error"), ("TRANSFORMER", "warning")],
)
def test_v2_and_tensorflow_protocols_with_seldon_roles(ptype: str, severity: str) -> None:
    graph = {"name": "a", "type": ptype, "children": [{"name": "b"}, {"name": "c"}]}
    for protocol in ("v2", "tensorflow", "kfserving"):
        found = only(sdep(predictor(graph=graph), protocol=protocol), "protocol-graph")
        assert [f.severity for f in found] == [severity]
    assert only(sdep(predictor(graph=graph)), "protocol-graph") == []


@pytest.mark.parametrize("impl", ["AVERAGE_COMBINER", "SIMPLE_MODEL", "SIMPLE_ROUTER"])
def test_builtins_the_go_executor_lacks(impl: str) -> None:
    graph = {"name": "x", "implementation": impl, "children": [{"name": "a"}, {"name": "b"}]}
    assert rules(sdep(predictor(graph=graph))) == [("unimplemented-builtin", "warning")]


def test_several_children_without_a_combiner() -> None:
    graph = {"name": "t", "type": "TRANSFORMER", "children": [{"name": "a"}, {"name": "b"}]}
    found = only(sdep(predictor(graph=graph)), "multi-child")
    assert len(found) == 1 and found[0].severity == "warning"
    for ok in ({"type": "COMBINER"}, {"type": "ROUTER"}, {"methods": ["AGGREGATE"]}):
        g = {**graph, **ok}
        g.pop("type") if "methods" in ok else None
        assert only(sdep(predictor(graph=g)), "multi-child") == []


@pytest.mark.parametrize("ptype", ["ROUTER", "COMBINER"])
def test_routers_and_combiners_without_children_pass_through(ptype: str) -> None:
    assert rules(sdep(predictor(graph={"name": "x", "type": ptype}))) == [
        ("pass-through", "warning")
    ]


def test_random_abtest_children() -> None:
    def ab(n: int) -> dict[str, Any]:
        kids = [{"name": f"m{i}"} for i in range(n)]
        return {"name": "ab", "implementation": "RANDOM_ABTEST", "children": kids}

    assert rules(sdep(predictor(graph=ab(2)))) == []
    assert rules(sdep(predictor(graph=ab(1)))) == [("random-abtest-children", "error")]
    assert rules(sdep(predictor(graph=ab(3)))) == [("random-abtest-children", "warning")]
    assert ("pass-through", "warning") in rules(sdep(predictor(graph=ab(0))))


def test_missing_graph_is_one_error() -> None:
    p = predictor()
    del p["graph"]
    assert [(f.rule, f.path) for f in check_object(sdep(p))] == [
        ("missing-graph", ("spec", "predictors", 0))
    ]


def test_two_downloads_into_one_directory() -> None:
    """The walkthrough's chapter 6: both models land in the same /mnt/models emptyDir."""

    def init(name: str, volume: str = "models", sub: str = "") -> dict[str, Any]:
        mount = {"name": volume, "mountPath": "/mnt/models", "subPath": sub}
        return {
            "name": name,
            "image": "init",
            "args": [f"s3://b/{name}", "/mnt/models"],
            "volumeMounts": [mount],
        }

    p = predictor()
    pod = p["componentSpecs"][0]["spec"]
    pod["initContainers"] = [init("a"), init("b")]
    found = only(sdep(p), "shared-model-dir")
    assert len(found) == 1 and found[0].path[-3:] == ("initContainers", 1, "args")
    pod["initContainers"] = [init("a", sub="a"), init("b", sub="b")]
    assert only(sdep(p), "shared-model-dir") == []
    pod["initContainers"] = [init("a", volume="va"), init("b", volume="vb")]
    assert only(sdep(p), "shared-model-dir") == []
