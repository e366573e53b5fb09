"""The in-process runtime: user classes through seldon_core's own request handling."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from urllib3 import encode_multipart_formdata

from seldon_graphs.runtime import servers
from seldon_graphs.runtime.inprocess import InProcessGraph
from seldon_graphs.runtime.nodes import NodeSetupError
from seldon_graphs.runtime.walk import ExecutorError

from .graphs import (
    NODES,
    OT,
    C,
    M,
    T,
    U,
    builtin,
    graph,
    py,
    server,
    tags_chain,
    tags_combiner,
    tree,
)

X = {"data": {"ndarray": [[1.0, 2.0]]}}


def test_tags_chain_one_then_two():  # seldon-core testing/scripts/test_tags.py
    out = InProcessGraph(*tags_chain()).predict(X)
    assert out["data"]["ndarray"] == ["model-2"]
    assert out["meta"]["tags"] == {"common": 2, "model-1": "yes", "model-2": "yes"}


def test_tags_combiner():
    out = InProcessGraph(*tags_combiner()).predict(X)
    assert out["data"]["ndarray"] == [["model-1"], ["model-2"]]
    assert out["meta"]["tags"] == {
        "combiner": "yes",
        "common": 2,
        "model-1": "yes",
        "model-2": "yes",
    }


def test_request_path_names_every_node_with_its_image():
    out = InProcessGraph(*tags_chain()).predict(X)
    assert set(out["meta"]["requestPath"]) == {"one", "two"}


def affine_chain() -> tuple[object, object]:
    """out (+100) <- tin (+1) <- model (*10): every role served by a plain predict class."""
    spec = graph(
        "affine",
        [
            py("tin", f"{NODES}/Affine.py", "Affine", {"name": "tin", "add": 1.0}),
            py("model", f"{NODES}/Affine.py", "Affine", {"name": "model", "mul": 10}),
            py("out", f"{NODES}/Affine.py", "Affine", {"name": "out", "add": 100.0}),
        ],
    )
    return spec, tree("out", OT, tree("tin", T, tree("model", M)))


def test_roles_parameters_and_order():
    out = InProcessGraph(*affine_chain()).predict(X)  # type: ignore[arg-type]
    assert out["data"]["ndarray"] == [[120.0, 130.0]]  # ((x + 1) * 10) + 100
    assert out["meta"]["tags"]["last"] == "out"


def test_fakes_replace_nodes_and_keep_their_state():
    class FakeModel:
        def __init__(self) -> None:
            self.seen: list[object] = []

        def predict(self, X: object, names: object) -> object:
            self.seen.append(np.asarray(X).tolist())
            return [[42.0]]

    fake = FakeModel()
    spec, t = affine_chain()
    out = InProcessGraph(spec, t, overrides={"model": fake}).predict(X)  # type: ignore[arg-type]
    assert out["data"]["ndarray"] == [[142.0]]
    assert fake.seen == [[[2.0, 3.0]]]


def test_a_function_can_be_a_fake():
    spec, t = affine_chain()
    g = InProcessGraph(spec, t, overrides={"model": lambda X: X * 0})  # type: ignore[arg-type]
    assert g.predict(X)["data"]["ndarray"] == [[100.0, 100.0]]


def test_unknown_override_is_an_error():
    with pytest.raises(KeyError, match="nope"):
        InProcessGraph(*tags_chain(), overrides={"nope": object()})


@pytest.mark.parametrize(
    ("status", "reason"), [(409, "MICROSERVICE_BAD_DATA"), (500, "MICROSERVICE_INTERNAL_ERROR")]
)
def test_node_errors_have_the_wrappers_status_and_body(status: int, reason: str):
    spec = graph("fail", [py("bad", f"{NODES}/Failing.py", "Failing", {"status": status})])
    with pytest.raises(ExecutorError) as err:
        InProcessGraph(spec, tree("bad", M)).predict(X)
    assert err.value.status == status
    assert json.loads(err.value.body) == {
        "status": {"code": -1, "info": "model says no", "reason": reason, "status": 1}
    }


def test_non_json_is_refused_like_the_wrapper():
    g = InProcessGraph(*tags_chain())
    reply = g.nodes["one"].handle("/predict", b"not json")
    assert reply.status == 400
    assert json.loads(reply.payload.body)["status"]["info"] == "Can't find JSON in data"


FORM = "application/x-www-form-urlencoded"
JSON_X = json.dumps(X)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", JSON_X.encode(), 200),
        ("application/json; charset=utf-8", JSON_X.encode(), 200),
        ("application/problem+json", JSON_X.encode(), 200),  # werkzeug's is_json
        (FORM, urlencode({"json": JSON_X}).encode(), 200),
        (FORM, urlencode({"data": JSON_X}).encode(), 400),  # only `json=` is read
        ("text/plain", JSON_X.encode(), 400),
        ("", JSON_X.encode(), 400),  # what Go forwards when the client sent none
        ("application/json", b"null", 400),
        ("application/json", b"[" * 100_000, 500),  # the wrapper's generic 500
    ],
)
def test_a_node_reads_each_content_type_as_its_wrapper_does(
    content_type: str, body: bytes, status: int
):
    reply = InProcessGraph(*tags_chain()).nodes["one"].handle("/predict", body, content_type)
    assert reply.status == status
    if status == 200:
        assert json.loads(reply.payload.body)["data"]["ndarray"] == ["model-1"]
    elif status == 400:
        assert json.loads(reply.payload.body)["status"]["info"] == "Can't find JSON in data"


def test_multipart_fields_and_files_are_read_as_the_wrapper_reads_them():
    body, content_type = encode_multipart_formdata(
        {"data": json.dumps({"ndarray": [[3.0]]}), "meta": json.dumps({"tags": {"t": 1}})}
    )
    spec = graph("mp", [py("m", f"{NODES}/Affine.py", "Affine", {"name": "m", "mul": 2})])
    reply = InProcessGraph(spec, tree("m", M)).nodes["m"].handle("/predict", body, content_type)
    out = json.loads(reply.payload.body)
    assert reply.status == 200 and out["data"]["ndarray"] == [[6.0]]
    assert out["meta"]["tags"] == {"last": "m", "m": "yes", "t": 1}


def builtin_graph(shape: str) -> InProcessGraph:
    """avg (AVERAGE_COMBINER) -> [a, b], with the type the compiler used to write, or none."""
    spec = graph(
        "bi",
        [
            builtin("avg", "AVERAGE_COMBINER"),
            py("a", f"{NODES}/Affine.py", "Affine", {"name": "a", "mul": 10}),
            py("b", f"{NODES}/Affine.py", "Affine", {"name": "b", "add": 1}),
        ],
    )
    role = C if shape == "typed" else U
    return InProcessGraph(
        spec, tree("avg", role, tree("a", M), tree("b", M), impl="AVERAGE_COMBINER")
    )


@pytest.mark.parametrize("shape", ["typed", "typeless"])
def test_builtins_run_in_process_as_go_runs_them(shape: str):
    out = builtin_graph(shape).predict(X)
    assert out["data"]["ndarray"] == [[10.0, 20.0]]  # the first child's output, not an average
    assert out["meta"]["tags"] == {"a": "yes", "last": "a"}
    assert set(builtin_graph(shape).nodes) == {"a", "b"}


@pytest.mark.parametrize("impl", ["SIMPLE_MODEL", "SIMPLE_ROUTER", "AVERAGE_COMBINER"])
def test_a_lone_builtin_answers_with_the_request(impl: str):
    spec = graph("lone", [builtin("x", impl)])
    request = {"data": {"ndarray": [[1, 2]]}, "meta": {"tags": {"k": "v"}}}
    assert InProcessGraph(spec, tree("x", M, impl=impl)).predict(request) == request


def test_feedback_reaches_the_routed_child(tmp_path: Path):
    record = tmp_path / "calls.jsonl"
    spec = graph(
        "fb",
        [
            py("r", f"{NODES}/Router.py", "Router", {"route": 1}),
            py("a", f"{NODES}/Recorder.py", "Recorder", {"name": "a", "record": str(record)}),
            py("b", f"{NODES}/Recorder.py", "Recorder", {"name": "b", "record": str(record)}),
        ],
    )
    from .graphs import R

    g = InProcessGraph(spec, tree("r", R, tree("a", M), tree("b", M)))
    out = g.feedback({"request": X, "response": {"meta": {"routing": {"r": 1}}}, "reward": 0.5})
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    assert calls == [{"node": "b", "event": "feedback", "reward": 0.5, "routing": None}]
    assert out["data"]["ndarray"] == [[0.5, 1]]  # the router's send_feedback saw routing 1


def test_sklearn_server_from_a_local_folder(iris_dir: Path):
    spec = graph("iris", [server("classifier", "SKLEARN_SERVER", None)])
    g = InProcessGraph(spec, tree("classifier", M, impl="SKLEARN_SERVER"),
                       model_uris={"classifier": str(iris_dir)})  # fmt: skip
    proba = g.predict({"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}})["data"]["ndarray"]
    assert len(proba[0]) == 3 and abs(sum(proba[0]) - 1) < 1e-6 and proba[0][0] > 0.9


def test_sklearn_server_method_parameter(iris_dir: Path):
    spec = graph("iris", [server("classifier", "SKLEARN_SERVER", None, method="predict")])
    g = InProcessGraph(spec, tree("classifier", M, impl="SKLEARN_SERVER"),
                       model_uris={"classifier": str(iris_dir)})  # fmt: skip
    assert g.predict({"data": {"ndarray": [[6.7, 3.0, 5.2, 2.3]]}})["data"]["ndarray"] == [2]


def test_a_server_without_a_local_model_says_how_to_give_one():
    spec = graph("iris", [server("classifier", "SKLEARN_SERVER", None)])
    with pytest.raises(NodeSetupError, match=r"--model-uri classifier=PATH"):
        InProcessGraph(spec, tree("classifier", M, impl="SKLEARN_SERVER"))


@pytest.mark.parametrize(
    ("cls", "package"), [("XGBoostServer", "xgboost"), ("MLFlowServer", "mlflow")]
)
def test_missing_server_packages_are_named(cls: str, package: str, tmp_path: Path):
    server_cls = getattr(servers, cls)
    with pytest.raises(servers.MissingPackage, match=package):
        server_cls(model_uri=str(tmp_path)).load()


def test_combiner_over_servers_and_a_stock_node(iris_dir: Path):
    from seldon_graphs.spec import NOWHERE, NodeSpec, StockSource

    vote = NodeSpec(name="vote", pos=NOWHERE, source=StockSource("mean-combiner"))
    spec = graph(
        "vote",
        [vote, server("lr", "SKLEARN_SERVER", None), server("lr2", "SKLEARN_SERVER", None)],
    )
    t = tree("vote", C, tree("lr", M, impl="SKLEARN_SERVER"), tree("lr2", M, impl="SKLEARN_SERVER"))
    g = InProcessGraph(spec, t, model_uris={"lr": str(iris_dir), "lr2": str(iris_dir)})
    out = g.predict({"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}})
    single = InProcessGraph(
        graph("one", [server("lr", "SKLEARN_SERVER", None)]),
        tree("lr", M, impl="SKLEARN_SERVER"),
        model_uris={"lr": str(iris_dir)},
    ).predict({"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}})
    assert np.allclose(out["data"]["ndarray"], single["data"]["ndarray"])


def test_the_public_api_runs_a_graph_file_with_fakes():
    from seldon_graphs import api

    g = api.load(Path(__file__).resolve().parents[2] / "graphs" / "abtest.yaml")
    out = g.with_nodes(current=lambda X: X * 0 + 1, candidate=lambda X: X * 0 + 2).predict(X)
    assert out["data"]["ndarray"] in ([[1.0, 1.0]], [[2.0, 2.0]])
